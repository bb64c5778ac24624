"""Scheduled messages: stored now with status ``scheduled``, handed to the send pipeline when their time comes.

State machine of a scheduled message (ours: ``status = 'scheduled'`` and no Twilio SID; the trigger of
``messaging.models`` allows only these moves out of it, and none into it — it is only ever inserted)::

    scheduled ─edit (body, send_at)─▶ scheduled
    scheduled ─cancel (staff)────────▶ canceled                      (terminal)
    scheduled ─due, contact opted out▶ canceled, with the reason      (terminal; never sent)
    scheduled ─due (the sweep)───────▶ pending ─▶ the send pipeline   (``messaging.services.delivery``)
    scheduled ─due in the contact's quiet hours▶ scheduled, ``send_at`` moved to when their window opens
                                                  (``quiet_hours_held_from`` keeps the first due time)

Twilio's native scheduling (``PhoneNumber.twilio_scheduling`` with a Messaging Service): ``message_send`` stores
the message ``pending`` with its ``send_at`` and hands it to Twilio at once (``ScheduleType=fixed``); Twilio
answers ``scheduled`` (with a SID) and later reports ``queued``…``delivered`` or ``canceled``, applied forward only
like every status (``messaging.services.status``). Canceling it asks Twilio (``Status=canceled``) first.

A due time is never held in memory: it is the row's ``send_at``, found by an index
(``message_scheduled_due_idx``) by ``messages_send_due``, which every task worker runs every
``SCHEDULE_SWEEP_SECONDS`` (``smsinbox.workers``; the embedded default's worker thread too). A message
whose time passed while no worker ran, or while the database was down, is sent by the next sweep: late,
never lost. Every move out of ``scheduled`` is a conditional UPDATE (``… WHERE status = 'scheduled'``):
when the sweep, a second sweep and staff's edit or cancel reach one row, PostgreSQL re-checks the condition
after the first commits, so exactly one wins; the loser updates nothing (an edit or cancel then answers
409 saying why). The sweep moves a message to ``pending`` and enqueues its delivery task in one
transaction (the outbox of ``message_send``), so it is handed over once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.canned import unfilled_placeholder_check
from conversations.snooze import snooze_preset_until
from messaging.hours.quiet import quiet_hours_next_open
from messaging.models import Message, MessageEvent
from messaging.segments import MAX_BODY_CHARACTERS, is_too_long, segment_info
from messaging.services.announce import announce_message_changed
from messaging.services.status import message_apply_report
from messaging.statuses import MessageStatus
from messaging.twilio import client
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.models import User
from smsinbox.parsing import clean_text

logger = logging.getLogger(__name__)

S = MessageStatus
SCHEDULE_MAX = timedelta(days=35)  # further ahead is a typo (and beyond what anyone plans a text for)
SCHEDULE_MIN = timedelta(seconds=0)
NOT_SCHEDULED = "not_scheduled"  # the code of a refused edit or cancel (the API answers 409)
# Ours, waiting: scheduled and not at Twilio (Twilio's own ``scheduled`` has a SID).
WAITING = Q(status=S.SCHEDULED, twilio_sid__isnull=True)


# The composer's "Send later" presets, in the viewer's zone (the snooze menu's moments: three hours on,
# tomorrow 9:00, next Monday 9:00).
SEND_LATER_PRESETS: list[tuple[str, str]] = [
    ("later_today", "Later today"),
    ("tomorrow", "Tomorrow 9:00"),
    ("next_week", "Next Monday 9:00"),
]


def send_later_menu(*, now: datetime, zone: tzinfo) -> list[dict[str, object]]:
    """Each preset with the moment it means now in ``zone``: what the composer's menu offers and sends."""
    return [
        {"value": value, "label": label, "at": snooze_preset_until(preset=value, now=now, zone=zone)}
        for value, label in SEND_LATER_PRESETS
    ]


def send_at_check(*, send_at: datetime, now: datetime | None = None) -> datetime:
    """``send_at`` if a scheduled message may be sent then: with an offset, in the future, within
    ``SCHEDULE_MAX``; else a clear refusal (the API answers 400)."""
    now = now or timezone.now()
    if timezone.is_naive(send_at):
        raise ServiceError("sendAt needs a time zone offset, for example 2026-12-08T09:00:00-05:00.", field="sendAt")
    if send_at <= now + SCHEDULE_MIN:
        raise ServiceError("sendAt is in the past: choose a later time, or send now.", field="sendAt")
    if send_at - now > SCHEDULE_MAX:
        raise ServiceError(f"sendAt may be at most {SCHEDULE_MAX.days} days ahead.", field="sendAt")
    return send_at


def _refusal(message: Message) -> ServiceError:
    """Why a message can no longer be edited or canceled, as staff should read it."""
    current = Message.objects.filter(pk=message.pk).values_list("status", "twilio_sid").first()
    status, sid = current if current else (None, None)
    if status == S.CANCELED:
        why = "It was canceled."
    elif status == S.SCHEDULED and sid is None:  # pragma: no cover - only while a racing edit is mid-flight
        why = "It changed meanwhile: try again."
    elif message.send_at is None and status != S.PENDING:
        why = "Only a scheduled message can be changed."
    elif status == S.SCHEDULED:
        why = "Twilio holds it for its time: cancel it and schedule a new one."
    else:
        why = f"It has already started sending (status: {status})."
    return ServiceError(f"This message can no longer be changed. {why}", code=NOT_SCHEDULED, field="id")


@transaction.atomic
def message_schedule_edit(
    *,
    message: Message,
    user: User | None,
    body: str | None = None,
    send_at: datetime | None = None,
    now: datetime | None = None,
) -> Message:
    """Change the text and/or the time of a message still waiting for its time; refused (409) once it
    started sending or was canceled. One conditional UPDATE: of this and a racing sweep, one wins."""
    updates: dict[str, object] = {}
    if body is not None:
        body = clean_text(body)
        if not body.strip() and not message.num_media:
            raise ServiceError("The message is empty: write something, or cancel it.", field="message")
        if is_too_long(body):
            raise ServiceError(f"Message too long. Maximum {MAX_BODY_CHARACTERS} characters.", field="message")
        unfilled_placeholder_check(body)
        info = segment_info(body)
        updates.update(body=body, num_segments=info.segments, encoding=info.encoding)
    if send_at is not None:
        updates["send_at"] = send_at_check(send_at=send_at, now=now)
    if not updates:
        raise ServiceError("Nothing to change: give message or sendAt.", field="message")
    changed = Message.objects.filter(WAITING, pk=message.pk).update(**updates, updated_at=timezone.now())
    if not changed:
        raise _refusal(message)
    message = Message.objects.select_related("sent_by", "conversation").get(pk=message.pk)
    MessageEvent.objects.create(
        message=message,
        event_type=MessageEvent.Type.SCHEDULE_EDITED,
        status=message.status,
        payload={
            "by": user.pk if user else None,
            "send_at": message.send_at.isoformat() if message.send_at else None,
            "body_changed": body is not None,
        },
    )
    announce_message_changed(message)
    return message


def message_schedule_cancel(*, message: Message, user: User | None) -> Message:
    """Cancel a scheduled message: ours, still waiting (``_cancel_waiting``), or one Twilio holds for its time
    (``_cancel_at_twilio``); refused (409) once it started sending.

    Not one transaction: canceling at Twilio is an HTTP request, made before anything is written here (Twilio's
    answer is then recorded like any report, forward only).
    """
    current = Message.objects.filter(pk=message.pk).values_list("status", "twilio_sid", "send_at").first()
    status, sid, send_at = current if current else (None, None, None)
    if status == S.SCHEDULED and sid is not None:
        return _cancel_at_twilio(message=message, user=user, sid=sid)
    if (
        status == S.PENDING
        and sid is None
        and send_at is not None
        and not message.events.filter(event_type=MessageEvent.Type.SCHEDULE_DUE).exists()  # not released by ours
    ):
        return _cancel_before_twilio(message=message, user=user)
    return _cancel_waiting(message=message, user=user)


def _cancel_at_twilio(*, message: Message, user: User | None, sid: str) -> Message:
    """Ask Twilio to cancel (``Status=canceled``), then record its answer. Twilio refuses a message no longer
    ``scheduled`` (30409): a 409 saying it started sending."""
    try:
        found = client.cancel_message(sid)
    except client.TwilioSendError as exc:
        if exc.outcome == client.SendOutcome.REJECTED:
            raise ServiceError(
                "This message can no longer be changed. Twilio has already started sending it.",
                code=NOT_SCHEDULED,
                field="id",
            ) from exc
        raise ServiceError(
            f"Twilio could not cancel it just now ({exc.message}): try again.", code=NOT_SCHEDULED, field="id"
        ) from exc
    with transaction.atomic():
        locked = (
            Message.objects.select_for_update(of=("self",))
            .select_related("conversation__contact", "sent_by")
            .get(pk=message.pk)
        )
        message_apply_report(message=locked, report=found.report(source="cancel"))
        MessageEvent.objects.create(
            message=locked,
            event_type=MessageEvent.Type.CANCELED,
            status=found.status,
            payload={"by": user.pk if user else None, "at_twilio": True},
        )
    logger.info("message %s canceled at Twilio (%s) by user %s", message.pk, sid, user.pk if user else None)
    return Message.objects.select_related("sent_by", "conversation").get(pk=message.pk)


@transaction.atomic
def _cancel_before_twilio(*, message: Message, user: User | None) -> Message:
    """A message meant for Twilio's scheduler that Twilio does not have yet: canceled here, unless a delivery
    claimed it meanwhile (the conditional UPDATE; the delivery's own compare-and-set then stands down)."""
    changed = Message.objects.filter(
        pk=message.pk, status=S.PENDING, twilio_sid__isnull=True, dispatch_started_at__isnull=True
    ).update(status=S.CANCELED, updated_at=timezone.now())
    if not changed:
        raise ServiceError(
            "This message is being handed to Twilio: try again in a moment.", code=NOT_SCHEDULED, field="id"
        )
    message = _canceled_record(message_id=message.pk, user=user)
    return message


def _canceled_record(*, message_id: int, user: User | None) -> Message:
    """A message just moved to ``canceled``, re-read: its event recorded and the change announced."""
    message = Message.objects.select_related("sent_by", "conversation").get(pk=message_id)
    MessageEvent.objects.create(
        message=message,
        event_type=MessageEvent.Type.CANCELED,
        status=S.CANCELED,
        payload={"by": user.pk if user else None},
    )
    announce_message_changed(message, outgoing=(WebhookEventType.MESSAGE_STATUS_CHANGED,))
    return message


@transaction.atomic
def _cancel_waiting(*, message: Message, user: User | None) -> Message:
    """Cancel a message still waiting for its time (status ``canceled``, never sent); refused (409) once it
    started sending. One conditional UPDATE: of this and a racing sweep, one wins."""
    changed = Message.objects.filter(WAITING, pk=message.pk).update(status=S.CANCELED, updated_at=timezone.now())
    if not changed:
        raise _refusal(message)
    message = _canceled_record(message_id=message.pk, user=user)
    logger.info("scheduled message %s canceled by user %s", message.pk, user.pk if user else None)
    return message


def not_sent_reason(contact_name: str) -> str:
    return f"Not sent: {contact_name} opted out before the scheduled time."


def _release(pk: int, now: datetime) -> bool:
    """Hand one due message to the send pipeline (or cancel it when its contact opted out); whether this
    call did it. Its own transaction: the row is claimed (skipping a row another sweeper holds), moved out
    of ``scheduled`` by a conditional UPDATE, and its delivery task enqueued, all or nothing."""
    from messaging.tasks import message_deliver_task

    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("conversation__contact", "sent_by")
            .filter(WAITING, pk=pk, send_at__lte=now)
            .first()
        )
        if message is None:
            return False  # sent, edited to later, canceled, or held by another sweeper
        contact = message.conversation.contact
        if contact.is_opted_out:
            reason = not_sent_reason(contact.display_name)
            if not Message.objects.filter(WAITING, pk=pk, send_at__lte=now).update(
                status=S.CANCELED, error_message=reason, updated_at=timezone.now()
            ):
                return False
            message.status, message.error_message = S.CANCELED, reason
            MessageEvent.objects.create(
                message=message, event_type=MessageEvent.Type.CANCELED, status=S.CANCELED, error_message=reason
            )
            announce_message_changed(message, outgoing=(WebhookEventType.MESSAGE_STATUS_CHANGED,))
            logger.info("scheduled message %s not sent: contact %s opted out", pk, contact.pk)
            return True
        opens = quiet_hours_next_open(contact, now)
        if opens > now:  # the contact's quiet hours: wait, still scheduled, until their window opens
            held_from = message.quiet_hours_held_from or message.send_at
            if not Message.objects.filter(WAITING, pk=pk, send_at__lte=now).update(
                send_at=opens, quiet_hours_held_from=held_from, updated_at=timezone.now()
            ):
                return False
            message.send_at, message.quiet_hours_held_from = opens, held_from
            MessageEvent.objects.create(
                message=message,
                event_type=MessageEvent.Type.SCHEDULE_EDITED,
                status=S.SCHEDULED,
                payload={"quiet_hours": True, "send_at": opens.isoformat()},
            )
            announce_message_changed(message)
            logger.info("scheduled message %s held for quiet hours until %s", pk, opens.isoformat())
            return True
        if not Message.objects.filter(WAITING, pk=pk, send_at__lte=now).update(
            status=S.PENDING, updated_at=timezone.now()
        ):
            return False
        message.status = S.PENDING
        MessageEvent.objects.create(
            message=message,
            event_type=MessageEvent.Type.SCHEDULE_DUE,
            status=S.PENDING,
            payload={"send_at": message.send_at.isoformat() if message.send_at else None, "late_seconds": round(
                (now - message.send_at).total_seconds(), 1) if message.send_at else None},
        )  # fmt: skip
        message_deliver_task.enqueue(message.pk)
        announce_message_changed(message, outgoing=(WebhookEventType.MESSAGE_SENT,))
    logger.info("scheduled message %s is due: handed to the send pipeline", pk)
    return True


def messages_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Hand every message whose time has come (at most ``limit`` a call, soonest first) to the send
    pipeline; return how many this call moved out of ``scheduled``. Safe to run in parallel and again."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(WAITING, send_at__lte=now).order_by("send_at").values_list("pk", flat=True)[:limit]
    )
    return sum(_release(pk, now) for pk in due)
