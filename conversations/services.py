"""Writes for contacts and conversations.

Races are settled by the database: every find-or-create here rests on a unique constraint
(``contact_unique_org_phone``, ``conversation_unique_org_contact``), so two requests that
race to create the same row end with one row, never two.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from conversations.models import MEDIA_PREVIEW, PREVIEW_LENGTH, Contact, Conversation
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, PhoneNumber
from smsinbox.phones import InvalidPhoneNumber, format_for_people, to_e164


def preview_for(body: str, *, has_media: bool) -> str:
    """Return the conversation-list preview of a message: its first line of text, or ``[Media]``."""
    text = " ".join(body.split())
    if not text:
        return MEDIA_PREVIEW if has_media else ""
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


@transaction.atomic
def contact_create(*, organization: Organization, phone: str, first_name: str = "", last_name: str = "") -> Contact:
    """Create a contact from a number typed any common way; refuse a duplicate by naming it."""
    try:
        e164 = to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise ServiceError(str(exc), field="phone") from exc
    try:
        with transaction.atomic():
            return Contact.objects.create(
                organization=organization, phone=e164, first_name=first_name.strip(), last_name=last_name.strip()
            )
    except IntegrityError:
        existing = Contact.objects.filter(organization=organization, phone=e164).first()
        if existing is None:
            raise
        raise ServiceError(
            f"{format_for_people(e164)} is already saved as {existing.display_name} (contact #{existing.pk}).",
            code="duplicate",
            field="phone",
        ) from None


def contact_get_or_create(*, organization: Organization, e164: str) -> tuple[Contact, bool]:
    """Find the contact with this exact E.164 number by index, or create an unnamed one.

    Race-safe: concurrent callers end with one contact (``get_or_create`` retries the
    lookup when the unique constraint rejects the second insert).
    """
    return Contact.objects.get_or_create(organization=organization, phone=e164)


def conversation_get_or_create(
    *, organization: Organization, contact: Contact, phone_number: PhoneNumber
) -> tuple[Conversation, bool]:
    """Find the organization's one conversation with ``contact``, or create it on ``phone_number``.

    Race-safe through ``conversation_unique_org_contact``. Refuses a contact or number of
    another organization.
    """
    if contact.organization_id != organization.id or phone_number.organization_id != organization.id:
        raise ServiceError("The contact and the number must belong to the same organization.")
    return Conversation.objects.get_or_create(
        organization=organization, contact=contact, defaults={"phone_number": phone_number}
    )


def conversation_touch(*, conversation: Conversation, preview: str, unread_increment: int = 0) -> None:
    """Record new activity: preview, time, reopen, and add to the unread count atomically (``F()``)."""
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_preview=preview,
        last_message_at=now,
        unread_count=F("unread_count") + unread_increment,
        status=Conversation.Status.OPEN,
        updated_at=now,
    )


def contact_opt_out(*, contact: Contact, method: str, keyword: str = "", message_id: int | None = None) -> bool:
    """Mark ``contact`` as unsubscribed unless it already is; return whether anything changed.

    A conditional UPDATE, so concurrent opt-outs record the first one only.
    """
    changed = Contact.objects.filter(pk=contact.pk, opted_out_at__isnull=True).update(
        opted_out_at=timezone.now(),
        opt_out_method=method,
        opt_out_keyword=keyword[:20],
        opt_out_message_id=message_id,
        updated_at=timezone.now(),
    )
    if changed:
        contact.refresh_from_db(fields=["opted_out_at", "opt_out_method", "opt_out_keyword", "opt_out_message"])
    return bool(changed)


def contact_opt_in(*, contact: Contact) -> bool:
    """Clear an opt-out (the person texted START); return whether anything changed."""
    changed = Contact.objects.filter(pk=contact.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, opt_out_method="", opt_out_keyword="", opt_out_message=None, updated_at=timezone.now()
    )
    if changed:
        contact.refresh_from_db(fields=["opted_out_at", "opt_out_method", "opt_out_keyword", "opt_out_message"])
    return bool(changed)
