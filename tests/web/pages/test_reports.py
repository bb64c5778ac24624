"""The reports page and its CSV downloads: the hand-counted story of tests/messaging/reports, who may read,
bad periods, constant queries."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from smsinbox.models import Organization
from smsinbox.services import membership_create
from tests.messaging.reports.helpers import clock  # noqa: F401 (a fixture)
from tests.messaging.reports.test_figures import story  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

STORY = "?from=2026-03-07&to=2026-03-08"


@pytest.fixture
def alice(client, org_a):
    get_user_model().objects.filter(pk=org_a.user.pk).update(time_zone="America/New_York")
    client.force_login(org_a.user)
    return client


@pytest.fixture
def agent(client, org_a):
    user = get_user_model().objects.create_user("dana", password="pw-dana-1")
    membership_create(organization=org_a.organization, user=user)
    client.force_login(user)
    return client


def _figure(page: str, label: str) -> str:
    start = page.index(f'<span class="figure-label">{label}</span>')
    value = page.index('<span class="figure-value">', start) + len('<span class="figure-value">')
    return page[value : page.index("</span>", value)]


def test_the_page_shows_the_hand_counted_figures_in_the_viewers_zone(alice, story):  # noqa: F811
    page = alice.get(reverse("reports") + STORY).content.decode()
    assert "America/New_York" in page
    assert (_figure(page, "Inbound"), _figure(page, "Outbound"), _figure(page, "Unique contacts")) == ("3", "3", "3")
    assert _figure(page, "Delivered rate") == "33.3%"
    assert _figure(page, "Cost (Twilio&#x27;s price)") == "0.02"
    assert _figure(page, "First response, median") == "35 min"
    assert page.count('role="img"') == page.count("<desc") == page.count("<details") == 4
    assert 'href="/failed/?code=30007"' in page
    assert "Mar 7: 1 inbound" in page  # a bar's title; the 23-hour Mar 8 has the other two
    assert "Mar 8: 2 inbound" in page


def test_csv_of_a_chart_is_its_table(alice, story):  # noqa: F811
    response = alice.get(reverse("report-csv", args=["volume"]) + STORY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows == [["Day", "Inbound", "Outbound"], ["2026-03-07", "1", "1"], ["2026-03-08", "2", "2"]]
    failures = alice.get(reverse("report-csv", args=["failures"]) + STORY)
    text = b"".join(failures.streaming_content).decode()
    assert ("30007" in text, "30003" in text) == (True, True)


def test_a_bad_period_is_a_form_error_on_the_page_and_a_400_for_a_csv(alice):
    page = alice.get(reverse("reports") + "?from=2026-03-09&to=2026-03-01")
    assert page.status_code == 200
    assert "The end date is before the start date." in page.content.decode()
    assert alice.get(reverse("reports") + "?preset=forever").status_code == 200
    bad = alice.get(reverse("report-csv", args=["volume"]) + "?from=yesterday&to=2026-03-01")
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in bad.content.decode()
    assert alice.get(reverse("report-csv", args=["volume"]) + "?from=2025-01-01&to=2026-12-31").status_code == 400
    assert alice.get("/reports/nothing.csv").status_code == 404


def test_agents_read_reports_only_when_the_organization_allows(agent, org_a):
    assert agent.get(reverse("reports")).status_code == 403
    assert agent.get(reverse("report-csv", args=["volume"])).status_code == 403
    Organization.objects.filter(pk=org_a.organization.pk).update(reports_for_agents=True)
    assert agent.get(reverse("reports")).status_code == 200
    assert agent.get(reverse("report-csv", args=["staff"])).status_code == 200


def test_another_organizations_messages_never_count(client, org_b, story):  # noqa: F811
    client.force_login(org_b.user)
    page = client.get(reverse("reports") + STORY).content.decode()
    assert _figure(page, "Inbound") == "1"  # its own copy of Ann's text only
    assert _figure(page, "Outbound") == "0"


def test_the_page_takes_the_same_queries_however_much_there_is(alice, org_a, story):  # noqa: F811
    def count(query: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert alice.get(reverse("reports") + query).status_code == 200
        return len(ctx.captured_queries)

    busy = count(STORY)
    assert busy == count("?from=2026-01-01&to=2026-01-02")  # nothing then
    assert busy <= 18  # 16 of the page (two: per label), and the sign-in rules (session limits, two-factor device)


def test_days_are_the_organizations_when_it_has_a_time_zone(alice, org_a):
    page = alice.get(reverse("reports")).content.decode()
    assert "the organization has none of its own" in page
    Organization.objects.filter(pk=org_a.organization.pk).update(time_zone="Asia/Tokyo")
    page = alice.get(reverse("reports")).content.decode()
    assert "<strong>Asia/Tokyo</strong>" in page
    assert "the organization's, set with its" in page


def test_per_label_table_csv_and_the_business_hours_toggle(alice, org_a, story):  # noqa: F811
    from datetime import time

    from conversations.labels import conversations_label, label_create
    from conversations.models import Conversation
    from messaging.hours.rules import Interval
    from messaging.hours.services import business_hours_update

    vip = label_create(organization=org_a.organization, name="VIP")
    ann = Conversation.objects.get(organization=org_a.organization, contact__phone="+14155550101")
    conversations_label(organization=org_a.organization, conversation_ids=[ann.pk], add=[vip.pk])
    page = alice.get(reverse("reports") + STORY).content.decode()
    assert 'id="labels-title"' in page
    assert '<th scope="row">VIP</th>' in page
    assert 'name="business_hours"' in page
    assert "Counted in business hours only" not in page
    response = alice.get(reverse("report-csv", args=["labels"]) + STORY)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][0] == "Label"
    assert rows[1][:4] == ["VIP", "2", "35 min", "1 h 0 min"]
    business_hours_update(
        organization=org_a.organization, actor=org_a.user, time_zone="America/New_York",
        intervals=[Interval(5, time(23, 35), time(0)), Interval(6, time(3), time(4))],
        auto_reply_enabled=False, auto_reply_text="", auto_reply_every_hours=12, help_reply_text="",
    )  # fmt: skip
    page = alice.get(reverse("reports") + STORY + "&business_hours=1").content.decode()
    assert "Counted in business hours only" in page
    assert _figure(page, "First response, median") == "17 min"  # (300 s + 1800 s) / 2
    assert "business_hours=1" in page  # the CSV links keep the toggle
    response = alice.get(reverse("report-csv", args=["labels"]) + STORY + "&business_hours=1")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[1][:4] == ["VIP", "2", "17 min", "30 min"]
