"""The emulator's records and their JSON, shaped like Twilio's 2010-04-01 REST resources.

Field names follow Twilio's OpenAPI spec (``api.v2010.account.message``, ``…message.media``,
``…incoming_phone_number``). Dates are RFC 2822 in UTC, counts are strings, as Twilio sends them.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import phonenumbers
from phonenumbers import geocoder

API_VERSION = "2010-04-01"
API_ROOT = f"/{API_VERSION}/Accounts"


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


class TwilioApiError(Exception):
    """An error the REST API answers with Twilio's JSON error body."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def payload(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


class NotFound(KeyError):
    """No such message, medium or number (a ``KeyError``, so dict-like callers can catch it)."""


def png_bytes(seed: str, size: int = 32) -> bytes:
    """A small valid PNG (an 8×8-checkered two-colour square whose colours derive from ``seed``)."""
    digest = hashlib.sha256(seed.encode()).digest()
    ink, paper = digest[:3], bytes(255 - b for b in digest[:3])
    rows = b"".join(
        b"\x00" + b"".join(ink if (x // 8 + y // 8) % 2 == 0 else paper for x in range(size)) for y in range(size)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    """A small valid baseline JPEG: an 8×8 flat grey square (one block, DC only, every AC zero)."""

    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quantization = b"\x00" + b"\x01" * 64
    frame = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"  # 8-bit, 8×8, one component, table 0
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1 ("0") for symbol 0
    scan = b"\x01\x01\x00\x00\x3f\x00"  # component 1, tables 0/0, spectral 0-63
    # DC difference of category 0 ("0"), then end of block ("0"), padded with ones: 0b00111111.
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, quantization)
        + segment(0xC0, frame)
        + segment(0xC4, b"\x00" + one_code)
        + segment(0xC4, b"\x10" + one_code)
        + segment(0xDA, scan)
        + b"\x3f\xff\xd9"
    )


# The classic 1×1 GIF (one colour, LZW minimum code size 2).
GIF_BYTES = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def generated_media(content_type: str, seed: str) -> bytes:
    """Bytes that match ``content_type`` for a medium the emulator cannot fetch (a PNG, JPEG or GIF;
    other types get an empty body: the emulator never fetches outside URLs)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in {"image/jpeg", "image/jpg"}:
        return jpeg_bytes()
    if kind == "image/gif":
        return GIF_BYTES
    if kind == "image/png":
        return png_bytes(seed)
    return b""


def country_of(e164: str) -> str:
    """ISO country of a number (``""`` when unknown), as Twilio fills ``FromCountry``/``ToCountry``.

    Numbers in ranges reserved for drama and tests (``+44 7700 900…``, ``+1 …555…``) are not "valid"
    to ``phonenumbers``; their country code still names the country, as it does for Twilio.
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code
    )
    return "" if region == phonenumbers.UNKNOWN_REGION else region


def geo_of(e164: str) -> dict[str, str]:
    """``City``, ``State``, ``Zip`` and ``Country`` of a number, as Twilio fills ``From…``/``To…``.

    From ``phonenumbers``' geocoding of the number's prefix: a US area code gives its city and state
    (``SAN FRANCISCO``, ``CA``), other countries a place or region name. Zip codes are not derivable
    from a number: ``Zip`` stays empty (Twilio often sends it empty too).
    """
    country = country_of(e164)
    city = state = ""
    try:
        parsed = phonenumbers.parse(e164, None)
        described = geocoder.description_for_valid_number(parsed, "en")
        whole_country = geocoder.country_name_for_number(parsed, "en")
    except phonenumbers.NumberParseException:
        described = whole_country = ""
    if ", " in described:  # "San Francisco, CA"
        city, _, state = described.rpartition(", ")
    elif described and described != whole_country:  # "California" (a US state), "London"
        if country in {"US", "CA"}:
            state = described
        else:
            city = described
    return {"City": city.upper(), "State": state.upper(), "Zip": "", "Country": country}


@dataclass
class Media:
    sid: str
    content_type: str
    source_url: str  # the MediaUrl it was created from; "" for a file given or an image generated here
    date_created: datetime
    data: bytes = b""  # what the CDN serves: the file given, else a generated medium of content_type
    cdn_token: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)


@dataclass
class Message:
    sid: str
    account_sid: str
    direction: str
    from_: str | None
    to: str
    body: str
    status: str
    num_segments: int
    messaging_service_sid: str | None = None
    status_callback: str = ""
    media: list[Media] = field(default_factory=list)
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None  # set once sent, negative as Twilio bills it
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    date_sent: datetime | None = None
    send_at: datetime | None = None

    @property
    def uri(self) -> str:
        return f"{API_ROOT}/{self.account_sid}/Messages/{self.sid}.json"

    def media_path(self, media_sid: str) -> str:
        """Where the media's bytes are served (Twilio's ``MediaUrl``: the resource URI without ``.json``)."""
        return f"{API_ROOT}/{self.account_sid}/Messages/{self.sid}/Media/{media_sid}"

    def resource(self) -> dict[str, Any]:
        base = self.uri.removesuffix(".json")
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media)),
            "num_segments": str(self.num_segments),
            "price": self.price,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
            "to": self.to,
            "uri": self.uri,
        }

    def media_resource(self, media: Media) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "content_type": media.content_type,
            "date_created": rfc2822(media.date_created),
            "date_updated": rfc2822(media.date_created),
            "parent_sid": self.sid,
            "sid": media.sid,
            "uri": self.media_path(media.sid) + ".json",
        }


def friendly_name_for(e164: str) -> str:
    """Twilio's default friendly name: the national format, e.g. ``(500) 555-0006``."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


@dataclass
class PhoneNumber:
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    sms_url: str = ""
    sms_method: str = "POST"
    sms_fallback_url: str = ""
    sms_fallback_method: str = "POST"
    status_callback: str = ""
    status_callback_method: str = "POST"
    messaging_service_sid: str = ""  # the sender pool it is in (not a field of Twilio's resource)
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)

    # Form fields of ``POST …/IncomingPhoneNumbers/{Sid}.json`` the emulator stores, and their attributes.
    UPDATABLE = {
        "FriendlyName": "friendly_name",
        "SmsUrl": "sms_url",
        "SmsMethod": "sms_method",
        "SmsFallbackUrl": "sms_fallback_url",
        "SmsFallbackMethod": "sms_fallback_method",
        "StatusCallback": "status_callback",
        "StatusCallbackMethod": "status_callback_method",
    }

    @property
    def uri(self) -> str:
        return f"{API_ROOT}/{self.account_sid}/IncomingPhoneNumbers/{self.sid}.json"

    def resource(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "address_requirements": "none",
            "address_sid": None,
            "api_version": API_VERSION,
            "beta": False,
            "bundle_sid": None,
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": self.friendly_name,
            "identity_sid": None,
            "origin": "twilio",
            "phone_number": self.phone_number,
            "sid": self.sid,
            "sms_application_sid": "",
            "sms_fallback_method": self.sms_fallback_method,
            "sms_fallback_url": self.sms_fallback_url,
            "sms_method": self.sms_method,
            "sms_url": self.sms_url,
            "status": "in-use",
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "subresource_uris": {
                "assigned_add_ons": self.uri.removesuffix(".json") + "/AssignedAddOns.json",
            },
            "trunk_sid": None,
            "type": "local",
            "uri": self.uri,
            "voice_application_sid": "",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": "",
            "voice_method": "POST",
            "voice_receive_mode": "voice",
            "voice_url": "",
        }
