"""``message_send_many``: what ``message_send`` does for each of many system texts (a broadcast's batch), set-based.

Each text is one ``message_send(sender=None, confirm=True, idempotency_key=…, send_at=…)``: a text of the
organization, not a staff reply (no send guard, no reply rules), to one contact, in that contact's one
conversation, with the same rules from the same functions (``_validate``, ``status_and_time``,
``sender_number``, ``reply_numbers``, ``new_message``, ``created_event``, ``conversations_touch``,
``announce_new_message``), and the same outcome per text: a new message (stored, its delivery task enqueued,
announced on commit), the message an earlier send with the same idempotency key stored, or a refusal (opted
out, a landline, an invalid body) that stores nothing for that text. What differs is the number of statements:
a few per batch for the reads, locks, inserts and conversation UPDATEs (one per distinct preview), and per
text only its task row (and what its live event's outgoing webhooks write).

Locks: every conversation of the batch (``SELECT … FOR UPDATE``, in id order), then every contact (in id order),
until the transaction ends: the order ``message_send`` and ``message_receive`` take them in, so a text racing
the batch waits, and an opt-out cannot slip in between the check and the insert. Idempotency keys are checked
under those locks: a send with the same key is to the same contact, so it waits for the batch or the batch
for it. Conversations missing are created first (``INSERT … ON CONFLICT DO NOTHING``: the unique
(organization, contact) constraint settles a race with an inbound text).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.models import Contact, Conversation
from conversations.payloads import opt_out_reason
from conversations.senders import conversation_sender_set
from conversations.services import conversations_touch, first_number, preview_for
from messaging.hours.models import QuietHours
from messaging.models import Message, MessageEvent, MessageMedia
from messaging.segments import segment_info
from messaging.services.announce import announce_new_message
from messaging.services.lookups import landline_refuse
from messaging.services.outbound import (
    created_event,
    new_message,
    reply_numbers,
    send_validate,
    sender_number,
    status_and_time,
)
from messaging.services.schedule import send_at_check
from messaging.statuses import MessageStatus
from smsinbox.errors import ServiceError
from smsinbox.integrations.outbox import outbox_endpoints_read_once
from smsinbox.models import Organization, PhoneNumber
from smsinbox.parsing import clean_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One system text of a set-based send: to ``contact`` (of the organization), due at once or at ``send_at``,
    from ``from_number`` (its conversation moves there, ``conversation_sender_set``, as with ``message_send``'s
    ``from_number_id``) or from the conversation's own number (sticky sender, ``sender_number``)."""

    contact: Contact
    body: str
    idempotency_key: str
    send_at: datetime | None = None
    from_number: PhoneNumber | None = None  # the organization's number it goes from; None: the conversation's
    broadcast_id: int | None = None  # the broadcast it is part of (a thread moved for it says so)
    actor_id: int | None = None  # who sent it (the broadcast's admin): named where its thread moved


@dataclass(frozen=True)
class Sent:
    """What became of one ``Outgoing``: its message (``created``: stored now, else an earlier send's), or why not."""

    message: Message | None = None
    created: bool = False
    refusal: ServiceError | None = None


def _checked(organization: Organization, outgoing: Outgoing) -> tuple[str, datetime | None, ServiceError | None]:
    """The cleaned body, when it goes (``send_at``; a time already come is at once: the caller computed it, a
    moment ago, as the contact's quiet hours' opening), and the refusal ``message_send`` would answer before taking
    any lock."""
    body = clean_text(outgoing.body)
    send_at = outgoing.send_at if outgoing.send_at is not None and outgoing.send_at > timezone.now() else None
    try:
        send_validate(body=body, media_urls=(), idempotency_key=outgoing.idempotency_key)
        if send_at is not None:
            send_at_check(send_at=send_at)
        if outgoing.contact.organization_id != organization.id:
            raise ServiceError.not_found("Contact", field="contactId")
        if outgoing.from_number is not None and outgoing.from_number.organization_id != organization.id:
            raise ServiceError.not_found("Phone number", field="fromNumberId")
    except ServiceError as exc:
        return body, send_at, exc
    return body, send_at, None


def _refusal(contact: Contact) -> ServiceError | None:
    """Why no text may go to ``contact`` (``message_send``'s checks under its locks): opted out, or a landline."""
    if contact.is_opted_out:
        return ServiceError(opt_out_reason(contact), code="opted_out", field="contactId")
    try:
        landline_refuse(contact=contact)  # Lookup said landline: Twilio would fail it (30006)
    except ServiceError as exc:
        return exc
    return None


def _locked(
    organization: Organization, contact_ids: set[int], starts: dict[int, PhoneNumber]
) -> tuple[dict[int, Conversation], dict[int, Contact], set[int]]:
    """Each contact's conversation and the contact, both locked (see the module docstring), by contact id. A missing
    conversation is started on the number its text goes from (``starts``, by contact id), else on the
    organization's first (``conversation_start``'s rule). Also returns the contact ids whose conversation was
    missing when this began (the caller deletes those it then refuses to text: ``message_send``'s refusal rolls
    its start back)."""
    have = set(
        Conversation.objects.filter(organization=organization, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )
    if missing := contact_ids - have:
        first = None if all(pk in starts for pk in missing) else first_number(organization=organization)
        Conversation.objects.bulk_create(
            [
                Conversation(organization=organization, contact_id=pk, phone_number=starts.get(pk) or first)
                for pk in sorted(missing)
            ],
            ignore_conflicts=True,
        )
    conversations = {
        c.contact_id: c
        for c in Conversation.objects.select_for_update(of=("self",))
        .select_related("assignee")
        .prefetch_related("labels")
        .filter(organization=organization, contact_id__in=contact_ids)
        .order_by("id")
    }
    contacts = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=contact_ids).order_by("id")}
    numbers = {n.pk: n for n in organization.phone_numbers.all()}  # a handful, read once, not once a row
    for contact_id, conversation in conversations.items():
        conversation.organization, conversation.phone_number = organization, numbers[conversation.phone_number_id]
        conversation.contact = contacts[contact_id]
    return conversations, contacts, missing


@transaction.atomic
def message_send_many(
    *, organization: Organization, outgoing: Sequence[Outgoing], quiet: QuietHours | None = None
) -> list[Sent]:
    """Store and enqueue each of ``outgoing`` as ``message_send`` would (see the module docstring), in one
    transaction; one ``Sent`` per entry, in order. ``quiet``: the organization's quiet hours, when the caller
    has them (for a ``send_at`` that Twilio's scheduler holds)."""
    from messaging.tasks import message_deliver_task

    results: list[Sent | None] = [None] * len(outgoing)
    bodies: dict[int, str] = {}
    due: dict[int, datetime | None] = {}
    for i, entry in enumerate(outgoing):
        body, due[i], refusal = _checked(organization, entry)
        if refusal is not None:
            results[i] = Sent(refusal=refusal)
        else:
            bodies[i] = body
    if not bodies:
        return [r for r in results if r is not None]
    starts = {outgoing[i].contact.pk: outgoing[i].from_number for i in bodies if outgoing[i].from_number is not None}
    conversations, contacts, started = _locked(organization, {outgoing[i].contact.pk for i in bodies}, starts)
    earlier = {
        m.idempotency_key: m
        for m in Message.objects.filter(
            organization=organization, idempotency_key__in=[outgoing[i].idempotency_key for i in bodies]
        )
    }
    to_store: list[tuple[int, str]] = []
    for i in bodies:
        entry, contact = outgoing[i], contacts[outgoing[i].contact.pk]
        if entry.idempotency_key in earlier:
            results[i] = Sent(message=earlier[entry.idempotency_key])
        elif (refusal := _refusal(contact)) is not None:
            results[i] = Sent(refusal=refusal)
        else:
            to_store.append((i, bodies[i]))
    refused_new = started - {outgoing[i].contact.pk for i, _ in to_store}
    if refused_new:  # started here for a text then refused: none is kept (one an inbound text started has it)
        Conversation.objects.filter(
            pk__in=[conversations[pk].pk for pk in refused_new], messages__isnull=True
        ).delete()
    if not to_store:
        return [r for r in results if r is not None]

    texted = [conversations[outgoing[i].contact.pk] for i, _ in to_store]
    for (i, _), conversation in zip(to_store, texted, strict=True):
        chosen = outgoing[i].from_number
        if chosen is not None and chosen.pk != conversation.phone_number_id:  # its own savepoint: only a move
            conversation_sender_set(
                conversation=conversation, phone_number=chosen, actor_id=outgoing[i].actor_id,
                broadcast_id=outgoing[i].broadcast_id,
            )  # fmt: skip
    to_numbers = reply_numbers(conversations=list({c.pk: c for c in texted}.values()))
    messages: list[Message] = []
    infos = []
    for (i, body), conversation in zip(to_store, texted, strict=True):
        chosen = outgoing[i].from_number
        status, send_at = status_and_time(
            number=chosen or conversation.phone_number, contact=conversation.contact, send_at=due[i],
            quiet=quiet,
        )  # fmt: skip
        info = segment_info(body)
        infos.append(info)
        messages.append(
            new_message(
                conversation=conversation,
                from_number=str(chosen.number) if chosen is not None else sender_number(conversation=conversation),
                to_number=to_numbers[conversation.pk],
                body=body,
                info=info,
                status=status,
                send_at=send_at,
                idempotency_key=outgoing[i].idempotency_key,
            )
        )
    Message.objects.bulk_create(messages)
    if messages and messages[0].pk is None:  # a database that returns no ids from a bulk insert: by their keys
        ids = dict(
            Message.objects.filter(
                organization=organization, idempotency_key__in=[m.idempotency_key for m in messages]
            ).values_list("idempotency_key", "pk")
        )
        for message in messages:
            message.pk = ids[message.idempotency_key]
    MessageEvent.objects.bulk_create([created_event(m, info=info) for m, info in zip(messages, infos, strict=True)])
    conversations_touch(
        touches=[(m.conversation, preview_for(m.body, has_media=False)) for m in messages], wake=False
    )  # staff's own text leaves a snooze as it is, and so does the organization's
    with outbox_endpoints_read_once(organization_id=organization.pk):
        for (i, _), message in zip(to_store, messages, strict=True):
            message._prefetched_objects_cache = {"media": MessageMedia.objects.none()}  # none: no query to say so
            if message.status == MessageStatus.PENDING:
                message_deliver_task.enqueue(message.pk)
            announce_new_message(message, conversation_current=True)
            results[i] = Sent(message=message, created=True)
    logger.info("%s messages queued for organization %s", len(messages), organization.pk)
    return [r for r in results if r is not None]
