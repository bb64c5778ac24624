"""Snooze in the inbox page: the menu's presets in the viewer's zone, a custom time, the filter and markers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from conversations.snooze import conversation_snooze
from tests.twilio_posts import post_inbound


@pytest.fixture
def alice(client, org_a):
    org_a.user.time_zone = "Asia/Tokyo"
    org_a.user.save()
    client.force_login(org_a.user)
    return client


@pytest.fixture
def conversation(client, org_a):
    post_inbound(client, to="+14155550001", from_="+14155550101", body="hello")
    return Conversation.objects.get()


def test_a_preset_is_computed_in_the_viewers_zone(alice, conversation):
    response = alice.post(reverse("inbox-snooze", args=[conversation.pk]), {"preset": "tomorrow"})
    assert response.status_code == 302
    conversation.refresh_from_db()
    local = timezone.localtime(conversation.snoozed_until, ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)
    assert local.date() == timezone.localtime(timezone.now(), ZoneInfo("Asia/Tokyo")).date() + timedelta(days=1)


def test_a_custom_time_is_read_in_the_viewers_zone_and_answered_as_json(alice, conversation):
    when = (timezone.localtime(timezone.now(), ZoneInfo("Asia/Tokyo")) + timedelta(days=2)).replace(
        hour=14, minute=30, second=0, microsecond=0
    )
    response = alice.post(
        reverse("inbox-snooze", args=[conversation.pk]),
        {"preset": "custom", "until": when.strftime("%Y-%m-%dT%H:%M")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    row = response.json()["conversation"]
    assert row["status"] == "snoozed"
    assert datetime.fromisoformat(row["snoozedUntil"]) == when


@pytest.mark.parametrize("until", ["", "2020-01-01T09:00", "soon"])
def test_a_bad_custom_time_is_a_clear_400(alice, conversation, until):
    response = alice.post(
        reverse("inbox-snooze", args=[conversation.pk]),
        {"preset": "custom", "until": until},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_until_reply_the_filter_the_markers_and_unsnooze(alice, conversation, org_a):
    alice.post(reverse("inbox-snooze", args=[conversation.pk]), {"preset": "reply"})
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snooze_until_reply) == ("snoozed", True)
    assert not alice.get(reverse("home") + "?filter=open").context["page"].items
    snoozed = alice.get(reverse("home") + "?filter=snoozed")
    assert [c.pk for c in snoozed.context["page"].items] == [conversation.pk]
    assert 'class="tag snoozed"' in snoozed.content.decode().split('id="conversation-row-template"')[0]
    thread = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    assert "Snoozed until they reply" in thread
    alice.post(reverse("inbox-unsnooze", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_the_line_shows_the_time_in_the_viewers_zone(alice, conversation, org_a):
    today = timezone.now().astimezone(ZoneInfo("UTC")).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    until = datetime(tuesday.year, tuesday.month, tuesday.day, tzinfo=ZoneInfo("UTC"))  # Tuesday 9:00 AM in Tokyo
    conversation_snooze(conversation=conversation, user=org_a.user, until=until)
    thread = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    assert f'Snoozed until <time datetime="{until.isoformat()}"' in thread
    assert f"Tue, {until:%b} {until.day}, 9:00 AM</time>" in thread


def test_another_organizations_thread_is_a_404(alice, org_b, client):
    post_inbound(client, to="+12125550002", from_="+14155550101")
    foreign = Conversation.objects.get(organization=org_b.organization)
    assert alice.post(reverse("inbox-snooze", args=[foreign.pk]), {"preset": "reply"}).status_code == 404
    assert alice.post(reverse("inbox-unsnooze", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "open"
