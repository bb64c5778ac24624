"""The reports' figures against hand-counted fixtures built through the services, in New York across the
start of daylight saving time (2026-03-08 02:00 EST → 03:00 EDT: that local day has 23 hours)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.services import conversation_set_status
from messaging.models import Message
from messaging.reports.figures import report_build
from messaging.reports.models import ReportHour
from messaging.reports.ranges import dates_period
from messaging.reports.rebuild import rollups_rebuild
from tests.messaging.reports.helpers import callback, receive, send

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
ANN, BEN, CAT = "+14155550101", "+14155550102", "+14155550103"


@pytest.fixture
def story(org_a, org_b, clock):
    """Mar 7 and Mar 8 in New York, hand-counted:

    - Ann texts 23:30 EST Mar 7 (04:30Z Mar 8); Alice answers 10 min later (600 s), delivered, $0.0079.
    - Ann texts 01:30 EST Mar 8 (06:30Z); Alice answers 03:30 EDT (07:30Z: one hour, 3600 s); undelivered 30007.
    - Alice closes Ann's thread 04:30Z+4h = 11:30Z (7 h after Ann's first text: 25200 s).
    - Ben texts 23:59 EDT Mar 8 (03:59Z Mar 9): Mar 8, never answered. A send to Cat fails 30003 at 10:00Z.
    - Ben texts 00:30 EDT Mar 9 (04:30Z Mar 9): the day after, outside. Ann texted Mar 6 (the period before),
      answered 5 minutes later and closed (the inbound of Mar 8 reopens the thread).
    - Organization B texts at the same times: never counted for A.
    """
    clock.set("2026-03-06T15:00:00+00:00")
    receive(org_a, ANN)  # the period before: Mar 5 – Mar 6, answered in 5 minutes and closed
    clock.set("2026-03-06T15:05:00+00:00")
    earlier = send(org_a, ANN)
    clock.set("2026-03-06T15:10:00+00:00")
    conversation_set_status(conversation=earlier.conversation, status="closed", by_user_id=org_a.user.pk)
    clock.set("2026-03-08T04:30:00+00:00")
    receive(org_a, ANN)
    receive(org_b, ANN)
    clock.set("2026-03-08T04:40:00+00:00")
    first = send(org_a, ANN)
    callback(first, "delivered", price="-0.00790", segments=2)
    clock.set("2026-03-08T06:30:00+00:00")
    receive(org_a, ANN)
    clock.set("2026-03-08T07:30:00+00:00")
    second = send(org_a, ANN)
    callback(second, "undelivered", code=30007, price="-0.00790")
    clock.set("2026-03-08T10:00:00+00:00")
    third = send(org_a, CAT)
    callback(third, "failed", code=30003)
    clock.set("2026-03-08T11:30:00+00:00")
    conversation_set_status(conversation=first.conversation, status="closed", by_user_id=org_a.user.pk)
    clock.set("2026-03-09T03:59:00+00:00")
    receive(org_a, BEN, "STOP")
    clock.set("2026-03-09T04:30:00+00:00")
    receive(org_a, BEN)
    return org_a


def test_totals_days_and_hours_across_the_dst_change(story):
    period = dates_period(date(2026, 3, 7), date(2026, 3, 8), NY)
    with CaptureQueriesContext(connection) as ctx:
        report = report_build(organization=story.organization, period=period)
    assert len(ctx.captured_queries) == 8  # counts, unique, 2 timings, 2 per label, failures, names
    now = report.now
    assert (now.counts["inbound"], now.counts["outbound"]) == (3, 3)
    assert (now.counts["delivered"], now.counts["undelivered"], now.counts["failed"]) == (1, 1, 1)
    assert now.counts["segments"] == 4  # 2 + 1 + 1
    assert str(now.cost) == "0.01580"
    assert now.unique_contacts == 3  # Ann, Ben, Cat
    assert now.counts["new_contacts"] == 2  # Ben and Cat (Ann is from Mar 6)
    assert now.counts["opt_outs"] == 1  # Ben's STOP
    assert now.rate("delivered") == pytest.approx(1 / 3)
    assert (report.before.counts["inbound"], report.before.counts["outbound"]) == (1, 1)
    assert report.before.first_response.median == pytest.approx(300)
    assert report.before.time_to_close.median == pytest.approx(600)
    assert report.before.counts["new_contacts"] == 1
    assert report.before.unique_contacts == 1
    assert report.per_day("inbound") == [(date(2026, 3, 7), 1), (date(2026, 3, 8), 2)]
    assert report.per_day("outbound") == [(date(2026, 3, 7), 1), (date(2026, 3, 8), 2)]
    grid = report.heat_map()
    assert grid[5][23] == 2  # Saturday 23:00 local: Ann's text and Alice's answer
    assert (grid[6][1], grid[6][2], grid[6][3]) == (1, 0, 1)  # Sunday 01:30 EST, 03:30 EDT (no 02:00 that night)
    assert sum(map(sum, grid)) == 6


def test_response_and_close_times_with_median_and_90th_percentile(story):
    report = report_build(organization=story.organization, period=dates_period(date(2026, 3, 7), date(2026, 3, 8), NY))
    response = report.now.first_response
    assert (response.count, response.median, response.p90) == (2, pytest.approx(2100), pytest.approx(3600))
    close = report.now.time_to_close
    assert (close.count, close.median) == (1, pytest.approx(25200))
    [alice] = report.staff
    assert (alice.user_id, alice.first_response.count, alice.time_to_close.count) == (story.user.pk, 2, 1)


def test_failures_grouped_by_code_most_first(story):
    report = report_build(organization=story.organization, period=dates_period(date(2026, 3, 7), date(2026, 3, 8), NY))
    assert sorted(report.failures) == [(30003, 1), (30007, 1)]


def test_another_zone_moves_the_day_boundaries(story):
    utc = report_build(
        organization=story.organization, period=dates_period(date(2026, 3, 8), date(2026, 3, 8), ZoneInfo("UTC"))
    )
    assert utc.now.counts["inbound"] == 2  # 04:30Z and 06:30Z; Ben's 03:59Z is Mar 9 in UTC


def test_the_rollup_equals_a_rebuild_from_the_tables(story):
    kept = sorted(ReportHour.objects.exclude(messages=0).values_list("organization", "hour", "key", "messages"))
    Message.objects.filter(conversation__contact__phone=CAT).delete()  # a delete takes its count with it
    rollups_rebuild(connection)
    rebuilt = sorted(ReportHour.objects.exclude(messages=0).values_list("organization", "hour", "key", "messages"))
    assert len(kept) - len(rebuilt) == 1
    assert set(rebuilt) <= set(kept) | {r for r in rebuilt if r[2] == "opt_out"}


def _hours(setup, intervals):
    from messaging.hours.services import business_hours_update

    business_hours_update(
        organization=setup.organization, actor=setup.user, time_zone="America/New_York", intervals=intervals,
        auto_reply_enabled=False, auto_reply_text="", auto_reply_every_hours=12, help_reply_text="",
    )  # fmt: skip


def test_business_hours_count_only_the_open_time_across_the_dst_change(story):
    from datetime import time

    from messaging.hours.rules import Interval

    # Saturday 23:35 to midnight, Sunday 03:00–04:00 EDT (the night 02:00 does not exist)
    _hours(story, [Interval(5, time(23, 35), time(0)), Interval(6, time(3), time(4))])
    period = dates_period(date(2026, 3, 7), date(2026, 3, 8), NY)
    with CaptureQueriesContext(connection) as ctx:
        report = report_build(organization=story.organization, period=period, business_hours=True)
    assert len(ctx.captured_queries) == 10  # and the opening hours and holidays
    response = report.now.first_response
    # 23:30–23:40 EST: open from 23:35 (300 s); 01:30 EST – 03:30 EDT: open 03:00–03:30 EDT (1800 s)
    assert (response.count, response.median, response.p90) == (2, pytest.approx(1050), pytest.approx(1800))
    # 23:30 EST Sat – 07:30 EDT Sun: 25 min Saturday + the hour on Sunday
    assert report.now.time_to_close.median == pytest.approx(1500 + 3600)
    [alice] = report.staff
    assert alice.first_response.median == pytest.approx(1050)
    assert report_build(organization=story.organization, period=period).now.first_response.median == pytest.approx(2100)


def test_business_hours_without_opening_hours_count_nothing(story):
    period = dates_period(date(2026, 3, 7), date(2026, 3, 8), NY)
    report = report_build(organization=story.organization, period=period, business_hours=True)
    assert (report.now.first_response.count, report.now.first_response.median) == (2, 0)


def test_per_label_median_and_90th_percentile(story, clock):
    from conversations.labels import conversations_label, label_create
    from conversations.models import Conversation

    vip = label_create(organization=story.organization, name="VIP")
    sales = label_create(organization=story.organization, name="Sales")
    label_create(organization=story.organization, name="Unused")
    ann = Conversation.objects.get(organization=story.organization, contact__phone=ANN)
    ben = Conversation.objects.get(organization=story.organization, contact__phone=BEN)
    conversations_label(organization=story.organization, conversation_ids=[ann.pk], add=[vip.pk, sales.pk])
    conversations_label(organization=story.organization, conversation_ids=[ben.pk], add=[sales.pk])
    report = report_build(organization=story.organization, period=dates_period(date(2026, 3, 7), date(2026, 3, 8), NY))
    rows = {row.name: row for row in report.labels}
    assert set(rows) == {"VIP", "Sales"}  # Ben was never answered; the unused label has nothing
    for row in rows.values():  # Ann's two answers (600 s, 3600 s) and her close (25200 s) count under each label
        assert (row.first_response.count, row.first_response.median, row.first_response.p90) == (
            2, pytest.approx(2100), pytest.approx(3600),
        )  # fmt: skip
        assert (row.time_to_close.count, row.time_to_close.median) == (1, pytest.approx(25200))


def test_an_answer_late_in_the_local_day_counts_in_that_day(org_a, clock):
    """22:00 EDT on Mar 9 is 02:00Z on Mar 10: inside a period of Mar 9 read in New York (a text comparison of
    a zone-aware parameter with SQLite's naive UTC text put it outside)."""
    clock.set("2026-03-10T01:00:00+00:00")
    receive(org_a, ANN)
    clock.set("2026-03-10T02:00:00+00:00")
    send(org_a, ANN)
    mar9 = report_build(organization=org_a.organization, period=dates_period(date(2026, 3, 9), date(2026, 3, 9), NY))
    assert (mar9.now.first_response.count, mar9.now.first_response.median) == (1, pytest.approx(3600))
    mar10 = report_build(organization=org_a.organization, period=dates_period(date(2026, 3, 10), date(2026, 3, 10), NY))
    assert mar10.now.first_response.count == 0
    assert mar10.before.first_response.count == 1
