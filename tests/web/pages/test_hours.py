"""The Business hours page (/settings/hours/): admins only, the whole form saved or nothing, holidays."""

from __future__ import annotations

from datetime import date, time

import pytest

from messaging.hours.models import AutoReplySettings, Holiday, OpeningInterval
from messaging.hours.services import holiday_add
from smsinbox.models import Organization, User
from smsinbox.services import membership_create


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.fixture
def carol(org_a):
    """An agent of organization A."""
    return membership_create(organization=org_a.organization, user=User.objects.create_user("carol", password="pw-c"))


def form(**changes):
    data = {
        "time_zone": "America/New_York",
        "auto_reply_enabled": "on",
        "auto_reply_text": "We're closed. Back at 9.",
        "auto_reply_every_hours": "12",
        "help_reply_text": "Acme: call 555-0100.",
        **{f"d{d}_opens1": "09:00" for d in range(5)},
        **{f"d{d}_closes1": "17:00" for d in range(5)},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_week_and_saves_it(alice, org_a):
    page = alice.get("/settings/hours/").content.decode()
    assert 'id="id_d0_opens1"' in page
    assert "Monday" in page
    assert 'id="hours-config"' in page
    response = alice.post("/settings/hours/", form(d0_opens2="13:00", d0_closes2="18:00", d0_closes1="12:00"))
    assert response.status_code == 302
    assert Organization.objects.get().time_zone == "America/New_York"
    assert list(OpeningInterval.objects.filter(weekday=0).values_list("opens", "closes")) == [
        (time(9), time(12)), (time(13), time(18)),
    ]  # fmt: skip
    assert OpeningInterval.objects.count() == 6
    settings = AutoReplySettings.objects.get()
    assert (settings.auto_reply_enabled, settings.auto_reply_every_hours) == (True, 12)
    page = alice.get("/settings/hours/").content.decode()
    assert 'value="13:00"' in page
    assert "Business hours saved." in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "is not a known time zone"),
        ({"d2_closes1": None}, "Give both times, or neither"),
        ({"d3_opens1": "25:00"}, "Enter a valid time."),
        ({"d1_opens2": "16:00", "d1_closes2": "18:00"}, "Tuesday: the opening hours overlap."),
        ({"auto_reply_text": ""}, "Write the auto-reply"),
        ({"auto_reply_every_hours": "abc"}, "Enter a whole number."),
        ({"auto_reply_every_hours": "0"}, "greater than or equal to 1"),
        ({"help_reply_text": "x" * 1601}, "at most 1600 characters"),
    ],
)
def test_bad_input_is_a_400_on_the_form_and_saves_nothing(alice, org_a, changes, message):
    alice.post("/settings/hours/", form(time_zone="Europe/London"))
    response = alice.post("/settings/hours/", form(**changes, d6_opens1="10:00", d6_closes1="12:00"))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was saved." in response.content.decode()
    assert Organization.objects.get().time_zone == "Europe/London"
    assert not OpeningInterval.objects.filter(weekday=6).exists()


def test_holidays_are_added_refused_twice_and_removed(alice, org_a):
    assert alice.post("/settings/hours/holidays/", {"date": "2026-12-25", "name": "Christmas"}).status_code == 302
    again = alice.post("/settings/hours/holidays/", {"date": "2026-12-25"})
    assert again.status_code == 400
    assert "2026-12-25 is already a holiday." in again.content.decode()
    assert alice.post("/settings/hours/holidays/", {"date": "soon"}).status_code == 400
    holiday = Holiday.objects.get()
    assert "Christmas" in alice.get("/settings/hours/").content.decode()
    assert alice.post(f"/settings/hours/holidays/{holiday.pk}/remove/").status_code == 302
    assert not Holiday.objects.exists()


def test_another_organizations_holiday_is_not_found(alice, org_b):
    theirs = holiday_add(organization=org_b.organization, actor=org_b.user, date=date(2026, 12, 25))
    assert alice.post(f"/settings/hours/holidays/{theirs.pk}/remove/").status_code == 404
    assert Holiday.objects.filter(pk=theirs.pk).exists()


def test_an_agent_is_told_to_ask_an_admin(client, carol):
    client.force_login(carol.user)
    response = client.get("/settings/hours/")
    assert response.status_code == 403
    assert "<strong>alice</strong>" in response.content.decode()
    assert client.post("/settings/hours/", form()).status_code == 403
    assert client.post("/settings/hours/holidays/", {"date": "2026-12-25"}).status_code == 403
    assert not OpeningInterval.objects.exists()
    assert not Holiday.objects.exists()


def test_the_thread_shows_the_auto_reply_with_its_badge(alice, org_a):
    from conversations.models import Conversation
    from tests.twilio_posts import post_inbound

    closed_all_week = {f"d{d}_{end}1": None for d in range(5) for end in ("opens", "closes")}
    alice.post("/settings/hours/", form(**closed_all_week))
    post_inbound(alice, to="+14155550001", body="anyone there?")
    conversation = Conversation.objects.get()
    page = alice.get(f"/c/{conversation.pk}/").content.decode()
    assert page.count('<span class="tag automatic">Automatic reply</span>') == 2  # the reply, and the <template>
    assert "We&#x27;re closed. Back at 9." in page
