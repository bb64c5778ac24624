"""``auto_reply_maybe_send``: the after-hours auto-reply and the HELP reply to a newly stored inbound text.

Called by ``message_receive`` once the inbound message is committed, and only when it was newly stored: a
retried webhook (the same MessageSid) finds the message stored and never reaches here, so it never answers
twice. The reply goes out through ``message_send`` (stored and enqueued in one transaction: the outbox),
marked ``automatic`` and sent by nobody (``sender`` None: no auto-assignment, no staff response).

Rules, in order: never to a number of ours (a loop between two of our numbers), never in answer to a
STOP/START family keyword (``messaging.optout.keyword_intent`` decides what is one), never to an opted-out
contact (``message_send`` re-checks under the contact's row lock). HELP/INFO gets the HELP reply when the
organization set one, at any hour, unless Twilio's Advanced Opt-Out marked the message (``OptOutType``):
Twilio has then answered it already. Any other text gets the after-hours auto-reply when it is on and the
organization is closed at ``now``.

At most once per contact every N hours: a conditional UPDATE of ``Conversation.last_auto_reply_at``
(``… WHERE last_auto_reply_at IS NULL OR last_auto_reply_at <= now - N hours``) claims the window in the
same transaction as the send. Of two inbound texts racing, the database lets one UPDATE match; the other
(on PostgreSQL it waits on the row lock, then re-reads the row) matches nothing and sends nothing. A
refused send rolls the claim back with it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Conversation
from messaging.hours.models import AutoReplySettings
from messaging.hours.selectors import business_hours_get
from messaging.models import Direction, Message
from messaging.optout import keyword_intent
from messaging.services.outbound import message_send
from smsinbox.errors import ServiceError
from smsinbox.models import PhoneNumber

logger = logging.getLogger(__name__)


def auto_reply_maybe_send(*, message: Message, opt_out_type: str = "", now: datetime | None = None) -> Message | None:
    """Answer ``message`` (inbound, just stored) automatically when the rules above say so; return the reply.

    A refusal (the contact opted out meanwhile, the window already claimed) sends nothing and returns None;
    the inbound message stays stored whatever happens here.
    """
    try:
        return _maybe_send(message=message, opt_out_type=opt_out_type, now=now or timezone.now())
    except ServiceError as exc:
        logger.info("no auto-reply to message %s: %s", message.pk, exc.code)
        return None


def _maybe_send(*, message: Message, opt_out_type: str, now: datetime) -> Message | None:
    """Decide (one query when the organization has no auto-replies), then claim and send in one transaction."""
    if message.direction != Direction.INBOUND:
        return None
    settings = AutoReplySettings.objects.filter(organization_id=message.organization_id).first()
    if settings is None:
        return None
    intent, _ = keyword_intent(body=message.body, opt_out_type=opt_out_type)
    window = False
    if intent == "HELP":
        if not settings.help_reply_text or opt_out_type:
            return None
        body = settings.help_reply_text
    elif intent is not None:
        return None
    elif settings.auto_reply_enabled and settings.auto_reply_text:
        if business_hours_get(organization=message.organization).is_open(now):
            return None
        body, window = settings.auto_reply_text, True
    else:
        return None
    if message.from_number == message.to_number or PhoneNumber.objects.filter(number=message.from_number).exists():
        return None
    contact = message.conversation.contact
    if contact.is_opted_out:
        return None
    with transaction.atomic():
        if window and not _window_claim(message=message, now=now, hours=settings.auto_reply_every_hours):
            return None
        result = message_send(
            organization=message.organization, sender=None, contact=contact, body=body, confirm=True, automatic=True
        )
    logger.info("auto-reply %s to message %s (%s)", result.message.pk, message.pk, "after hours" if window else "help")
    return result.message


def _window_claim(*, message: Message, now: datetime, hours: int) -> bool:
    """Claim this contact's auto-reply window (the caller's transaction holds the row until it ends)."""
    since = now - timedelta(hours=hours)
    return bool(
        Conversation.objects.filter(pk=message.conversation_id)
        .filter(Q(last_auto_reply_at__isnull=True) | Q(last_auto_reply_at__lte=since))
        .update(last_auto_reply_at=now)
    )
