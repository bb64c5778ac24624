"""Snooze: put a conversation away until a time or until the customer replies; wake it when that comes.

The state machine is ``Conversation``'s (its docstring): ``open | closed → snoozed → open`` (or ``closed``).
A wake-up is never held in memory: it is the row's ``snoozed_until``, found by an index
(``conversation_snooze_due_idx``) by ``conversations_wake_due``, which the worker runs every few seconds
(``manage.py wake_snoozed --loop``; the embedded default runs it in a thread of the server). A restart loses
nothing: a wake-up missed while nothing ran is done by the next sweep.

Races are settled by conditional UPDATEs (``... WHERE status = 'snoozed' AND snoozed_until <= now``): when
two sweepers, a sweeper and an inbound text, or a sweeper and staff reach one row, PostgreSQL re-checks the
condition after the first commits, so exactly one of them wakes it, announces it and notifies the assignee.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import TypedDict

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conversations.activity import activity_record, until_data
from conversations.models import Conversation, ConversationEvent
from conversations.services import SNOOZE_CLEARED, conversation_announce
from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.notifications.rules import Kind
from smsinbox.notifications.services import notification_dispatch

# The menu's presets, in the viewer's zone: "later today" is three hours on, the mornings are at 9:00.
SNOOZE_PRESETS: list[tuple[str, str]] = [
    ("later_today", "Later today"),
    ("tomorrow", "Tomorrow morning"),
    ("next_week", "Next week"),
]
LATER_TODAY = timedelta(hours=3)
MORNING = time(9, 0)
SNOOZE_MAX = timedelta(days=366)  # a longer snooze is a typo, refused


class WakeReason:
    TIME = "time"
    REPLY = "reply"


def snooze_preset_until(*, preset: str, now: datetime, zone: tzinfo) -> datetime:
    """When a preset snoozes until, from ``now`` in ``zone`` (the viewer's): ``later_today`` three hours on,
    ``tomorrow`` 9:00 the next day, ``next_week`` 9:00 next Monday (a week on, on a Monday)."""
    local = timezone.localtime(now, zone)
    if preset == "later_today":
        return now + LATER_TODAY
    if preset == "tomorrow":
        day = local.date() + timedelta(days=1)
    elif preset == "next_week":
        day = local.date() + timedelta(days=7 - local.weekday())
    else:
        raise ServiceError("Choose when to snooze until.", field="preset")
    return timezone.make_aware(datetime.combine(day, MORNING), zone)


@transaction.atomic
def conversation_snooze(
    *,
    conversation: Conversation,
    user: AbstractBaseUser,
    until: datetime | None = None,
    until_reply: bool = False,
    now: datetime | None = None,
) -> Conversation:
    """Snooze a conversation until ``until`` (an aware time, in the future) or, with ``until_reply``, until the
    customer texts again. Either way an inbound text wakes it first. Snoozing a snoozed conversation changes
    when it wakes (an activity event each time the snooze changes; the same snooze again is none). Refused with a
    clear error: neither or both conditions, a naive, past or far-off time."""
    now = now or timezone.now()
    if (until is None) == (not until_reply):
        raise ServiceError("Snooze until a time, or until the customer replies (one of the two).", field="until")
    if until is not None:
        if timezone.is_naive(until):
            raise ServiceError("The snooze time needs a time zone offset.", field="until")
        if until <= now:
            raise ServiceError("The snooze time is in the past: choose a later time.", field="until")
        if until - now > SNOOZE_MAX:
            raise ServiceError("Snooze for at most a year.", field="until")
    same = {"status": Conversation.Status.SNOOZED, "snoozed_until": until, "snooze_until_reply": until is None}
    if (
        Conversation.objects.filter(pk=conversation.pk)
        .exclude(**same)
        .update(**same, snoozed_by_id=user.pk, updated_at=timezone.now())
    ):
        activity_record(
            conversation=conversation, kind=ConversationEvent.Kind.SNOOZED, actor_id=user.pk, data=until_data(until)
        )
    conversation_announce(conversation=conversation)
    return conversation


@transaction.atomic
def conversation_unsnooze(*, conversation: Conversation, by_user_id: int | None = None) -> bool:
    """Staff bring a snoozed conversation back now (open); return whether it was snoozed."""
    changed = Conversation.objects.filter(pk=conversation.pk, status=Conversation.Status.SNOOZED).update(
        status=Conversation.Status.OPEN, **SNOOZE_CLEARED, updated_at=timezone.now()
    )
    if changed:
        activity_record(conversation=conversation, kind=ConversationEvent.Kind.WOKEN, actor_id=by_user_id)
        conversation_announce(conversation=conversation)
    return bool(changed)


def conversations_wake_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Wake every conversation whose snooze time has come (at most ``limit`` a call): open again, announced to
    the organization, and its assignee told (``conversation.woken``). Return how many this call woke.

    Each row wakes in its own transaction, by a conditional UPDATE: a row another sweeper (or an inbound text,
    or staff) woke meanwhile matches no more and is skipped, so it is woken and announced once.
    """
    now = now or timezone.now()
    due = list(
        Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=now)
        .order_by("snoozed_until")
        .values_list("pk", flat=True)[:limit]
    )
    woken = 0
    for pk in due:
        with transaction.atomic():
            changed = Conversation.objects.filter(
                pk=pk, status=Conversation.Status.SNOOZED, snoozed_until__lte=now
            ).update(status=Conversation.Status.OPEN, **SNOOZE_CLEARED, updated_at=timezone.now())
            if changed:
                conversation = Conversation.objects.get(pk=pk)
                activity_record(conversation=conversation, kind=ConversationEvent.Kind.WOKEN, data={"reason": "time"})
                conversation_announce(conversation=conversation)
                snooze_woken_notify(conversation=conversation, reason=WakeReason.TIME)
                woken += 1
    return woken


class WokenPayload(TypedDict):
    """What the assignee's inboxes hear when a snoozed conversation comes back (``conversation.woken``)."""

    conversation_id: int
    organization_id: int
    contact_name: str
    reason: str  # "time" | "reply"
    url: str


def snooze_woken_notify(*, conversation: Conversation, reason: str) -> None:
    """After commit, tell the assignee (if any) that this conversation came back from a snooze."""
    if conversation.assignee_id is None:
        return
    payload: WokenPayload = {
        "conversation_id": conversation.pk,
        "organization_id": conversation.organization_id,
        "contact_name": conversation.contact.display_name,
        "reason": reason,
        "url": reverse("inbox-thread", args=[conversation.pk]),
    }
    events.publish_to_user_on_commit(
        user_id=conversation.assignee_id, event=events.Event.CONVERSATION_WOKEN, payload=dict(payload)
    )
    if reason == WakeReason.TIME:  # a reply notifies as the inbound text it is (``message_receive``)
        notification_dispatch(
            organization_id=conversation.organization_id,
            kind=Kind.WOKEN,
            conversation_id=conversation.pk,
            tag=f"woken-{conversation.pk}",
            title=f"Back from snooze: {payload['contact_name']}",
            body=conversation.last_message_preview,
            assignee_id=conversation.assignee_id,
        )
