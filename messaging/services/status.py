"""What the provider tells us about an outbound message, recorded by one code path.

The same facts reach us four ways: the answer to the create request and a lookup after an
ambiguous attempt (``delivery.py``), a status callback (``message_status_update``) and
reconciliation fetching the resource (``reconcile.py``). Every one of them ends in
``message_apply_report``, so status, error code and meaning, price, segments, dates and the
21610 opt-out are recorded the same way whatever the source.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Contact
from conversations.services import contact_opt_out, conversation_announce
from messaging.error_codes import TWILIO_ERRORS, error_meaning
from messaging.inputs import MessageReport
from messaging.models import Message, MessageEvent
from messaging.services.announce import announce_status
from messaging.statuses import FAILURE_STATUSES, MessageStatus, can_advance, parse_status, statuses_below

logger = logging.getLogger(__name__)

S = MessageStatus
SENT_OR_LATER = frozenset({S.SENT, S.DELIVERED, S.UNDELIVERED, S.PARTIALLY_DELIVERED, S.READ})
DELIVERED_OR_LATER = frozenset({S.DELIVERED, S.READ})
# Twilio's "unknown error" codes: any other code for the same failure says more.
IMPRECISE_ERROR_CODES = frozenset({30008})


@dataclass
class StatusResult:
    message: Message | None  # None: no message with that SID (or id) is ours
    recorded: bool  # a new event was stored (False for an exact duplicate)
    changed: bool  # the status moved forward, or the failure's error code became known


def _more_precise(new: int | None, old: int | None) -> bool:
    """Whether error code ``new`` says more than ``old`` about the same failure.

    Any code beats none; a specific code beats Twilio's "unknown error". Between two specific
    codes the first one recorded stays, as the first final status does.
    """
    if new is None or new == old:
        return False
    return old is None or (old in IMPRECISE_ERROR_CODES and new not in IMPRECISE_ERROR_CODES)


def message_apply_report(*, message: Message, report: MessageReport) -> bool:
    """Record what ``report`` says about ``message``; return whether the message changed.

    The caller holds the message's row lock (``select_for_update``) inside a transaction and
    has matched ``report.sid`` to it. The rules, one place for every source:

    - the status moves only forward (``messaging.statuses``; the database trigger refuses the
      rest); ``sent_at`` / ``delivered_at`` are stamped when first reached;
    - a failure's error code and meaning are recorded when the report and the message both end
      in a failure — also when the status did not move (a callback at the same rank that brings
      the code a lookup did not have); a more precise code replaces an imprecise one;
    - price and segment count are recorded when the report carries them;
    - an error code that means the person unsubscribed (21610) opts the contact out;
    - a change is announced to live inboxes once, after commit.
    """
    status = parse_status(report.status)
    now = timezone.now()
    updates: dict[str, object] = {}
    if status is not None and can_advance(message.status, status):
        updates["status"] = status
        if status in SENT_OR_LATER and message.sent_at is None:
            updates["sent_at"] = now
        if status in DELIVERED_OR_LATER and message.delivered_at is None:
            updates["delivered_at"] = now
    final = updates.get("status", message.status)
    moved = "status" in updates
    if (
        status in FAILURE_STATUSES
        and final in FAILURE_STATUSES
        and (moved or _more_precise(report.error_code, message.error_code))
    ):
        updates["error_code"] = report.error_code
        updates["error_message"] = report.error_message or error_meaning(report.error_code)
    if report.num_segments and report.num_segments != message.num_segments:
        updates["num_segments"] = report.num_segments
    if report.price is not None and (report.price, report.price_unit) != (message.price, message.price_unit):
        updates["price"], updates["price_unit"] = report.price, report.price_unit
    if report.error_code in TWILIO_ERRORS and TWILIO_ERRORS[report.error_code].opts_out:
        _opt_out_after_21610(message)
    if not updates:
        return False

    updates["updated_at"] = now
    rows = Message.objects.filter(pk=message.pk)
    if moved:
        rows = rows.filter(status__in=statuses_below(final))
    if not rows.update(**updates):
        return False
    for name, value in updates.items():
        setattr(message, name, value)
    if {"status", "error_code"} & updates.keys():
        logger.info(
            "message %s (%s) is now %s %s", message.pk, report.sid, final, message.error_code or "",
            extra={"message_sid": report.sid, "message_id": message.pk, "outcome": str(final)},
        )  # fmt: skip
        announce_status(message)
    return True


def _opt_out_after_21610(message: Message) -> None:
    """Twilio refused a send because the person unsubscribed: record it on the contact."""
    conversation = message.conversation
    if contact_opt_out(contact=conversation.contact, method=Contact.OptOutMethod.ERROR_21610, message_id=message.pk):
        logger.info("message %s hit 21610: contact %s opted out", message.pk, conversation.contact_id)
        conversation_announce(conversation=conversation)


def _find_message(report: MessageReport) -> Message | None:
    """The message by SID, or by our own id (``?m=``) when the SID is not recorded yet.

    Locks the row (``select_for_update``) so concurrent reports for one message apply
    one at a time: the event dedupe and the status change see each other's results.
    """
    by_sid = Q(twilio_sid=report.sid)
    if report.our_message_id is not None:
        by_sid |= Q(pk=report.our_message_id, twilio_sid__isnull=True, direction="out")
    found = list(Message.objects.select_for_update().filter(by_sid).order_by("pk")[:2])
    exact = [m for m in found if m.twilio_sid == report.sid]
    return (exact or found or [None])[0]


@transaction.atomic
def message_status_update(*, report: MessageReport, source: str = MessageEvent.Type.STATUS_CALLBACK) -> StatusResult:
    """Record a report about a message we sent (a status callback, or reconciliation's fetch).

    An exact duplicate (same SID, status and error code) is recorded once
    (``event_unique_dedupe``) and changes and publishes nothing; an unknown status is recorded
    and changes nothing. ``source`` names where the fact came from. The facts themselves are
    applied by ``message_apply_report``.
    """
    message = _find_message(report)
    if message is None:
        logger.info(
            "status report %s (%s) for an unknown message: ignored", report.sid, report.status,
            extra={"message_sid": report.sid, "outcome": "unknown_message"},
        )  # fmt: skip
        return StatusResult(message=None, recorded=False, changed=False)
    if message.twilio_sid is None:
        message.twilio_sid = report.sid
        message.save(update_fields=["twilio_sid"])

    try:
        with transaction.atomic():
            MessageEvent.objects.create(
                message=message,
                event_type=source,
                status=report.status,
                error_code=report.error_code,
                error_message=report.error_message,
                payload=report.raw,
                dedupe_key=f"status:{report.status}:{report.error_code or ''}"[:100],
            )
    except IntegrityError:
        logger.info(
            "status report %s (%s) repeated: ignored", report.sid, report.status,
            extra={"message_sid": report.sid, "message_id": message.pk, "outcome": "repeated"},
        )  # fmt: skip
        return StatusResult(message=message, recorded=False, changed=False)

    if parse_status(report.status) is None:
        logger.warning(
            "status report %s has unknown status %r: recorded only", report.sid, report.status,
            extra={"message_sid": report.sid, "message_id": message.pk, "outcome": "unknown_status"},
        )  # fmt: skip
    changed = message_apply_report(message=message, report=report)
    return StatusResult(message=message, recorded=True, changed=changed)
