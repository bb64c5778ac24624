"""An organization's contacts as CSV rows, read in chunks (a download never loads them all)."""

from __future__ import annotations

from collections.abc import Iterator

import phonenumbers
from django.db.models import CharField
from django.db.models.functions import Cast
from phonenumbers import PhoneNumberFormat

from conversations.models import Contact
from smsinbox.models import Organization

CONTACT_EXPORT_HEADER = (
    "phone_e164",
    "phone_national",
    "first_name",
    "last_name",
    "opted_out",
    "opt_out_method",
    "opt_out_keyword",
    "opted_out_at",
    "created_at",
    "line_type",
    "line_type_checked_at",
)
EXPORT_CHUNK = 500  # rows a fetch holds: ~0.8 kB each in Python; the query is one (a cursor), not one per chunk


def _national(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return ""


def contacts_export_rows(*, organization: Organization, chunk_size: int = EXPORT_CHUNK) -> Iterator[tuple[str, ...]]:
    """The header, then one row per contact of ``organization`` (by id), fetched ``chunk_size`` at a time.

    Dates are ISO 8601 in UTC (a spreadsheet of contacts is shared between people in different zones).
    Opt-out columns say how and when a person opted out; an empty ``opted_out_at`` means they have not.
    ``line_type`` is what Twilio Lookup last said of the number (``landline``, ``mobile``, …; empty: unchecked).
    """
    yield CONTACT_EXPORT_HEADER
    rows = (
        Contact.objects.filter(organization=organization)
        .order_by("pk")
        # The stored E.164 text, not the field's PhoneNumber objects (a chunk of those weighs ~0.7 kB a row).
        .annotate(e164=Cast("phone", CharField()))
        .values_list(
            "e164",
            "first_name",
            "last_name",
            "opted_out_at",
            "opt_out_method",
            "opt_out_keyword",
            "created_at",
            "line_type",
            "line_type_checked_at",
        )
        .iterator(chunk_size=chunk_size)
    )
    for e164, first, last, opted_out_at, method, keyword, created_at, line_type, checked_at in rows:
        yield (
            e164,
            _national(e164),
            first,
            last,
            "yes" if opted_out_at else "no",
            method,
            keyword,
            opted_out_at.isoformat() if opted_out_at else "",
            created_at.isoformat(),
            line_type,
            checked_at.isoformat() if checked_at else "",
        )
