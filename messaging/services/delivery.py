"""``message_deliver``: hand a stored outbound message to Twilio — never lost, never sent twice.

State machine of one delivery (a message stays ``pending`` until Twilio has it)::

    pending, no dispatch ─claim (CAS on dispatch_started_at)─▶ request in flight
        request in flight ─Twilio accepted─▶ queued/accepted (SID stored, dispatch cleared)
        request in flight ─rejected (4xx)─▶ failed (code + meaning; 21610 opts the contact out)
        request in flight ─not sent (refused, 429, 21611)─▶ pending, retry later with backoff
        request in flight ─unknown (timeout, 5xx, lost connection)─▶ pending, needs_lookup: the next
            attempt first LOOKS UP the message at Twilio and records it if found; it sends
            again only if Twilio does not have it.
        request in flight, worker killed ─▶ dispatch_started_at stays set; once it is older than
            the HTTP timeout (+5 s), the next attempt (reconciliation enqueues one) looks it up too.

The claim is a conditional UPDATE (compare-and-set on ``dispatch_started_at``), so two
workers never both hand the same message over.
Retries are re-enqueued in the same transaction that records the attempt (an outbox).
After ``SEND_MAX_ATTEMPTS`` attempts the message fails with the last reason.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from messaging.error_codes import error_meaning
from messaging.inputs import MessageReport
from messaging.models import Message, MessageEvent
from messaging.services.ratelimit import phone_number_reserve_send_slot, phone_number_start_send
from messaging.services.status import message_apply_report
from messaging.statuses import MessageStatus
from messaging.twilio import client
from messaging.twilio.webhook_urls import webhook_url
from smsinbox.models import PhoneNumber
from smsinbox.ops.metrics import SENDS

logger = logging.getLogger(__name__)

# Twilio's native scheduling window (REFERENCE §10: more than 300 s, at most 35 days ahead). A new message is
# handed to Twilio's scheduler from 15 minutes ahead (older docs said 900 s); an attempt may still pass ``SendAt``
# while 6 minutes are left, as a retry after a short outage would.
TWILIO_SCHEDULE_MIN = timedelta(minutes=15)
TWILIO_SCHEDULE_LAST = timedelta(minutes=6)
TWILIO_SCHEDULE_MAX = timedelta(days=35)


class DeliveryOutcome(StrEnum):
    """What a run of ``message_deliver`` did (its return value), and the ``outcome`` its send-attempt
    events record. The values are stored in ``MessageEvent.payload``: never change one."""

    DONE = "done"  # nothing to do: not pending any more
    BUSY = "busy"  # another worker's request may still be running, or another task claimed it
    DEFERRED = "deferred"  # re-enqueued for the send slot it now holds on the number's pace
    SENT = "sent"  # Twilio accepted it (returned; the event records ACCEPTED)
    ACCEPTED = "accepted"  # event: Twilio accepted our request
    RECONCILED = "reconciled"  # a lookup found it at Twilio after an attempt of unknown outcome
    RETRY = "retry"  # not sent this time; a retry is enqueued
    UNKNOWN = "unknown"  # event: the attempt's outcome is unknown; it is looked up before any resend
    SID_CONFLICT = "sid_conflict"  # event: a lookup matched a message another of ours holds
    FAILED = "failed"  # permanently: Twilio refused it, or gave up after the last attempt


def status_callback_url(message: Message) -> str:
    """Where Twilio reports this message's statuses; ``m`` lets us match it before we know its SID."""
    return webhook_url("sms-status", m=message.pk)


def _in_flight_grace() -> timedelta:
    """How long a request may still be running: the SDK's timeout applies per read, not in total."""
    return timedelta(seconds=max(60.0, 3 * settings.TWILIO_HTTP_TIMEOUT + 10))


def _enqueue_retry(message: Message, *, at: datetime, slot: datetime | None = None) -> None:
    from messaging.tasks import message_deliver_task

    message_deliver_task.using(run_after=at).enqueue(message.pk, slot.isoformat() if slot else None)


def _backoff(attempt: int) -> timedelta:
    base = settings.SEND_RETRY_BASE_SECONDS * (2 ** max(attempt - 1, 0))
    return timedelta(seconds=min(base, 600) * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not crypto


def _event(message: Message, *, outcome: DeliveryOutcome, **payload: object) -> None:
    """Record a send attempt's outcome (and count it in ``smsinbox_sends_total`` once it commits)."""
    code = payload.get("code")
    transaction.on_commit(lambda: SENDS.labels(str(outcome), str(code or "")).inc(), robust=True)
    MessageEvent.objects.create(
        message=message,
        event_type=MessageEvent.Type.SEND_ATTEMPT,
        status=str(payload.get("status") or ""),
        error_code=payload.get("code"),  # type: ignore[arg-type]
        error_message=str(payload.get("reason") or ""),
        payload={"outcome": str(outcome), "attempt": message.send_attempts, **payload},
    )


def _record_accepted(message_id: int, found: client.TwilioMessage, *, how: DeliveryOutcome) -> DeliveryOutcome:
    """Store what Twilio answered (or what a lookup found): the SID, then its facts through
    ``message_apply_report``, the one path every source of those facts takes."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("conversation__contact").get(pk=message_id)
        )
        sid = message.twilio_sid or found.sid
        try:
            with transaction.atomic():
                Message.objects.filter(pk=message.pk).update(
                    twilio_sid=sid, dispatch_started_at=None, needs_lookup=False, updated_at=timezone.now()
                )
        except IntegrityError:
            # A lookup matched a message another of ours already holds: look again later.
            Message.objects.filter(pk=message.pk).update(needs_lookup=True, dispatch_started_at=None)
            _event(message, outcome=DeliveryOutcome.SID_CONFLICT, sid=found.sid)
            _enqueue_retry(message, at=timezone.now() + _backoff(message.send_attempts))
            return DeliveryOutcome.RETRY
        message.twilio_sid, message.dispatch_started_at, message.needs_lookup = sid, None, False
        message_apply_report(message=message, report=found.report(source=how))
        _event(message, outcome=how, status=found.status, sid=found.sid, code=found.error_code)
    logger.info("message %s handed to Twilio as %s (%s)", message.pk, found.sid, how)
    return DeliveryOutcome.SENT if how == DeliveryOutcome.ACCEPTED else DeliveryOutcome.RECONCILED


@transaction.atomic
def _record_failure(message_id: int, error: client.TwilioSendError, *, during_lookup: bool = False) -> DeliveryOutcome:
    """Fail permanently, or schedule a retry in the same transaction.

    A failed lookup counts as an attempt and keeps ``needs_lookup``: the earlier request's
    fate is still unknown, so the next run must look again before sending.
    """
    message = Message.objects.select_for_update().select_related("conversation__contact").get(pk=message_id)
    if message.status != MessageStatus.PENDING:
        return DeliveryOutcome.DONE  # a status callback or a lookup got there first
    unknown = error.outcome == client.SendOutcome.UNKNOWN or during_lookup
    if during_lookup:
        message.send_attempts += 1
    Message.objects.filter(pk=message.pk).update(
        dispatch_started_at=None, needs_lookup=unknown, send_attempts=message.send_attempts, updated_at=timezone.now()
    )
    if error.transient and message.send_attempts < settings.SEND_MAX_ATTEMPTS:
        at = timezone.now() + _backoff(message.send_attempts)
        _event(message, outcome=DeliveryOutcome.RETRY, code=error.code, reason=error.message, retry_at=at.isoformat())
        _enqueue_retry(message, at=at)
        logger.warning(
            "message %s attempt %s failed (%s), retry at %s",
            message.pk,
            message.send_attempts,
            error.message,
            at.isoformat(),
        )
        return DeliveryOutcome.RETRY
    if unknown and message.send_attempts < 2 * settings.SEND_MAX_ATTEMPTS:
        # The last attempt's fate is unknown: more runs look it up (with backoff) rather than guess.
        _event(message, outcome=DeliveryOutcome.UNKNOWN, code=error.code, reason=error.message)
        _enqueue_retry(message, at=timezone.now() + _backoff(message.send_attempts - settings.SEND_MAX_ATTEMPTS))
        return DeliveryOutcome.RETRY
    if unknown:
        error = client.TwilioSendError(
            f"{error.message} Twilio could not confirm whether it was sent.",
            outcome=client.SendOutcome.REJECTED,
            code=error.code,
        )
    reason = (
        error.message if not error.transient else f"{error.message} Gave up after {message.send_attempts} attempts."
    )
    _fail(message, code=error.code, reason=reason)
    _event(message, outcome=DeliveryOutcome.FAILED, code=error.code, reason=reason)
    return DeliveryOutcome.FAILED


def _fail(message: Message, *, code: int | None, reason: str) -> bool:
    """Fail a message Twilio never took (only from ``pending``); return whether it changed.

    Recorded like any other fact about the message, by ``message_apply_report``: the error's
    meaning, the 21610 opt-out and the live event come from the same rules as a callback's.
    Runs inside the caller's transaction (the row is locked).
    """
    locked = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation__contact")
        .filter(pk=message.pk, status=MessageStatus.PENDING)
        .first()
    )
    if locked is None:
        return False
    Message.objects.filter(pk=message.pk).update(dispatch_started_at=None, needs_lookup=False)
    report = MessageReport(
        sid=locked.twilio_sid or "", status=MessageStatus.FAILED, error_code=code, error_message=reason
    )
    if not message_apply_report(message=locked, report=report):
        return False
    message.status, message.error_code, message.error_message = locked.status, locked.error_code, locked.error_message
    logger.warning("message %s failed: %s", message.pk, reason)
    return True


def _same_body(ours: str, theirs: str) -> bool:
    """Twilio may prefix a trial notice or re-encode characters; the text we sent is the tail."""
    ours, theirs = ours.strip(), theirs.strip()
    return theirs == ours or (bool(ours) and theirs.endswith(ours))


def sending_number(message: Message) -> PhoneNumber:
    """The organization's number a message goes out from: its ``from_number``'s row, or — a sender of the
    Messaging Service's pool the inbox does not list (sticky sender) — the conversation's number, whose service
    and pace it shares."""
    own = message.conversation.phone_number
    if str(own.number) == message.from_number:
        return own
    found = PhoneNumber.objects.filter(organization_id=message.organization_id, number=message.from_number).first()
    return found or own


def twilio_schedules(*, number: PhoneNumber, send_at: datetime, now: datetime) -> bool:
    """Whether a message due at ``send_at`` is handed to Twilio's own scheduler now (``ScheduleType=fixed``): the
    number sends through a Messaging Service, its ``twilio_scheduling`` is on, and ``send_at`` is within Twilio's
    window (``TWILIO_SCHEDULE_MIN`` to ``TWILIO_SCHEDULE_MAX`` ahead, REFERENCE §10, with margin)."""
    return (
        bool(number.messaging_service_sid)
        and number.twilio_scheduling
        and TWILIO_SCHEDULE_MIN <= send_at - now <= TWILIO_SCHEDULE_MAX
    )


def _meant_for_twilio(message: Message, *, number: PhoneNumber) -> bool:
    """Sent at once to be held by Twilio's scheduler (``message_send`` stored it ``pending`` with a ``send_at``)."""
    return (
        message.send_at is not None
        and number.twilio_scheduling
        and bool(number.messaging_service_sid)
        and not message.events.filter(event_type=MessageEvent.Type.SCHEDULE_DUE).exists()
    )


def _native_send_at(message: Message, *, number: PhoneNumber) -> datetime | None:
    """``SendAt`` for this attempt: the message's time when Twilio may still schedule it, else ``None``. A
    retry too close to the time (Twilio refuses under 300 s) is sent by us at the time instead."""
    if message.send_at is None or not number.twilio_scheduling or not number.messaging_service_sid:
        return None
    return message.send_at if message.send_at - timezone.now() >= TWILIO_SCHEDULE_LAST else None


def _lookup(message: Message) -> client.TwilioMessage | None:
    """Find this message at Twilio after an attempt whose outcome is unknown.

    With a Messaging Service Twilio picks the sender, so only ``To`` and the time narrow it.
    """
    number = message.conversation.phone_number
    since = (message.dispatch_started_at or message.created_at) - timedelta(minutes=1)
    from_ = None if number.messaging_service_sid else message.from_number
    found = client.find_messages(to=message.to_number, from_=from_, created_after=since)
    known = set(Message.objects.filter(twilio_sid__in=[m.sid for m in found]).values_list("twilio_sid", flat=True))
    candidates = [m for m in found if m.sid not in known and _same_body(message.body, m.body)]
    return min(candidates, key=lambda m: m.date_created or since) if candidates else None


def message_deliver(*, message_id: int, slot: str | None = None) -> DeliveryOutcome:
    """Hand one outbound message to Twilio; return what happened (see the module docstring).

    Runs in a task worker. Not one transaction: the claim commits before the HTTP request, so
    a crash mid-request leaves a trace (``dispatch_started_at``) that the next attempt resolves.
    ``slot``: a send slot this task already holds on the number's pace (from a deferral).
    """
    message = (
        Message.objects.select_related("conversation__phone_number", "conversation__contact")
        .filter(pk=message_id, direction="out")
        .first()
    )
    if message is None or message.status != MessageStatus.PENDING:
        return DeliveryOutcome.DONE
    in_flight_since = message.dispatch_started_at
    if in_flight_since is not None and timezone.now() - in_flight_since < _in_flight_grace():
        return DeliveryOutcome.BUSY  # another worker's request may still be running
    if in_flight_since is not None or message.needs_lookup:
        try:
            found = _lookup(message)
        except client.TwilioSendError as exc:
            return _record_failure(message.pk, exc, during_lookup=True)
        if found is not None:
            return _record_accepted(message.pk, found, how=DeliveryOutcome.RECONCILED)
        if message.send_attempts >= settings.SEND_MAX_ATTEMPTS:
            with transaction.atomic():
                if _fail(message, code=None, reason=f"Twilio did not take it after {message.send_attempts} attempts."):
                    _event(message, outcome=DeliveryOutcome.FAILED, reason="not found at Twilio after the last attempt")
            return DeliveryOutcome.FAILED

    if message.conversation.contact.is_opted_out:
        with transaction.atomic():
            if _fail(message, code=21610, reason=error_meaning(21610)):
                _event(message, outcome=DeliveryOutcome.FAILED, code=21610, reason="opted out before sending")
        return DeliveryOutcome.FAILED

    number = sending_number(message)
    native_at = _native_send_at(message, number=number)
    if native_at is None and _meant_for_twilio(message, number=number) and message.send_at > timezone.now():
        with transaction.atomic():  # meant for Twilio's scheduler, too close to its time now: send it then, ourselves
            _enqueue_retry(message, at=message.send_at)
        return DeliveryOutcome.DEFERRED
    if settings.SEND_RATE_LIMIT and native_at is None:
        at = (
            datetime.fromisoformat(slot)
            if slot
            else phone_number_reserve_send_slot(phone_number_id=number.pk, now=timezone.now())
        )
        wait = (at - timezone.now()).total_seconds()
        if wait > settings.SEND_RATE_MAX_WAIT_SECONDS:
            with transaction.atomic():  # come back when the slot this task now holds opens
                _enqueue_retry(message, at=at - timedelta(seconds=0.5), slot=at)
            return DeliveryOutcome.DEFERRED
        if wait > 0:
            time.sleep(wait)
        # The hard cap, on the moment the send really starts (a late slot must not crowd the next second).
        while (hold := phone_number_start_send(phone_number_id=number.pk, now=timezone.now())) > timedelta(0):
            if hold.total_seconds() > settings.SEND_RATE_MAX_WAIT_SECONDS:
                with transaction.atomic():
                    _enqueue_retry(message, at=timezone.now() + hold)
                return DeliveryOutcome.DEFERRED
            time.sleep(hold.total_seconds())

    # Compare-and-set on everything observed above: any other task's claim or attempt since
    # then (a new dispatch, a lookup flag, one more attempt) makes this one stand down.
    claimed = Message.objects.filter(
        pk=message.pk,
        status=MessageStatus.PENDING,
        dispatch_started_at=in_flight_since,
        needs_lookup=message.needs_lookup,
        send_attempts=message.send_attempts,
    ).update(
        dispatch_started_at=timezone.now(),
        needs_lookup=False,
        send_attempts=F("send_attempts") + 1,
        updated_at=timezone.now(),
    )
    if not claimed:
        return DeliveryOutcome.BUSY
    media = list(message.media.order_by("position").values_list("url", flat=True)) if message.num_media else []
    try:
        sent = client.send_message(
            to=message.to_number,
            from_=message.from_number,
            messaging_service_sid=number.messaging_service_sid,
            body=message.body,
            media_urls=media,
            status_callback=status_callback_url(message),
            send_at=native_at,
        )
    except client.TwilioSendError as exc:
        return _record_failure(message.pk, exc)
    return _record_accepted(message.pk, sent, how=DeliveryOutcome.ACCEPTED)
