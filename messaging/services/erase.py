"""``contact_erase``: delete everything of a contact, here and at Twilio, leaving an audit row without content.

What goes, in one transaction: the contact and every row that references it or its conversation, found
by the database's own relations (Django's deletion collector follows every foreign key, so a model added
later goes too): conversation, messages, media rows, message events, notes and their mentions, label rows,
merged numbers (``ContactAlias``) and merge audits; files staff attached in the thread (their stored files
deleted once the transaction commits); the integrations outbox events whose payload names
the contact (its numbers, its id, its conversation), with their deliveries; the cached media bytes.
Left: one ``ContactErasure`` (who, when, counts by model, the Twilio outcome), no number and no name.

Twilio's copies: the message SIDs are kept on the erasure row only until deleted. A task enqueued in the
same transaction (``contact_erasure_twilio_task``) deletes each message's media and the message through
``messaging.twilio.client``, retried with backoff on transient failures (``ERASE_TWILIO_ATTEMPTS``),
and records the outcome: ``pending`` → ``done`` (all gone) or ``failed`` (some refused or still failing).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from conversations.canned_services import is_organization_admin
from conversations.merge import contact_numbers, conversation_removed_publish
from conversations.models import Contact, ContactErasure, ContactMerge, Conversation
from messaging.attachments.models import Attachment
from messaging.attachments.services import attachment_files_delete_on_commit
from messaging.models import Message, MessageMedia
from messaging.twilio import client
from smsinbox import events
from smsinbox.audit.services import Action, audit_forget_contact, audit_record
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.models import WebhookEvent
from smsinbox.models import Organization
from smsinbox.shapes import iso

logger = logging.getLogger(__name__)

ERASE_TWILIO_ATTEMPTS = 6
ERASE_TWILIO_BACKOFF = timedelta(seconds=30)  # doubled on every attempt


def _webhook_events_delete(*, contact: Contact, numbers: list[str], conversation_ids: list[int]) -> int:
    """Delete the organization's outbox events whose payload names the contact (deliveries go with them)."""
    text = Cast("data", TextField())
    names = Q(data__conversationId__in=conversation_ids) | Q(type__startswith="contact.", data__id=contact.pk)
    for number in numbers:
        names |= Q(data_text__contains=number)
    found = WebhookEvent.objects.filter(organization_id=contact.organization_id).annotate(data_text=text).filter(names)
    return found.delete()[1].get(WebhookEvent._meta.label, 0)


def _media_files_delete(media_ids: list[int]) -> int:
    """Delete the cached bytes of these media (``messaging.media``); return how many were cached."""
    cache = caches["media"]
    return sum(1 for pk in media_ids if cache.delete(f"media:{pk}"))


@transaction.atomic
def contact_erase(*, organization: Organization, user: AbstractBaseUser, contact: Contact) -> ContactErasure:
    """Erase ``contact`` (see the module docstring); only the organization's admins may.

    Lock order, as ``message_receive`` takes it: the contact's conversation rows, then the contact row; a
    text racing in waits and then starts a new contact (the person texted again after being erased).
    """
    from messaging.tasks import contact_erasure_twilio_task

    if contact.organization_id != organization.id:
        raise ServiceError.not_found("Contact")
    if not is_organization_admin(user=user, organization_id=organization.id):
        raise ServiceError("Only the organization's admins can erase a contact.", code="forbidden")
    conversations = list(Conversation.objects.select_for_update().filter(contact_id=contact.pk).order_by("pk"))
    contact = Contact.objects.select_for_update().filter(pk=contact.pk).first()
    if contact is None:
        raise ServiceError.not_found("Contact")
    conversation_ids = [c.pk for c in conversations]
    messages = Message.objects.filter(conversation_id__in=conversation_ids)
    sids = sorted(messages.exclude(twilio_sid=None).values_list("twilio_sid", flat=True))
    media_ids = list(MessageMedia.objects.filter(message__in=messages).values_list("pk", flat=True))
    attachments = Attachment.objects.filter(conversation_id__in=conversation_ids)
    attachment_files = list(attachments.values_list("file", flat=True))
    erased_id = contact.pk
    forget = [
        erased_id,
        *ContactMerge.objects.filter(kept_contact_id=erased_id).values_list("merged_contact_id", flat=True),
    ]
    events_removed = _webhook_events_delete(
        contact=contact, numbers=contact_numbers(contact), conversation_ids=conversation_ids
    )
    for conversation in conversations:
        conversation_removed_publish(conversation=conversation, reason="erased")
    _, removed = contact.delete()
    attachment_files_delete_on_commit(paths=attachment_files)  # the stored files go once the rows are gone
    erasure = ContactErasure.objects.create(
        organization=organization,
        erased_contact_id=erased_id,
        erased_by=user,
        removed=dict(sorted(removed.items())),
        media_files_removed=_media_files_delete(media_ids),
        webhook_events_removed=events_removed,
        twilio_status=ContactErasure.TwilioStatus.PENDING if sids else ContactErasure.TwilioStatus.NONE,
        twilio_pending=sids,
    )
    audit_forget_contact(organization_id=organization.id, contact_ids=forget)  # entries naming them go too
    audit_record(
        organization=organization,
        action=Action.CONTACT_ERASED,
        actor=user,
        target_type="contact",
        target_id=erased_id,
        label=f"contact #{erased_id}",
        changes={"erasure_id": erasure.pk},
    )
    # Integrations hear that the person is gone (their id only), after the events naming them were deleted above.
    events.publish_on_commit(
        organization_id=organization.id,
        event=None,
        payload={},
        outgoing=(WebhookEventType.CONTACT_ERASED,),
        outgoing_payload={"contact_id": erased_id, "erased_at": iso(erasure.erased_at)},
    )
    if sids:
        contact_erasure_twilio_task.enqueue(erasure.pk)
    logger.info("contact %s erased by user %s (erasure %s)", erased_id, user.pk, erasure.pk)
    return erasure


def erasure_twilio_delete(*, erasure_id: int) -> str:
    """Delete the erasure's pending messages at Twilio (one attempt); plan the next attempt or record the end.

    The task is the row's only writer after the erasure commits; each attempt stores what it achieved.
    """
    from messaging.tasks import contact_erasure_twilio_task

    erasure = ContactErasure.objects.filter(pk=erasure_id).first()
    if erasure is None or erasure.twilio_status != ContactErasure.TwilioStatus.PENDING:
        return "nothing to do"
    still: list[str] = []
    deleted = refused = 0
    error = ""
    for sid in erasure.twilio_pending:
        try:
            client.delete_message(sid)  # False: Twilio had no such message any more, which is as good
        except client.TwilioSendError as exc:
            error = exc.message[:300]
            if exc.transient:
                still.append(sid)
            else:
                refused += 1
            continue
        deleted += 1
    attempts = erasure.twilio_attempts + 1
    fields: dict[str, object] = {
        "twilio_pending": still,
        "twilio_deleted": erasure.twilio_deleted + deleted,
        "twilio_failed": erasure.twilio_failed + refused,
        "twilio_attempts": attempts,
        "twilio_error": error,
    }
    if still and attempts < ERASE_TWILIO_ATTEMPTS:
        ContactErasure.objects.filter(pk=erasure.pk).update(**fields)
        contact_erasure_twilio_task.using(
            run_after=timezone.now() + ERASE_TWILIO_BACKOFF * 2 ** (attempts - 1)
        ).enqueue(erasure.pk)
        return f"{len(still)} to retry"
    failed = refused + len(still)
    fields.update(
        twilio_pending=[],
        twilio_failed=erasure.twilio_failed + failed,
        twilio_status=ContactErasure.TwilioStatus.FAILED
        if failed or erasure.twilio_failed
        else ContactErasure.TwilioStatus.DONE,
        twilio_finished_at=timezone.now(),
    )
    ContactErasure.objects.filter(pk=erasure.pk).update(**fields)
    return str(fields["twilio_status"])
