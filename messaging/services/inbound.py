"""``message_receive``: store an inbound SMS/MMS exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from conversations.models import Contact
from conversations.services import (
    contact_get_or_create,
    contact_opt_in,
    contact_opt_out,
    conversation_get_or_create,
    conversation_touch,
    preview_for,
)
from messaging.models import Direction, Message, MessageEvent, MessageMedia
from messaging.optout import keyword_intent
from messaging.segments import segment_info
from messaging.services.announce import announce_new_message
from messaging.statuses import MessageStatus
from messaging.twilio.payloads import InboundSms
from smsinbox.errors import ServiceError
from smsinbox.models import PhoneNumber

logger = logging.getLogger(__name__)


class UnknownNumber(ServiceError):
    """The message was sent to a number no organization owns: ignored, not stored."""


@dataclass
class ReceiveResult:
    message: Message
    created: bool  # False for a repeated delivery of a stored MessageSid


def _phone_number_for(sms: InboundSms) -> PhoneNumber:
    """The organization's number by ``To`` (E.164, unique), else by its Messaging Service."""
    numbers = PhoneNumber.objects.select_related("organization")
    exact = numbers.filter(number=sms.to_e164).first()
    if exact is not None:
        return exact
    by_service = (
        numbers.filter(messaging_service_sid=sms.messaging_service_sid).order_by("id").first()
        if (sms.messaging_service_sid)
        else None
    )
    if by_service is not None:
        return by_service
    raise UnknownNumber(f"no organization owns {sms.to_e164}", code="unknown_number")


@transaction.atomic
def message_receive(*, sms: InboundSms) -> ReceiveResult:
    """Store an inbound message exactly once and update its conversation.

    Idempotent on ``MessageSid``: a repeated delivery (even a concurrent one) creates,
    increments and publishes nothing. The unique constraint on ``twilio_sid`` settles races:
    the losing insert rolls back to a savepoint and the stored message is returned.
    The contact is found by index on (organization, E.164) or created; the conversation is
    reopened; ``unread_count`` is incremented with ``F()`` so no increment is lost.
    Raises ``UnknownNumber`` when no organization owns the number texted.
    """
    existing = Message.objects.filter(twilio_sid=sms.message_sid).first()
    if existing is not None:
        return ReceiveResult(message=existing, created=False)

    phone_number = _phone_number_for(sms)
    organization = phone_number.organization
    contact, _ = contact_get_or_create(organization=organization, e164=sms.from_e164)
    conversation, _ = conversation_get_or_create(organization=organization, contact=contact, phone_number=phone_number)

    try:
        with transaction.atomic():
            message = Message.objects.create(
                organization=organization,
                conversation=conversation,
                direction=Direction.INBOUND,
                twilio_sid=sms.message_sid,
                from_number=sms.from_e164,
                to_number=sms.to_e164,
                body=sms.body,
                status=MessageStatus.RECEIVED,
                num_segments=sms.num_segments,
                encoding=segment_info(sms.body).encoding,
                num_media=len(sms.media),
                geo=sms.geo,
            )
    except IntegrityError:
        existing = Message.objects.filter(twilio_sid=sms.message_sid).first()
        if existing is None:
            raise
        return ReceiveResult(message=existing, created=False)

    MessageMedia.objects.bulk_create(
        MessageMedia(message=message, position=m.position, url=m.url, content_type=m.content_type) for m in sms.media
    )
    MessageEvent.objects.create(
        message=message, event_type=MessageEvent.Type.RECEIVED, status=MessageStatus.RECEIVED, payload=sms.raw
    )
    _apply_keyword(sms=sms, contact=contact, message=message)

    conversation_touch(
        conversation=conversation, preview=preview_for(sms.body, has_media=bool(sms.media)), unread_increment=1
    )
    announce_new_message(message)
    logger.info("inbound %s stored as message %s (org %s)", sms.message_sid, message.pk, organization.id)
    return ReceiveResult(message=message, created=True)


def _apply_keyword(*, sms: InboundSms, contact: Contact, message: Message) -> None:
    """Opt the contact out (STOP), back in (START), or record a HELP request, as a MessageEvent."""
    intent, keyword = keyword_intent(body=sms.body, opt_out_type=sms.opt_out_type)
    if intent == "STOP":
        if contact_opt_out(
            contact=contact, method=Contact.OptOutMethod.KEYWORD, keyword=keyword, message_id=message.pk
        ):
            MessageEvent.objects.create(
                message=message, event_type=MessageEvent.Type.OPT_OUT, payload={"keyword": keyword}
            )
            logger.info("inbound %s opted contact %s out (%s)", sms.message_sid, contact.pk, keyword)
    elif intent == "START":
        if contact_opt_in(contact=contact):
            MessageEvent.objects.create(
                message=message, event_type=MessageEvent.Type.OPT_IN, payload={"keyword": keyword}
            )
            logger.info("inbound %s opted contact %s back in (%s)", sms.message_sid, contact.pk, keyword)
    elif intent == "HELP":
        MessageEvent.objects.create(message=message, event_type=MessageEvent.Type.HELP, payload={"keyword": keyword})
