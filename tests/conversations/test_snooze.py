"""Snooze: the database's rule, the services (snooze, unsnooze, wake by time and by reply), presets in a
zone, and the live events. The clock is passed in (``now``), never slept on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.test import Client
from django.utils import timezone

from conversations.models import Conversation
from conversations.services import conversation_set_status
from conversations.snooze import (
    conversation_snooze,
    conversation_unsnooze,
    conversations_wake_due,
    snooze_preset_until,
)
from messaging.services.outbound import message_send
from smsinbox.errors import ServiceError
from smsinbox.events import frame, organization_group, user_group
from tests.db_errors import refused_by
from tests.twilio_posts import post_inbound


def listen(groups: list[str], action: Callable[[], Any], quiet: float = 0.3) -> list[dict]:
    """Every event heard on ``groups`` while ``action`` runs (until quiet), as ``(group, frame)``; the test's
    transaction does not commit, so the callbacks waiting for the commit are run as if it had."""
    from django.test import TestCase

    def committed() -> None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            action()

    async def scenario() -> list[dict]:
        layer = get_channel_layer()
        channels = {group: await layer.new_channel() for group in groups}
        for group, channel in channels.items():
            await layer.group_add(group, channel)
        await sync_to_async(committed)()
        heard = []
        for group, channel in channels.items():
            while True:
                try:
                    heard.append((group, frame(await asyncio.wait_for(layer.receive(channel), timeout=quiet))))
                except TimeoutError:
                    break
        return heard

    return async_to_sync(scenario)()


def fresh(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


# --- the database's rule ---------------------------------------------------------------------------


def test_a_snoozed_conversation_has_exactly_one_wake_condition(conversation_a, org_a):
    rows = Conversation.objects.filter(pk=conversation_a.pk)
    later = timezone.now() + timedelta(hours=1)
    for bad in (
        {"status": "snoozed"},  # no condition
        {"status": "snoozed", "snoozed_until": later, "snooze_until_reply": True},  # both
        {"status": "open", "snoozed_until": later},  # a condition without the status
        {"status": "closed", "snooze_until_reply": True},
        {"status": "open", "snoozed_by": org_a.user},
    ):
        with refused_by("conversation_snooze_consistent"), transaction.atomic():
            rows.update(**bad)
    rows.update(status="snoozed", snoozed_until=later, snoozed_by=org_a.user)
    rows.update(status="snoozed", snoozed_until=None, snooze_until_reply=True)


# --- presets in the viewer's zone ------------------------------------------------------------------


def test_presets_are_computed_in_the_viewers_zone():
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # Tuesday 17:30 in New York
    assert snooze_preset_until(preset="later_today", now=now, zone=zone) == now + timedelta(hours=3)
    assert snooze_preset_until(preset="tomorrow", now=now, zone=zone) == datetime(2026, 12, 2, 9, tzinfo=zone)
    assert snooze_preset_until(preset="next_week", now=now, zone=zone) == datetime(2026, 12, 7, 9, tzinfo=zone)
    monday = datetime(2026, 12, 7, 15, tzinfo=UTC)
    assert snooze_preset_until(preset="next_week", now=monday, zone=zone) == datetime(2026, 12, 14, 9, tzinfo=zone)
    tokyo = ZoneInfo("Asia/Tokyo")  # already Wednesday there
    assert snooze_preset_until(preset="tomorrow", now=now, zone=tokyo) == datetime(2026, 12, 3, 9, tzinfo=tokyo)
    with pytest.raises(ServiceError):
        snooze_preset_until(preset="someday", now=now, zone=zone)


# --- snooze and unsnooze ---------------------------------------------------------------------------


def test_snooze_until_a_time_leaves_open_and_unsnooze_brings_it_back(conversation_a, org_a):
    until = timezone.now() + timedelta(hours=2)
    conversation_snooze(conversation=conversation_a, user=org_a.user, until=until)
    row = fresh(conversation_a)
    assert (row.status, row.snoozed_until, row.snooze_until_reply, row.snoozed_by) == (
        "snoozed", until, False, org_a.user,
    )  # fmt: skip
    assert conversation_a.status == "snoozed"  # the caller's instance is the row
    assert conversation_unsnooze(conversation=conversation_a) is True
    row = fresh(conversation_a)
    assert (row.status, row.snoozed_until, row.snoozed_by) == ("open", None, None)
    assert conversation_unsnooze(conversation=conversation_a) is False


@pytest.mark.parametrize(
    ("until", "until_reply", "words"),
    [
        (timedelta(minutes=-1), False, "in the past"),
        (timedelta(0), False, "in the past"),
        (timedelta(days=400), False, "at most a year"),
        (None, False, "one of the two"),
        (timedelta(hours=1), True, "one of the two"),
    ],
)
def test_a_bad_snooze_is_refused_and_changes_nothing(conversation_a, org_a, until, until_reply, words):
    now = timezone.now()
    with pytest.raises(ServiceError, match=words):
        conversation_snooze(
            conversation=conversation_a,
            user=org_a.user,
            until=None if until is None else now + until,
            until_reply=until_reply,
            now=now,
        )
    assert fresh(conversation_a).status == "open"


def test_a_naive_time_is_refused(conversation_a, org_a):
    with pytest.raises(ServiceError, match="offset"):
        conversation_snooze(conversation=conversation_a, user=org_a.user, until=datetime(2099, 1, 1, 9))


def test_closing_or_reopening_drops_the_snooze(conversation_a, org_a):
    conversation_snooze(conversation=conversation_a, user=org_a.user, until_reply=True)
    conversation_set_status(conversation=conversation_a, status="closed")
    assert (fresh(conversation_a).status, fresh(conversation_a).snooze_until_reply) == ("closed", False)
    conversation_snooze(conversation=conversation_a, user=org_a.user, until_reply=True)
    conversation_set_status(conversation=conversation_a, status="open")
    assert (fresh(conversation_a).status, fresh(conversation_a).snooze_until_reply) == ("open", False)
    with pytest.raises(ServiceError, match="snooze has its own action"):
        conversation_set_status(conversation=conversation_a, status="snoozed")


# --- waking ----------------------------------------------------------------------------------------


def test_the_sweep_wakes_only_what_is_due_with_a_controllable_clock(conversation_a, org_a):
    now = timezone.now()
    conversation_snooze(conversation=conversation_a, user=org_a.user, until=now + timedelta(hours=3), now=now)
    assert conversations_wake_due(now=now + timedelta(hours=2, minutes=59)) == 0
    assert fresh(conversation_a).status == "snoozed"
    assert conversations_wake_due(now=now + timedelta(hours=3)) == 1
    assert (fresh(conversation_a).status, fresh(conversation_a).snoozed_until) == ("open", None)
    assert conversations_wake_due(now=now + timedelta(days=1)) == 0  # once


def test_a_snooze_until_reply_is_not_woken_by_the_sweep(conversation_a, org_a):
    conversation_snooze(conversation=conversation_a, user=org_a.user, until_reply=True)
    assert conversations_wake_due(now=timezone.now() + timedelta(days=3650)) == 0
    assert fresh(conversation_a).status == "snoozed"


@pytest.mark.parametrize("until_reply", [True, False])
def test_a_text_from_the_customer_wakes_it_first(conversation_a, org_a, until_reply):
    until = None if until_reply else timezone.now() + timedelta(days=2)
    conversation_snooze(conversation=conversation_a, user=org_a.user, until=until, until_reply=until_reply)
    assert post_inbound(Client(), to="+14155550001", from_="+14155550101", body="Any news?").status_code == 200
    row = fresh(conversation_a)
    assert (row.status, row.snoozed_until, row.snooze_until_reply, row.unread_count) == ("open", None, False, 1)


def test_staffs_own_text_leaves_the_snooze_as_it_is(conversation_a, org_a):
    conversation_snooze(conversation=conversation_a, user=org_a.user, until_reply=True)
    message_send(organization=org_a.organization, sender=org_a.user, contact=conversation_a.contact, body="Hi")
    assert fresh(conversation_a).status == "snoozed"


# --- live events -----------------------------------------------------------------------------------


def test_snooze_and_wake_are_announced_and_the_assignee_is_told(conversation_a, org_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(assignee=org_a.user)
    conversation_a.refresh_from_db()
    now = timezone.now()
    groups = [organization_group(org_a.organization.pk), user_group(org_a.user.pk)]
    heard = listen(
        groups,
        lambda: conversation_snooze(conversation=conversation_a, user=org_a.user, until=now + timedelta(hours=1)),
    )
    assert [(g, f["type"]) for g, f in heard] == [(groups[0], "activity.created"), (groups[0], "conversation.updated")]
    payload = heard[1][1]["payload"]
    assert (payload["status"], payload["snoozeUntilReply"]) == ("snoozed", False)
    assert datetime.fromisoformat(payload["snoozedUntil"]) == now + timedelta(hours=1)

    heard = listen(groups, lambda: conversations_wake_due(now=now + timedelta(hours=1)))
    assert sorted((g, f["type"]) for g, f in heard) == [
        (groups[0], "activity.created"),
        (groups[0], "conversation.updated"),
        (groups[1], "conversation.woken"),
        (groups[1], "notification.created"),  # through the assignee's notification settings (and Web Push)
    ]
    notified = next(f["payload"] for g, f in heard if f["type"] == "notification.created")
    assert (notified["kind"], notified["conversation"]) == ("woken", conversation_a.pk)
    assert notified["title"] == f"Back from snooze: {conversation_a.contact.display_name}"
    woken = next(f["payload"] for g, f in heard if f["type"] == "conversation.woken")
    assert woken == {
        "conversationId": conversation_a.pk,
        "organizationId": org_a.organization.pk,
        "contactName": conversation_a.contact.display_name,
        "reason": "time",
        "url": f"/c/{conversation_a.pk}/",
    }
    updated = next(f["payload"] for g, f in heard if f["type"] == "conversation.updated")
    assert (updated["status"], updated["snoozedUntil"]) == ("open", None)


def test_a_reply_wakes_it_and_tells_the_assignee(conversation_a, org_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(assignee=org_a.user)
    conversation_snooze(conversation=conversation_a, user=org_a.user, until_reply=True)
    heard = listen(
        [user_group(org_a.user.pk)],
        lambda: post_inbound(Client(), to="+14155550001", from_="+14155550101", body="Back"),
    )
    woken = [f["payload"]["reason"] for _, f in heard if f["type"] == "conversation.woken"]
    assert woken == ["reply"]  # (the text itself is a notification.created of its own, by the user's settings)
    heard = listen([user_group(org_a.user.pk)], lambda: post_inbound(Client(), to="+14155550001", from_="+14155550101"))
    assert [f for _, f in heard if f["type"] == "conversation.woken"] == []  # not snoozed any more: nothing to tell


def test_nobody_is_told_when_nobody_is_assigned(conversation_a, org_a):
    conversation_snooze(conversation=conversation_a, user=org_a.user, until_reply=True)
    heard = listen([user_group(org_a.user.pk)], lambda: post_inbound(Client(), to="+14155550001", from_="+14155550101"))
    assert [f for _, f in heard if f["type"] == "conversation.woken"] == []
