"""``message_send``: store an outbound message and enqueue its delivery, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from conversations.canned import unfilled_placeholder_check
from conversations.models import Contact, ContactAlias, Conversation
from conversations.payloads import opt_out_reason
from conversations.senders import conversation_sender_set, phone_number_choose
from conversations.services import conversation_lock, conversation_start, conversation_touch, preview_for
from messaging.attachments.services import attachments_for_send, attachments_mark_sent, public_url
from messaging.hours.models import QuietHours
from messaging.hours.quiet import quiet_hours_next_open
from messaging.models import Direction, Message, MessageEvent, MessageMedia
from messaging.segments import MAX_BODY_CHARACTERS, MAX_MEDIA, SegmentInfo, is_too_long, segment_info
from messaging.services.announce import announce_new_message
from messaging.services.delivery import twilio_schedules
from messaging.services.guard import guard_check, reply_rules_apply
from messaging.services.lookups import landline_refuse
from messaging.services.schedule import send_at_check
from messaging.statuses import MessageStatus
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, PhoneNumber, User
from smsinbox.parsing import clean_text, is_http_url

logger = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 255


@dataclass
class SendResult:
    message: Message
    created: bool  # False when the idempotency key named an earlier send


def send_validate(*, body: str, media_urls: Sequence[str], idempotency_key: str | None, attachments: int = 0) -> None:
    """A clear refusal of what no send may carry: nothing to send, a body too long or with a placeholder left,
    too many or non-http(s) media, a bad idempotency key."""
    if not body.strip() and not media_urls and not attachments:
        raise ServiceError("Missing required fields: contactId and message", field="message")
    if is_too_long(body):
        raise ServiceError(f"Message too long. Maximum {MAX_BODY_CHARACTERS} characters.", field="message")
    unfilled_placeholder_check(body)
    if len(media_urls) > MAX_MEDIA:
        raise ServiceError(f"Too many attachments. Maximum {MAX_MEDIA} images.", field="mediaUrls")
    for url in media_urls:
        if not is_http_url(url):
            raise ServiceError(f"Media URL {url[:80]!r} must be an http(s) URL.", field="mediaUrls")
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY):
        raise ServiceError(f"idempotencyKey must be 1 to {MAX_IDEMPOTENCY_KEY} characters.", field="idempotencyKey")
    if idempotency_key is not None and "\x00" in idempotency_key:
        raise ServiceError("idempotencyKey must not contain null characters.", field="idempotencyKey")


def reply_number(*, conversation: Conversation, contact: Contact) -> str:
    """Where a text to ``contact`` goes: the number they last texted this thread from, while it is still theirs
    (their own, or one merged into them: ``ContactAlias``); else their own number."""
    conversation.contact = contact
    return reply_numbers(conversations=[conversation])[conversation.pk]


def reply_numbers(*, conversations: Sequence[Conversation]) -> dict[int, str]:
    """``reply_number`` of each conversation (with its ``contact``), by conversation id, in two queries at most."""
    last_inbound = (
        Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values("from_number")[:1]
    )
    last = dict(
        Conversation.objects.filter(pk__in=[c.pk for c in conversations])
        .annotate(last=Subquery(last_inbound))
        .values_list("pk", "last")
    )
    own = {c.pk: str(c.contact.phone) for c in conversations}
    other = {c.pk: (c.contact_id, last[c.pk]) for c in conversations if last.get(c.pk) not in (None, "", own[c.pk])}
    if not other:
        return own
    aliases = ContactAlias.objects.filter(
        contact_id__in={contact_id for contact_id, _ in other.values()}, phone__in={n for _, n in other.values()}
    ).values_list("contact_id", "phone")
    theirs = {(contact_id, str(phone)) for contact_id, phone in aliases}
    return {pk: other[pk][1] if other.get(pk) in theirs else number for pk, number in own.items()}


def sender_number(*, conversation: Conversation) -> str:
    """Where a text in ``conversation`` goes from (sticky sender): the conversation's number (which follows the
    number the customer last texted, ``conversations.senders``), or, when that number sends through a Messaging
    Service and the customer last texted another sender of the service's pool that the inbox does not list, that
    sender, so the reply comes from the number they texted."""
    number = conversation.phone_number
    if not number.messaging_service_sid:
        return str(number.number)
    texted = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("to_number", flat=True)
        .first()
    )
    if texted and not PhoneNumber.objects.filter(number=texted).exists():
        return texted
    return str(number.number)


def status_and_time(
    *, number: PhoneNumber, contact: Contact, send_at: datetime | None, quiet: QuietHours | None = None
) -> tuple[str, datetime | None]:
    """A new message's status and ``send_at``: ``scheduled`` for later (our scheduler hands it over), else
    ``pending``. A later one that Twilio's own scheduler holds (``twilio_schedules``) is ``pending`` too, handed over
    now, due when the contact's quiet hours allow (``quiet``: the organization's settings, when the caller has
    them)."""
    if send_at is None:
        return MessageStatus.PENDING, None
    if twilio_schedules(number=number, send_at=send_at, now=timezone.now()):
        return MessageStatus.PENDING, quiet_hours_next_open(contact, send_at, quiet=quiet)
    return MessageStatus.SCHEDULED, send_at


def new_message(
    *,
    conversation: Conversation,
    from_number: str,
    to_number: str,
    body: str,
    info: SegmentInfo,
    status: str,
    send_at: datetime | None,
    num_media: int = 0,
    sender: User | None = None,
    idempotency_key: str | None = None,
    retry_of: Message | None = None,
    automatic: bool = False,
) -> Message:
    """An outbound message of ``conversation``, not saved yet (``message_send`` saves one, ``message_send_many``
    many at once)."""
    return Message(
        organization_id=conversation.organization_id,
        conversation=conversation,
        direction=Direction.OUTBOUND,
        from_number=from_number,
        to_number=to_number,
        body=body,
        status=status,
        send_at=send_at,
        num_segments=info.segments,
        encoding=info.encoding,
        num_media=num_media,
        sent_by=sender,
        idempotency_key=idempotency_key,
        retry_of=retry_of,
        automatic=automatic,
    )


def created_event(message: Message, *, info: SegmentInfo) -> MessageEvent:
    """The ``created`` event of a new outbound message (saved by the caller)."""
    return MessageEvent(
        message=message,
        event_type=MessageEvent.Type.CREATED,
        status=message.status,
        payload={
            "sent_by": message.sent_by_id,
            "segments": info.segments,
            "encoding": info.encoding,
            **({"send_at": message.send_at.isoformat()} if message.send_at is not None else {}),
        },
    )


@transaction.atomic
def message_send(
    *,
    organization: Organization,
    sender: User | None,
    contact: Contact,
    body: str,
    media_urls: Sequence[str] = (),
    idempotency_key: str | None = None,
    last_seen_message_id: int | None = None,
    confirm: bool = False,
    take_over: bool = False,
    retry_of: Message | None = None,
    send_at: datetime | None = None,
    automatic: bool = False,
    from_number_id: int | None = None,
    attachment_ids: Sequence[int] = (),
) -> SendResult:
    """Store an outbound message (status ``pending``) and enqueue its delivery task with it.

    One transaction holds the message, its media, its conversation's new preview and the
    task row (django-tasks' database backend inserts it here): a transactional outbox, so
    a message is never sent without being stored, nor stored without being sent.
    Idempotent per organization on ``idempotency_key``: a repeat returns the first message
    and enqueues nothing (before any other check: a confirmed retry never texts twice).
    Refuses opted-out contacts with the reason, and numbers Twilio Lookup said are landlines (``landline``).
    ``retry_of``: the failed message this one resends
    (``messages_retry``). ``send_at``: send later — stored as ``scheduled`` (checked by ``send_at_check``) and
    enqueued by nothing now: the scheduler's sweep hands it to delivery at its time (``messaging.services.schedule``).
    ``automatic``: sent by the system, not by staff (``messaging.services.autoreply``; ``sender`` is None).
    ``from_number_id``: the organization's number to send from (the composer's "From"); the conversation moves to
    it (``conversation_sender_set``). Without it, the conversation's number (sticky sender, ``sender_number``).
    ``attachment_ids``: unsent uploads of this conversation (``messaging.attachments``), sent as media after
    ``media_urls`` through their public URLs (checked and locked by ``attachments_for_send``).

    Lock: the conversation row (``conversation_lock``, ``SELECT … FOR UPDATE``), then the contact
    row — the order ``message_receive`` takes them in — are held until the transaction ends.
    Every message of a conversation is inserted under its row lock, so the send guard
    (``last_seen_message_id``; ``confirm`` skips it) and the reply rules (``take_over``) read
    the conversation as it stands: of two guarded replies racing from the same view, the second
    waits, then sees the first and is refused (``messaging.services.guard``).
    """
    from messaging.tasks import message_deliver_task

    body = clean_text(body)
    media_urls = [u.strip() for u in media_urls]
    send_validate(body=body, media_urls=media_urls, idempotency_key=idempotency_key, attachments=len(attachment_ids))
    if send_at is not None:
        send_at_check(send_at=send_at)
    if contact.organization_id != organization.id:
        raise ServiceError.not_found("Contact", field="contactId")
    chosen = (
        phone_number_choose(organization=organization, phone_number_id=from_number_id)
        if from_number_id is not None
        else None
    )
    if idempotency_key is not None:
        earlier = Message.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return SendResult(message=earlier, created=False)
    started = conversation_start(organization=organization, contact=contact)
    conversation = conversation_lock(conversation_id=started.pk)  # see the docstring: lock order
    contact = Contact.objects.select_for_update().get(pk=contact.pk)  # an opt-out cannot slip in between
    if contact.is_opted_out:
        raise ServiceError(opt_out_reason(contact), code="opted_out", field="contactId")
    landline_refuse(contact=contact)  # Lookup said landline: Twilio would fail it (30006)
    if idempotency_key is not None:  # again, under the lock: a racing repeat of this key stored it meanwhile
        earlier = Message.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return SendResult(message=earlier, created=False)
    if not confirm:
        guard_check(conversation=conversation, sender=sender, last_seen_message_id=last_seen_message_id)
    reply_rules_apply(conversation=conversation, sender=sender, take_over=take_over)
    attachments = attachments_for_send(
        organization=organization, conversation=conversation, attachment_ids=attachment_ids, other_media=len(media_urls)
    )

    if chosen is not None and chosen.pk != conversation.phone_number_id:
        conversation_sender_set(conversation=conversation, phone_number=chosen, actor_id=sender.pk if sender else None)
    elif conversation.phone_number_id == started.phone_number_id:  # else it moved meanwhile: read it locked
        conversation.phone_number = started.phone_number
    status, send_at = status_and_time(number=chosen or conversation.phone_number, contact=contact, send_at=send_at)
    info = segment_info(body)
    message = new_message(
        conversation=conversation,
        from_number=str(chosen.number) if chosen is not None else sender_number(conversation=conversation),
        to_number=reply_number(conversation=conversation, contact=contact),
        body=body,
        info=info,
        status=status,
        send_at=send_at,
        num_media=len(media_urls) + len(attachments),
        sender=sender,
        idempotency_key=idempotency_key,
        retry_of=retry_of,
        automatic=automatic,
    )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        earlier = Message.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
        if idempotency_key is None or earlier is None:
            raise
        return SendResult(message=earlier, created=False)
    MessageMedia.objects.bulk_create(
        [
            *(MessageMedia(message=message, position=i, url=url) for i, url in enumerate(media_urls)),
            *(
                MessageMedia(
                    message=message, position=len(media_urls) + i, url=public_url(a), content_type=a.content_type
                )
                for i, a in enumerate(attachments)
            ),
        ]
    )
    attachments_mark_sent(
        message_id=message.pk, attachments=attachments, first_position=len(media_urls), send_at=send_at
    )
    created_event(message, info=info).save(force_insert=True)
    conversation_touch(
        conversation=conversation,
        preview=preview_for(body, has_media=bool(media_urls or attachments)),
        wake=False,
        actor_id=sender.pk if sender else None,
    )  # staff's own text leaves a snooze as it is
    if status == MessageStatus.PENDING:
        message_deliver_task.enqueue(message.pk)

    announce_new_message(message)
    logger.info(
        "message %s %s for %s by user %s", message.pk, "scheduled" if send_at else "queued", contact.pk,
        sender.pk if sender else None,
    )  # fmt: skip
    return SendResult(message=message, created=True)
