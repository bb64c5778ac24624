"""Quiet hours for outreach: the contact's zone from their number, the window, and scheduled sends held until it
opens (the clock passed in)."""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from conversations.services import contact_create
from messaging.hours.quiet import (
    contact_zone,
    quiet_hours_get,
    quiet_hours_next_open,
    quiet_hours_update,
    window_next_open,
)
from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.services.schedule import messages_send_due
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, User
from smsinbox.services import membership_create

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
AT = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # a Tuesday; 04:00 in Los Angeles, 07:00 in New York


def test_the_zone_comes_from_the_number():
    assert contact_zone(phone="+14155550101", fallback=PARIS, at=AT) == LOS_ANGELES
    assert contact_zone(phone="+12125550101", fallback=PARIS, at=AT) == NEW_YORK
    # +44 names London, Jersey, Guernsey, the Isle of Man: one local time, so not ambiguous
    assert AT.astimezone(contact_zone(phone="+447911123456", fallback=PARIS, at=AT)).hour == 12


@pytest.mark.parametrize("phone", ["+18005550100", "+61412345678", "not a number"])
def test_an_ambiguous_number_uses_the_organizations_zone(phone):
    assert contact_zone(phone=phone, fallback=PARIS, at=AT) == PARIS


def test_the_window_opens_later_today_or_tomorrow():
    opens, closes = time(8), time(21)
    assert window_next_open(at=AT, zone=NEW_YORK, opens=opens, closes=closes) == datetime(
        2026, 12, 8, 8, 0, tzinfo=NEW_YORK
    )
    inside = datetime(2026, 12, 8, 15, 0, tzinfo=NEW_YORK)
    assert window_next_open(at=inside, zone=NEW_YORK, opens=opens, closes=closes) == inside
    late = datetime(2026, 12, 8, 21, 0, tzinfo=NEW_YORK)  # closes at 21:00 sharp
    assert window_next_open(at=late, zone=NEW_YORK, opens=opens, closes=closes) == datetime(
        2026, 12, 9, 8, 0, tzinfo=NEW_YORK
    )


def test_the_window_is_local_wall_time_across_a_daylight_saving_change():
    before_change = datetime(2027, 3, 13, 23, 0, tzinfo=NEW_YORK)  # clocks spring forward on the 14th
    opened = window_next_open(at=before_change, zone=NEW_YORK, opens=time(8), closes=time(21))
    assert opened.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2027, 3, 14, 8, 0)
    assert opened.astimezone(UTC).hour == 12  # EDT: 08:00 is 12:00 UTC (it was 13:00 UTC the day before)


@pytest.mark.django_db
def test_next_open_is_the_time_itself_when_off_or_inside(org_a):
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    assert quiet_hours_next_open(contact, AT) == AT  # off by default
    quiet_hours_update(organization=org_a.organization, actor=org_a.user, enabled=True, opens=time(8), closes=time(21))
    assert quiet_hours_next_open(contact, AT) == datetime(2026, 12, 8, 8, 0, tzinfo=LOS_ANGELES)
    noon_la = datetime(2026, 12, 8, 12, 0, tzinfo=LOS_ANGELES)
    assert quiet_hours_next_open(contact, noon_la) == noon_la
    off = quiet_hours_get(organization=org_a.organization)
    off.enabled = False
    assert quiet_hours_next_open(contact, AT, quiet=off) == AT  # the caller's settings are used as given


@pytest.mark.django_db
def test_an_ambiguous_contact_follows_the_organizations_zone(org_a):
    org_a.organization.time_zone = "Europe/Paris"
    org_a.organization.save(update_fields=["time_zone"])
    contact = contact_create(organization=org_a.organization, phone="+18005550100")
    quiet_hours_update(organization=org_a.organization, actor=org_a.user, enabled=True, opens=time(8), closes=time(21))
    late = datetime(2026, 12, 8, 22, 30, tzinfo=PARIS)
    assert quiet_hours_next_open(contact, late) == datetime(2026, 12, 9, 8, 0, tzinfo=PARIS)


@pytest.mark.django_db
def test_only_admins_change_quiet_hours_and_the_window_must_be_in_order(org_a):
    with pytest.raises(ServiceError) as refused:
        quiet_hours_update(
            organization=org_a.organization, actor=org_a.user, enabled=True, opens=time(21), closes=time(8)
        )
    assert refused.value.field == "closes"
    agent = User.objects.create_user(username="agnes", password="pw-agnes-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    with pytest.raises(ServiceError) as forbidden:
        quiet_hours_update(organization=org_a.organization, actor=agent, enabled=True, opens=time(8), closes=time(21))
    assert forbidden.value.code == "forbidden"
    assert not quiet_hours_get(organization=org_a.organization).enabled


@pytest.mark.django_db
def test_a_scheduled_message_due_in_quiet_hours_is_held_until_the_window_opens(org_a):
    quiet_hours_update(organization=org_a.organization, actor=org_a.user, enabled=True, opens=time(8), closes=time(21))
    contact = contact_create(organization=org_a.organization, phone="+14155550101")  # Los Angeles
    message = message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="Your order is ready",
        send_at=datetime.now(UTC) + timedelta(minutes=5),
    ).message  # fmt: skip
    due = datetime.now(LOS_ANGELES).replace(hour=23, minute=0, second=0, microsecond=0) + timedelta(days=1)
    Message.objects.filter(pk=message.pk).update(send_at=due - timedelta(minutes=1))

    assert messages_send_due(now=due) == 1
    held = Message.objects.get(pk=message.pk)
    opens = (due + timedelta(days=1)).replace(hour=8, minute=0)
    assert (held.status, held.send_at, held.quiet_hours_held_from) == ("scheduled", opens, due - timedelta(minutes=1))
    assert held.events.filter(event_type=MessageEvent.Type.SCHEDULE_EDITED, payload__quiet_hours=True).exists()
    assert DBTaskResult.objects.count() == 0  # nothing handed to the send pipeline

    assert messages_send_due(now=opens - timedelta(seconds=1)) == 0
    assert messages_send_due(now=opens) == 1
    released = Message.objects.get(pk=message.pk)
    assert (released.status, released.quiet_hours_held_from) == ("pending", due - timedelta(minutes=1))
    assert DBTaskResult.objects.count() == 1
