"""``message_receive``: store an inbound SMS/MMS exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from conversations.auto_assign import conversation_auto_assign
from conversations.models import Contact, Conversation
from conversations.senders import conversation_sender_set
from conversations.services import (
    contact_get_or_create,
    contact_opt_in,
    contact_opt_out,
    conversation_get_or_create,
    conversation_lock,
    conversation_touch,
    preview_for,
)
from conversations.snooze import WakeReason, snooze_woken_notify
from messaging.inputs import IncomingMessage
from messaging.models import Direction, Message, MessageEvent, MessageMedia
from messaging.optout import keyword_intent
from messaging.segments import segment_info
from messaging.services.announce import announce_new_message
from messaging.services.autoreply import auto_reply_maybe_send
from messaging.statuses import MessageStatus
from smsinbox.errors import ServiceError
from smsinbox.models import PhoneNumber
from smsinbox.notifications.rules import Kind
from smsinbox.notifications.services import notification_dispatch

logger = logging.getLogger(__name__)


class UnknownNumber(ServiceError):
    """The message was sent to a number no organization owns: ignored, not stored."""


@dataclass
class ReceiveResult:
    message: Message
    created: bool  # False for a repeated delivery of a stored MessageSid


def _route(sms: IncomingMessage) -> tuple[PhoneNumber, int | None, int | None]:
    """The number texted (with its organization), the sender's conversation id and the id of a
    message already stored under this MessageSid — one indexed query.

    The number is found by ``To`` (E.164, unique), else by its Messaging Service.
    Raises ``UnknownNumber`` when no organization owns it.
    """
    # The contact's own (organization, phone) pair, so its unique index finds it among millions.
    conversation = Conversation.objects.filter(
        organization=OuterRef("organization"),
        contact__organization=OuterRef("organization"),
        contact__phone=sms.from_e164,
    ).values("pk")[:1]
    # Or a number merged into a contact (``ContactAlias``, by its unique (organization, phone) index).
    merged = Conversation.objects.filter(
        organization=OuterRef("organization"),
        contact__aliases__organization=OuterRef("organization"),
        contact__aliases__phone=sms.from_e164,
    ).values("pk")[:1]
    stored = Message.objects.filter(twilio_sid=sms.message_sid).values("pk")[:1]
    numbers = PhoneNumber.objects.select_related("organization").annotate(
        conversation_id=Coalesce(Subquery(conversation), Subquery(merged)), stored_message_id=Subquery(stored)
    )
    found = list(numbers.filter(number=sms.to_e164)[:1])
    if not found and sms.messaging_service_sid:
        found = list(numbers.filter(messaging_service_sid=sms.messaging_service_sid).order_by("id")[:1])
    if not found:
        raise UnknownNumber(f"no organization owns {sms.to_e164}", code="unknown_number")
    number = found[0]
    return number, number.conversation_id, number.stored_message_id  # type: ignore[attr-defined]


def message_receive(*, sms: IncomingMessage) -> ReceiveResult:
    """Store an inbound message exactly once and update its conversation.

    Idempotent on ``MessageSid``: a repeated delivery (even a concurrent one) creates,
    increments and publishes nothing. The unique constraint on ``twilio_sid`` settles races:
    the losing transaction rolls back whole and the stored message is returned (called inside
    an outer transaction, only its savepoint rolls back).
    Raises ``UnknownNumber`` when no organization owns the number texted. A newly stored message may then
    be answered automatically (``messaging.services.autoreply``), in a transaction of its own (a savepoint
    inside a caller's: the store-first intake's); its failure is logged and never undoes the message.
    """
    try:
        result = _receive(sms)
    except IntegrityError:
        existing = Message.objects.filter(twilio_sid=sms.message_sid).first()
        if existing is None:
            raise
        return ReceiveResult(message=existing, created=False)
    if result.created:  # after the commit, newly stored only: a retried webhook never answers twice
        _auto_reply(message=result.message, opt_out_type=sms.opt_out_type)
    return result


def _auto_reply(*, message: Message, opt_out_type: str) -> None:
    """The auto-reply, in a transaction (or, inside the intake's, a savepoint) of its own: one that fails is
    logged and leaves the stored message as it is, whoever called."""
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: its failure leaves the caller's transaction usable
                auto_reply_maybe_send(message=message, opt_out_type=opt_out_type)
        else:  # its own transactions (no extra BEGIN/COMMIT around its one read when nothing is sent)
            auto_reply_maybe_send(message=message, opt_out_type=opt_out_type)
    except Exception:
        logger.exception("inbound %s: the auto-reply failed; the message is stored", message.twilio_sid)


@transaction.atomic
def _receive(sms: IncomingMessage) -> ReceiveResult:
    """One transaction: find or create the contact and conversation, store, count, announce.

    The contact is found by index on (organization, E.164) or created; the conversation row
    is locked (``conversation_lock``) so its unread count, raised with ``F()``, is known
    exactly for the live event without reading it again; the conversation is reopened (a snoozed one wakes,
    and its assignee is told).
    """
    phone_number, conversation_id, stored_id = _route(sms)
    if stored_id is not None:
        return ReceiveResult(message=Message.objects.get(pk=stored_id), created=False)
    organization = phone_number.organization
    if conversation_id is None:
        contact, _ = contact_get_or_create(organization=organization, e164=sms.from_e164)
        created, _ = conversation_get_or_create(organization=organization, contact=contact, phone_number=phone_number)
        conversation_id = created.pk
    conversation = conversation_lock(conversation_id=conversation_id)
    if phone_number.number == sms.to_e164 and conversation.phone_number_id != phone_number.pk:
        # Sticky sender: the thread follows the number the customer texted.
        conversation_sender_set(conversation=conversation, phone_number=phone_number)

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
    media = MessageMedia.objects.bulk_create(
        MessageMedia(message=message, position=m.position, url=m.url, content_type=m.content_type) for m in sms.media
    )
    message._prefetched_objects_cache = {"media": media}  # the live event lists them without a query
    MessageEvent.objects.create(
        message=message, event_type=MessageEvent.Type.RECEIVED, status=MessageStatus.RECEIVED, payload=sms.raw
    )
    _apply_keyword(sms=sms, contact=conversation.contact, message=message)

    was_snoozed = conversation.status == Conversation.Status.SNOOZED  # exact: the row is locked
    conversation_touch(
        conversation=conversation, preview=preview_for(sms.body, has_media=bool(sms.media)), unread_increment=1
    )  # a text from the customer wakes a snoozed thread, in this transaction
    if was_snoozed:
        snooze_woken_notify(conversation=conversation, reason=WakeReason.REPLY)
    conversation_auto_assign(conversation=conversation, organization=organization)  # if the organization's set so
    announce_new_message(message, conversation_current=True)
    notification_dispatch(
        organization_id=organization.id,
        kind=Kind.INBOUND,
        conversation_id=conversation.pk,
        tag=f"message-{message.pk}",
        title=conversation.contact.display_name,
        body=preview_for(sms.body, has_media=bool(sms.media)),
        assignee_id=conversation.assignee_id,
    )
    logger.info(
        "inbound %s stored as message %s (org %s)", sms.message_sid, message.pk, organization.id,
        extra={"message_sid": sms.message_sid, "message_id": message.pk, "outcome": "stored"},
    )  # fmt: skip
    return ReceiveResult(message=message, created=True)


def _apply_keyword(*, sms: IncomingMessage, contact: Contact, message: Message) -> None:
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
        if contact_opt_in(contact=contact, keyword=keyword):
            MessageEvent.objects.create(
                message=message, event_type=MessageEvent.Type.OPT_IN, payload={"keyword": keyword}
            )
            logger.info("inbound %s opted contact %s back in (%s)", sms.message_sid, contact.pk, keyword)
    elif intent == "HELP":
        MessageEvent.objects.create(message=message, event_type=MessageEvent.Type.HELP, payload={"keyword": keyword})
