"""Phone numbers: parse anything people type into E.164, and format E.164 for people.

Everything goes through ``phonenumbers`` (libphonenumber); nothing here is hand-rolled.
"""

from __future__ import annotations

import re
import threading
import time

import phonenumbers
from django.conf import settings
from django.db.models import Q
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number."""


def default_region() -> str:
    return settings.PHONENUMBER_DEFAULT_REGION


def phone_region_clean(text: str) -> str:
    """A region as typed (``gb``, `` GB ``) as stored (``GB``), one phonenumbers has metadata for; empty stays
    empty (the default region). Raises ``ValueError`` saying why otherwise."""
    region = text.strip().upper()
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{text.strip()} is not a country code phone numbers know (such as US, GB or AU).")
    return region


# The region of each organization (``Organization.phone_region``, else the default), kept in this process for
# REGION_SECONDS: a contact's name is formatted in lists of hundreds without one query per row. A change is
# seen at once by the process that saved it (``remember_organization_region``) and within REGION_SECONDS by others.
REGION_SECONDS = 60.0
_regions: dict[int, tuple[str, float]] = {}
_regions_lock = threading.Lock()


def organization_region(organization_id: int | None) -> str:
    """Where an organization's numbers are read and shown nationally: its ``phone_region`` or the default."""
    if organization_id is None:
        return default_region()
    now = time.monotonic()
    with _regions_lock:
        known = _regions.get(organization_id)
    if known is not None and known[1] > now:
        return known[0]
    from smsinbox.models import Organization  # phones is below the models that use it

    region = Organization.objects.filter(pk=organization_id).values_list("phone_region", flat=True).first()
    region = region or default_region()
    with _regions_lock:
        _regions[organization_id] = (region, now + REGION_SECONDS)
    return region


def remember_organization_region(organization_id: int, region: str) -> None:
    """An organization was saved with this region (``Organization.save``): this process knows it at once."""
    with _regions_lock:
        _regions[organization_id] = (region, time.monotonic() + REGION_SECONDS)


def parse_phone(text: str, *, region: str | None = None, strict: bool = True) -> PhoneNumber:
    """Parse ``text`` typed any common way into a number, or raise ``InvalidPhoneNumber``.

    ``strict`` (staff input) requires a number libphonenumber knows to be valid; otherwise
    (numbers Twilio reports, searches) a number of possible length is enough, since
    libphonenumber's metadata lags behind real allocations and test ranges.
    """
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhoneNumber("Enter a phone number.")
    try:
        number = phonenumbers.parse(raw, region or default_region())
    except NumberParseException as exc:
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number ({exc._msg}).") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber(f"{raw!r} has the wrong number of digits for a phone number.")
    if strict and not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            f"{raw!r} is not a valid phone number. Use international format, for example +15551234567."
        )
    return number


def to_e164(text: str, *, region: str | None = None, strict: bool = True) -> str:
    """Return ``text`` as an E.164 string, or raise ``InvalidPhoneNumber``."""
    return phonenumbers.format_number(parse_phone(text, region=region, strict=strict), PhoneNumberFormat.E164)


def e164_or_none(text: str, *, region: str | None = None) -> str | None:
    """Return ``text`` as E.164 if it could be a phone number, else ``None`` (for searches)."""
    try:
        return to_e164(text, region=region, strict=False)
    except InvalidPhoneNumber:
        return None


def format_for_people(value: object, *, region: str | None = None) -> str:
    """National format in ``region`` (the default region when not given: ``(555) 123-4567``), international
    for a number of another region (``+44 20 7946 0018``)."""
    if value is None or value == "":
        return ""
    region = region or default_region()
    try:
        number = value if isinstance(value, PhoneNumber) else phonenumbers.parse(str(value), region)
    except NumberParseException:
        return str(value)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


PHONE_QUERY_MIN_DIGITS = 3  # an area code


def phone_query(field: str, text: str, *, region: str | None = None) -> Q | None:
    """Match a phone field against a number typed any common way: the whole number exactly in
    E.164 (an index lookup: ``(555) 123-4567`` finds ``+15551234567``), or a run of 3+ digits typed with or
    without formatting (``500``, ``555-01`` and ``(500) 555`` find ``+15005550123``: digits match digits)."""
    e164 = e164_or_none(text, region=region)
    digits = re.sub(r"\D", "", text)
    condition = Q()
    if e164:
        condition |= Q(**{field: e164})
    if len(digits) >= PHONE_QUERY_MIN_DIGITS and not re.search(r"[A-Za-z]", text):
        condition |= Q(**{f"{field}__contains": digits})
    return condition or None


def phone_country(value: object) -> str:
    """The country a number belongs to, for people (``United Kingdom``, ``United States``); empty when unknown."""
    from phonenumbers import geocoder

    try:
        number = value if isinstance(value, PhoneNumber) else phonenumbers.parse(str(value), None)
    except NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code
    )
    if not region or region == "ZZ":
        return ""
    return geocoder._region_display_name(region, "en") or region
