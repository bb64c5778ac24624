"""Checks of ``POST …/Messages.json`` in Twilio's order, with Twilio's error codes (REFERENCE §6, §8, §10).

Scheduling (``ScheduleType``/``SendAt``): 35126 for a ``ScheduleType`` other than ``fixed``, 35118
without a Messaging Service, 35111 without ``SendAt``; then by case: 35114 "Scheduling does not
support this timestamp" for a ``SendAt`` that is not an ISO-8601 UTC timestamp, 35115 for one less
than 300 s ahead (in the past included), 35117 for one more than 35 days ahead. ``ValidityPeriod``:
90014 when it is not a positive integer, 90007 above 36,000 s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import phonenumbers

from .resources import TwilioApiError
from .rules import body_too_long

MAX_MEDIA = 10
SCHEDULE_MIN = timedelta(minutes=5)
SCHEDULE_MAX = timedelta(days=35)
VALIDITY_PERIOD_MAX = 36000  # seconds (10 h), Twilio's default and maximum
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

# Twilio's magic test "To" numbers (test credentials) → the error they provoke.
MAGIC_TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number {to} is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: {to}, is not currently reachable via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region indicated by {to}."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number {to} is not a valid mobile number"),
}


@dataclass(frozen=True)
class CreateRequest:
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    media_urls: tuple[str, ...]
    status_callback: str
    send_at: datetime | None
    validity_period: int | None = None


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip() if name != "Body" else values[0]


def _bad(code: int, message: str) -> TwilioApiError:
    return TwilioApiError(400, code, message)


def is_possible_number(value: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _send_at(raw: str, now: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(35114, "Scheduling does not support this timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < now + SCHEDULE_MIN:
        raise _bad(35115, "SendAt time must be between 300 seconds and 35 days in the future, inclusive.")
    if moment > now + SCHEDULE_MAX:
        raise _bad(35117, "SendAt time must be no more than 35 days in the future.")
    return moment


def _validity_period(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise _bad(90014, "Validity Period should be positive integer")
    if int(raw) > VALIDITY_PERIOD_MAX:
        raise _bad(90007, f"Invalid validity period value: it must be between 1 and {VALIDITY_PERIOD_MAX} seconds")
    return int(raw)


def parse_create(
    form: Mapping[str, list[str]],
    *,
    owns_number: Callable[[str], bool],
    opted_out: Callable[[str | None, str | None, str], bool],
    now: datetime,
) -> CreateRequest:
    """Return the validated request, or raise :class:`TwilioApiError` as Twilio would answer."""
    to = _first(form, "To")
    from_ = _first(form, "From") or None
    service = _first(form, "MessagingServiceSid") or None
    body = _first(form, "Body")
    media = tuple(url.strip() for url in form.get("MediaUrl", []) if url.strip())
    callback = _first(form, "StatusCallback")

    if not to:
        raise _bad(21604, "A 'To' phone number is required.")
    if not is_possible_number(to):
        raise _bad(21211, f"The 'To' number {to} is not a valid phone number.")
    if service is not None and not MESSAGING_SERVICE_SID.match(service):
        raise _bad(21701, f"The Messaging Service Sid {service} is invalid.")
    if from_ is None and service is None:
        raise _bad(21603, "A 'From' phone number is required.")
    if from_ is not None and not owns_number(from_):
        raise _bad(
            21606,
            f"The From phone number {from_} is not a valid, SMS-capable inbound phone number or short code "
            "for your account.",
        )
    if not body and not media:
        raise _bad(21619, "A text message body or media urls must be specified.")
    if body_too_long(body):  # counted as Twilio counts it: an emoji is two
        raise _bad(21617, "The concatenated message body exceeds the 1600 character limit.")
    if len(media) > MAX_MEDIA:
        raise _bad(21623, "Number of media files exceeds allowed limit")
    if not all(_http_url(url) for url in media):
        raise _bad(21620, "Invalid media URL(s)")
    if callback and not _http_url(callback):
        raise _bad(21609, "Invalid StatusCallback url")
    if to in MAGIC_TO_ERRORS:
        code, text = MAGIC_TO_ERRORS[to]
        raise _bad(code, text.format(to=to))
    if opted_out(from_, service, to):
        raise _bad(21610, "Attempt to send to unsubscribed recipient")
    validity_period = _validity_period(_first(form, "ValidityPeriod"))

    send_at = None
    schedule_type = _first(form, "ScheduleType")
    if schedule_type and schedule_type != "fixed":
        raise _bad(35126, f"Invalid ScheduleType {schedule_type!r}: the only supported value is 'fixed'")
    if schedule_type == "fixed":
        if service is None:
            raise _bad(35118, "MessagingServiceSid is required to schedule a message")
        raw = _first(form, "SendAt")
        if not raw:
            raise _bad(35111, "SendAt timestamp is missing")
        send_at = _send_at(raw, now)
    return CreateRequest(
        to=to,
        from_=from_,
        messaging_service_sid=service,
        body=body,
        media_urls=media,
        status_callback=callback,
        send_at=send_at,
        validity_period=validity_period,
    )
