"""``message_status_update``: apply a Twilio status callback, forward-only."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Contact
from conversations.services import contact_opt_out
from messaging.error_codes import TWILIO_ERRORS, error_meaning
from messaging.models import Message, MessageEvent
from messaging.services.announce import announce_conversation, announce_status
from messaging.statuses import FAILURE_STATUSES, MessageStatus, can_advance, parse_status, statuses_below
from messaging.twilio.payloads import StatusCallback

logger = logging.getLogger(__name__)

S = MessageStatus
SENT_OR_LATER = frozenset({S.SENT, S.DELIVERED, S.UNDELIVERED, S.PARTIALLY_DELIVERED, S.READ})
DELIVERED_OR_LATER = frozenset({S.DELIVERED, S.READ})


@dataclass
class StatusResult:
    message: Message | None  # None: no message with that SID (or id) is ours
    recorded: bool  # a new event was stored (False for an exact duplicate)
    changed: bool  # the status moved forward


def _find_message(callback: StatusCallback) -> Message | None:
    """The message by SID, or by our own id (``?m=``) when the SID is not recorded yet.

    Locks the row (``select_for_update``) so concurrent callbacks for one message apply
    one at a time: the event dedupe and the status change see each other's results.
    """
    by_sid = Q(twilio_sid=callback.message_sid)
    if callback.our_message_id is not None:
        by_sid |= Q(pk=callback.our_message_id, twilio_sid__isnull=True, direction="out")
    found = list(Message.objects.select_for_update().filter(by_sid).order_by("pk")[:2])
    exact = [m for m in found if m.twilio_sid == callback.message_sid]
    return (exact or found or [None])[0]


@transaction.atomic
def message_status_update(*, callback: StatusCallback, source: str = MessageEvent.Type.STATUS_CALLBACK) -> StatusResult:
    """Record a status callback and move the message's status forward if it is an advance.

    State machine in ``messaging.statuses``: a late ``sent`` after ``delivered`` is recorded
    and changes nothing; an unknown status is recorded and changes nothing. An exact
    duplicate (same SID and status) is recorded once (``event_unique_dedupe``) and publishes
    nothing. ``sent_at`` / ``delivered_at`` are set when first reached; failures store the
    error code and its meaning; error 21610 opts the contact out. ``source`` names where the
    fact came from (a callback, or reconciliation fetching the Message resource).
    """
    message = _find_message(callback)
    if message is None:
        logger.info("status callback %s (%s) for an unknown message: ignored", callback.message_sid, callback.status)
        return StatusResult(message=None, recorded=False, changed=False)
    if message.twilio_sid is None:
        message.twilio_sid = callback.message_sid
        message.save(update_fields=["twilio_sid"])

    try:
        with transaction.atomic():
            MessageEvent.objects.create(
                message=message,
                event_type=source,
                status=callback.status,
                error_code=callback.error_code,
                error_message=callback.error_message,
                payload=callback.raw,
                dedupe_key=f"status:{callback.status}"[:100],
            )
    except IntegrityError:
        logger.info("status callback %s (%s) repeated: ignored", callback.message_sid, callback.status)
        return StatusResult(message=message, recorded=False, changed=False)

    status = parse_status(callback.status)
    if status is None:
        logger.warning("status callback %s has unknown status %r: recorded only", callback.message_sid, callback.status)
    if callback.error_code in TWILIO_ERRORS and TWILIO_ERRORS[callback.error_code].opts_out:
        _opt_out_after_21610(message)
    if status is None or not can_advance(message.status, status):
        return StatusResult(message=message, recorded=True, changed=False)

    now = timezone.now()
    updates: dict[str, object] = {"status": status, "updated_at": now}
    if status in SENT_OR_LATER and message.sent_at is None:
        updates["sent_at"] = now
    if status in DELIVERED_OR_LATER and message.delivered_at is None:
        updates["delivered_at"] = now
    if status in FAILURE_STATUSES and callback.error_code is not None:
        updates["error_code"] = callback.error_code
        updates["error_message"] = callback.error_message or error_meaning(callback.error_code)
    changed = Message.objects.filter(pk=message.pk, status__in=statuses_below(status)).update(**updates)
    if not changed:
        return StatusResult(message=message, recorded=True, changed=False)
    for name, value in updates.items():
        setattr(message, name, value)
    logger.info("message %s (%s) is now %s", message.pk, callback.message_sid, status)
    announce_status(message)
    return StatusResult(message=message, recorded=True, changed=True)


def _opt_out_after_21610(message: Message) -> None:
    """Twilio refused a send because the person unsubscribed: record it on the contact."""
    conversation = message.conversation
    if contact_opt_out(contact=conversation.contact, method=Contact.OptOutMethod.ERROR_21610, message_id=message.pk):
        logger.info("message %s hit 21610: contact %s opted out", message.pk, conversation.contact_id)
        announce_conversation(conversation)
