"""Twilio Lookup line types: check a contact's number, check an import's numbers, refuse sends to landlines.

``Contact.line_type`` is what Lookup v2 (``line_type_intelligence``) last said of the number and
``line_type_checked_at`` when (both set or both empty: a constraint). A lookup is a paid network call: it runs
outside any transaction, and only what it found is written, in a short one. A failed lookup writes nothing
(the number stays as it was: unchecked, or its earlier type).
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conversations.models import Contact, ContactImport
from messaging.twilio import client
from smsinbox.errors import ServiceError
from smsinbox.models import Organization

logger = logging.getLogger(__name__)

LANDLINE = Contact.LineType.LANDLINE
LANDLINE_REFUSAL = (
    "This number is a landline (Twilio Lookup): it cannot receive texts, and Twilio would refuse the send "
    "(30006: landline or unreachable carrier). Ask the contact for a mobile number."
)


def _line_type(number: str) -> str:
    """Lookup's type of ``number`` as a ``Contact.LineType`` value (a type we do not know reads ``unknown``)."""
    found = client.lookup_line_type(number)
    return found.type if found.type in Contact.LineType.values else Contact.LineType.UNKNOWN


def contact_line_type_check(
    *, organization: Organization, contact_id: int, actor: AbstractBaseUser | None = None
) -> Contact:
    """Ask Twilio Lookup what the contact's number is and keep the answer (``actor`` for the log only)."""
    contact = Contact.objects.filter(organization=organization, pk=contact_id).first()
    if contact is None:
        raise ServiceError.not_found("Contact")
    try:
        line_type = _line_type(contact.phone.as_e164)
    except client.TwilioSendError as exc:
        raise ServiceError(
            f"Twilio Lookup did not answer: {exc.message} Try again later.", code="lookup_failed"
        ) from exc
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(
            line_type=line_type, line_type_checked_at=timezone.now(), updated_at=timezone.now()
        )
    logger.info("contact %s line type %s (checked by %s)", contact.pk, line_type, getattr(actor, "pk", None))
    contact.refresh_from_db()
    return contact


def contact_import_line_types_check(*, import_id: int, numbers: list[str]) -> int:
    """Check the numbers an import batch created or updated; count the landlines on the import.

    One lookup per number, outside any transaction; a number Lookup cannot answer for stays unchecked (logged).
    Returns how many were landlines.
    """
    job = ContactImport.objects.filter(pk=import_id).only("organization_id").first()
    if job is None:
        return 0
    now, landlines, failed = timezone.now(), 0, 0
    found: dict[str, list[str]] = {}
    for number in numbers:
        try:
            found.setdefault(_line_type(number), []).append(number)
        except client.TwilioSendError:
            failed += 1
    landlines = len(found.get(LANDLINE, []))
    with transaction.atomic():
        for line_type, same in found.items():
            Contact.objects.filter(organization_id=job.organization_id, phone__in=same).update(
                line_type=line_type, line_type_checked_at=now
            )
        if landlines:
            ContactImport.objects.filter(pk=import_id).update(landlines=F("landlines") + landlines)
    if failed:
        logger.warning("contact import %s: Lookup failed for %s of %s numbers", import_id, failed, len(numbers))
    return landlines


def contact_import_launch(
    *, organization: Organization, import_id: int, mapping: dict[str, int], check_line_types: bool
) -> ContactImport:
    """Start a draft import (``conversations.import_jobs.contact_import_start``); with ``check_line_types`` its
    task also checks each number it creates or updates with Twilio Lookup, flagging landlines."""
    from conversations.import_jobs import contact_import_start
    from messaging.tasks import contact_import_checked_task

    return contact_import_start(
        organization=organization,
        import_id=import_id,
        mapping=mapping,
        check_line_types=check_line_types,
        task=contact_import_checked_task if check_line_types else None,
    )


def landline_refuse(*, contact: Contact) -> None:
    """Refuse a send to a number Lookup said is a landline (409 ``landline``; Twilio would fail it with 30006)."""
    if contact.line_type == LANDLINE:
        raise ServiceError(LANDLINE_REFUSAL, code="landline", field="contactId")
