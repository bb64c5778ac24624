"""business_hours_update, holiday_add, holiday_remove: admins only, validated whole before anything is written."""

from datetime import date, time

import pytest
from django.contrib.auth import get_user_model

from messaging.hours.models import AutoReplySettings, Holiday, OpeningInterval
from messaging.hours.rules import Interval
from messaging.hours.selectors import business_hours_get
from messaging.hours.services import business_hours_update, holiday_add, holiday_remove
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization

NINE_TO_FIVE = [Interval(weekday=d, opens=time(9), closes=time(17)) for d in range(5)]


def update(org, user=None, **changes):
    values = {
        "time_zone": "America/New_York",
        "intervals": NINE_TO_FIVE,
        "auto_reply_enabled": True,
        "auto_reply_text": "We're closed; we answer from 9am.",
        "auto_reply_every_hours": 12,
        "help_reply_text": "Acme Dental: call 555-0100. Reply STOP to stop.",
    }
    return business_hours_update(organization=org.organization, actor=user or org.user, **{**values, **changes})


@pytest.fixture
def agent(org_a):
    user = get_user_model().objects.create_user("carol", password="pw-carol-1")
    Membership.objects.create(user=user, organization=org_a.organization, role=Membership.Role.AGENT)
    return user


def test_update_replaces_the_week_and_the_settings(org_a):
    update(org_a)
    update(org_a, intervals=[Interval(weekday=5, opens=time(10), closes=time(14))], auto_reply_every_hours=24)
    assert list(OpeningInterval.objects.values_list("weekday", "opens", "closes")) == [(5, time(10), time(14))]
    assert Organization.objects.get().time_zone == "America/New_York"
    hours = business_hours_get(organization=org_a.organization)
    assert hours.settings.auto_reply_every_hours == 24
    assert str(hours.zone) == "America/New_York"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"intervals": [*NINE_TO_FIVE, Interval(weekday=0, opens=time(16), closes=time(18))]}, "intervals"),
        ({"auto_reply_text": "  "}, "auto_reply_text"),
        ({"auto_reply_text": "x" * 1601}, "auto_reply_text"),
        ({"auto_reply_every_hours": 0}, "auto_reply_every_hours"),
        ({"help_reply_text": "é" * 1601}, "help_reply_text"),
        ({"auto_reply_text": "Back at [[time]]"}, "auto_reply_text"),  # every send of it would be refused
    ],
)
def test_a_refused_update_names_the_field_and_writes_nothing(org_a, changes, field):
    update(org_a, intervals=[Interval(weekday=6, opens=time(8), closes=time(9))])
    with pytest.raises(ServiceError) as refused:
        update(org_a, **{"time_zone": "Europe/Paris", **changes})
    assert refused.value.field == field
    assert Organization.objects.get().time_zone == "America/New_York"
    assert OpeningInterval.objects.count() == 1


def test_agents_may_not_change_hours_or_holidays(org_a, agent):
    with pytest.raises(ServiceError) as refused:
        update(org_a, user=agent)
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError):
        holiday_add(organization=org_a.organization, actor=agent, date=date(2026, 12, 25))
    assert not AutoReplySettings.objects.exists()
    assert not Holiday.objects.exists()


def test_holidays_are_unique_per_date_and_removed_only_in_their_organization(org_a, org_b):
    christmas = holiday_add(organization=org_a.organization, actor=org_a.user, date=date(2026, 12, 25), name="Xmas")
    with pytest.raises(ServiceError) as refused:
        holiday_add(organization=org_a.organization, actor=org_a.user, date=date(2026, 12, 25))
    assert (refused.value.field, Holiday.objects.count()) == ("date", 1)
    with pytest.raises(ServiceError) as missing:
        holiday_remove(organization=org_b.organization, actor=org_b.user, holiday_id=christmas.pk)
    assert missing.value.code == "not_found"
    holiday_remove(organization=org_a.organization, actor=org_a.user, holiday_id=christmas.pk)
    assert not Holiday.objects.exists()


def test_a_change_is_audited_with_what_changed_and_nothing_when_nothing_did(org_a):
    from smsinbox.audit.models import AuditEntry

    update(org_a)
    update(org_a, intervals=[Interval(weekday=5, opens=time(10), closes=time(14))], auto_reply_every_hours=24)
    update(org_a, intervals=[Interval(weekday=5, opens=time(10), closes=time(14))], auto_reply_every_hours=24)
    entries = list(AuditEntry.objects.filter(action="organization.settings_changed").order_by("pk"))
    assert len(entries) == 2  # the third save changed nothing
    assert entries[1].actor_id == org_a.user.pk
    assert entries[1].changes["auto_reply_every_hours"] == [12, 24]
    assert entries[1].changes["opening_hours"][1] == ["5 10:00-14:00"]
