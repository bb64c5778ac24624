"""The emulator's in-memory account: numbers, messages, opt-outs and injected faults, behind one lock.

Every method takes the lock; what leaves this module is a copy (resource dicts, callback
params), so callers never read a record while another thread changes it.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .resources import (
    API_VERSION,
    Media,
    Message,
    NotFound,
    PhoneNumber,
    TwilioApiError,
    country_of,
    friendly_name_for,
    new_sid,
    utcnow,
)
from .rules import MAX_BODY_LENGTH, body_too_long, keyword_of, segment_count
from .validation import MAX_MEDIA, CreateRequest, is_possible_number, parse_create

# Emulator-specific magic "To" numbers: accepted, then fail in delivery.
UNDELIVERED_TO = "+15005550010"  # sending, sent, undelivered (30003 unreachable handset)
FAILED_TO = "+15005550011"  # sending, failed (30008 unknown error)
UNKNOWN_HANDSET_TO = "+15005550012"  # sending, sent, undelivered (30005 unknown destination handset)
UNSUBSCRIBED_LATER_TO = "+15005550013"  # failed 21610 after acceptance (a Messaging Service's opt-out check)
# Twilio's ErrorMessage texts for the codes the emulator's lifecycles end in.
ERROR_MESSAGES = {
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30008: "Unknown error",
    21610: "Attempt to send to unsubscribed recipient",
}
PRICE_PER_SEGMENT = "0.00790"  # US SMS, billed once the message leaves Twilio
CANCELABLE = frozenset({"scheduled", "accepted", "queued"})
EMULATOR_MEDIA = "emulator"  # in send_inbound(media_urls=…): an image served by this emulator


@dataclass(frozen=True)
class Step:
    """One status a message moves to, with the error code of a failure."""

    status: str
    error_code: int | None = None


@dataclass
class Faults:
    remaining: int = 0
    status: int | None = None
    stall_seconds: float = 0.0

    def describe(self) -> dict[str, Any]:
        return {"fail_next": self.remaining, "status": self.status, "stall_seconds": self.stall_seconds}


def lifecycle(message: Message) -> list[Step]:
    """The statuses an accepted outbound message goes through after its initial one."""
    steps = [Step("queued")] if message.messaging_service_sid else []
    if message.to == UNDELIVERED_TO:
        return [*steps, Step("sending"), Step("sent"), Step("undelivered", 30003)]
    if message.to == FAILED_TO:
        return [*steps, Step("sending"), Step("failed", 30008)]
    if message.to == UNKNOWN_HANDSET_TO:
        return [*steps, Step("sending"), Step("sent"), Step("undelivered", 30005)]
    if message.to == UNSUBSCRIBED_LATER_TO:
        return [*steps, Step("failed", 21610)]
    return [*steps, Step("sending"), Step("sent"), Step("delivered")]


def status_callback_params(message: Message) -> dict[str, str]:
    """The form fields of a status callback for the message's current status (REFERENCE §3)."""
    params = {
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "AccountSid": message.account_sid,
        "From": message.from_ or "",
        "To": message.to,
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    if message.status in {"delivered", "undelivered"} and not message.media:
        params["RawDlrDoneDate"] = message.date_updated.strftime("%y%m%d%H%M")
    return params


def _content_type(url: str) -> str:
    return mimetypes.guess_type(urlsplit(url).path)[0] or "image/png"


def _matches_date(moment: datetime, raw: str, op: str) -> bool:
    """Twilio's ``DateSent`` / ``DateSent<`` / ``DateSent>`` filters (inclusive; a date or a UTC date-time)."""
    try:
        bound = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return True  # an unreadable filter filters nothing
    if bound.tzinfo is None:
        bound = bound.replace(tzinfo=UTC)
    if len(raw) <= 10:  # a calendar day
        day, bound_day = moment.date(), bound.date()
        return day <= bound_day if op == "<" else day >= bound_day if op == ">" else day == bound_day
    return moment <= bound if op == "<" else moment >= bound if op == ">" else moment == bound


class EmulatorState:
    def __init__(self, account_sid: str):
        self.account_sid = account_sid
        self._lock = threading.RLock()
        self._numbers: dict[str, PhoneNumber] = {}
        self._messages: dict[str, Message] = {}
        self._opted_out: set[tuple[str, str]] = set()  # (our number, their number)
        self._faults = Faults()

    # --- numbers -----------------------------------------------------------------------

    def add_number(self, e164: str, *, sms_url: str = "", status_callback: str = "", friendly_name: str = "") -> dict:
        """Add a number (or update the one with that ``phone_number``); return its resource."""
        if not is_possible_number(e164):
            raise ValueError(f"{e164!r} is not an E.164 phone number")
        with self._lock:
            number = self._number_by_e164(e164)
            if number is None:
                number = PhoneNumber(
                    sid=new_sid("PN"),
                    account_sid=self.account_sid,
                    phone_number=e164,
                    friendly_name=friendly_name or friendly_name_for(e164),
                )
                self._numbers[number.sid] = number
            number.sms_url = sms_url or number.sms_url
            number.status_callback = status_callback or number.status_callback
            number.friendly_name = friendly_name or number.friendly_name
            number.date_updated = utcnow()
            return number.resource()

    def _number_by_e164(self, e164: str) -> PhoneNumber | None:
        return next((n for n in self._numbers.values() if n.phone_number == e164), None)

    def number_by_e164(self, e164: str) -> dict | None:
        with self._lock:
            number = self._number_by_e164(e164)
            return number.resource() if number else None

    def number(self, sid: str) -> dict | None:
        with self._lock:
            number = self._numbers.get(sid)
            return number.resource() if number else None

    def numbers(self, *, phone_number: str = "", friendly_name: str = "") -> list[dict]:
        """Numbers in creation order; ``phone_number`` matches partially (``*`` = any digit), like Twilio."""
        pattern = phone_number.replace(" ", "+").strip()  # an unencoded "+" arrives as a space
        with self._lock:
            return [
                n.resource()
                for n in self._numbers.values()
                if (not pattern or _digits_match(pattern, n.phone_number))
                and (not friendly_name or n.friendly_name == friendly_name)
            ]

    def update_number(self, sid: str, form: Mapping[str, list[str]]) -> dict | None:
        with self._lock:
            number = self._numbers.get(sid)
            if number is None:
                return None
            for field_name, attribute in PhoneNumber.UPDATABLE.items():
                if field_name in form:
                    value = form[field_name][0].strip()
                    setattr(number, attribute, value.upper() if attribute.endswith("method") else value)
            number.date_updated = utcnow()
            return number.resource()

    def delete_number(self, sid: str) -> bool:
        with self._lock:
            return self._numbers.pop(sid, None) is not None

    # --- faults ------------------------------------------------------------------------

    def set_faults(self, fail_next: int, status: int | None, stall_seconds: float) -> dict[str, Any]:
        with self._lock:
            self._faults = Faults(max(0, fail_next), status, max(0.0, stall_seconds))
            return self._faults.describe()

    def take_fault(self) -> Faults | None:
        """Consume one injected fault for a create-Message request, if any is armed."""
        with self._lock:
            if self._faults.remaining <= 0:
                return None
            self._faults.remaining -= 1
            return Faults(1, self._faults.status, self._faults.stall_seconds)

    # --- messages ----------------------------------------------------------------------

    def create_message(self, form: Mapping[str, list[str]]) -> dict[str, Any]:
        """Validate and store an outbound message; return its resource, or raise :class:`TwilioApiError`."""
        now = utcnow()
        with self._lock:
            request: CreateRequest = parse_create(
                form,
                owns_number=lambda e164: self._number_by_e164(e164) is not None,
                opted_out=lambda ours, theirs: (ours, theirs) in self._opted_out,
                now=now,
            )
            status = "scheduled" if request.send_at else "accepted" if request.messaging_service_sid else "queued"
            message = Message(
                sid=new_sid("MM" if request.media_urls else "SM"),
                account_sid=self.account_sid,
                direction="outbound-api",
                from_=request.from_,
                to=request.to,
                body=request.body,
                status=status,
                num_segments=segment_count(request.body),
                messaging_service_sid=request.messaging_service_sid,
                status_callback=request.status_callback,
                media=[Media(new_sid("ME"), _content_type(url), url, now) for url in request.media_urls],
                date_created=now,
                date_updated=now,
                send_at=request.send_at,
            )
            self._messages[message.sid] = message
            return message.resource()

    def record_inbound(
        self, *, from_: str, to: str, body: str, media_urls: Iterable[str], base_url: str
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Store an incoming message and return ``(resource, webhook params)`` (REFERENCE §2)."""
        urls = list(media_urls)
        if len(urls) > MAX_MEDIA or body_too_long(body):
            raise ValueError(f"Twilio delivers at most {MAX_MEDIA} media and {MAX_BODY_LENGTH} characters")
        now = utcnow()
        with self._lock:
            if self._number_by_e164(to) is None:
                raise NotFound(to)
            message = Message(
                sid=new_sid("MM" if urls else "SM"),
                account_sid=self.account_sid,
                direction="inbound",
                from_=from_,
                to=to,
                body=body,
                status="received",
                num_segments=segment_count(body),
                date_created=now,
                date_updated=now,
                date_sent=now,
            )
            for url in urls:
                generated = url == EMULATOR_MEDIA
                media = Media(
                    new_sid("ME"), "image/png" if generated else _content_type(url), "" if generated else url, now
                )
                message.media.append(media)
            self._messages[message.sid] = message
            keyword = keyword_of(body)  # HELP changes nothing: Twilio only answers it
            if keyword == "STOP":
                self._opted_out.add((to, from_))
            elif keyword == "START":
                self._opted_out.discard((to, from_))
            params = {
                "ToCountry": country_of(to),
                "ToState": "",
                "SmsMessageSid": message.sid,
                "NumMedia": str(len(message.media)),
                "ToCity": "",
                "FromZip": "",
                "SmsSid": message.sid,
                "FromState": "",
                "SmsStatus": "received",
                "FromCity": "",
                "Body": body,
                "FromCountry": country_of(from_),
                "To": to,
                "ToZip": "",
                "NumSegments": str(message.num_segments),
                "MessageSid": message.sid,
                "AccountSid": self.account_sid,
                "From": from_,
                "ApiVersion": API_VERSION,
            }
            for index, media in enumerate(message.media):
                params[f"MediaUrl{index}"] = media.source_url or base_url + message.media_path(media.sid)
                params[f"MediaContentType{index}"] = media.content_type
            return message.resource(), params

    def _get(self, sid: str) -> Message:
        message = self._messages.get(sid)
        if message is None:
            raise NotFound(sid)
        return message

    def message(self, sid: str) -> dict[str, Any]:
        """The Message resource; ``KeyError`` when unknown."""
        with self._lock:
            return self._get(sid).resource()

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [m.resource() for m in self._messages.values()]

    def list_messages(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        """Messages matching Twilio's list filters, newest first (as Twilio lists them)."""
        with self._lock:
            found = list(reversed(self._messages.values()))
            if filters.get("To"):
                found = [m for m in found if m.to == filters["To"]]
            if filters.get("From"):
                found = [m for m in found if m.from_ == filters["From"]]
            for name, op in (("DateSent", "="), ("DateSent<", "<"), ("DateSent>", ">")):
                if filters.get(name):
                    found = [m for m in found if _matches_date(m.date_sent or m.date_created, filters[name], op)]
            return [m.resource() for m in found]

    def delete_message(self, sid: str) -> bool:
        with self._lock:
            return self._messages.pop(sid, None) is not None

    def steps_for(self, sid: str) -> tuple[list[Step], str, datetime | None]:
        """The lifecycle still ahead of a freshly created message, its StatusCallback and SendAt."""
        with self._lock:
            message = self._get(sid)
            return lifecycle(message), message.status_callback, message.send_at

    def advance(self, sid: str, step: Step) -> dict[str, str] | None:
        """Move a message to ``step``; return its callback params, or ``None`` if it was canceled or deleted."""
        with self._lock:
            message = self._messages.get(sid)
            if message is None or message.status == "canceled":
                return None
            if message.from_ is None and self._numbers:  # a Messaging Service picks a sender from its pool
                message.from_ = next(iter(self._numbers.values())).phone_number
            message.status = step.status
            message.error_code = step.error_code
            message.error_message = ERROR_MESSAGES.get(step.error_code) if step.error_code else None
            if step.status in {"sent", "delivered", "undelivered"} and message.price is None:
                message.price = f"-{float(PRICE_PER_SEGMENT) * message.num_segments:.5f}"
            message.date_updated = utcnow()
            if step.status == "sending" and message.date_sent is None:
                message.date_sent = message.date_updated
            return status_callback_params(message)

    def cancel(self, sid: str) -> tuple[dict[str, Any], str, dict[str, str] | None]:
        """Cancel a message not yet sent: its resource, StatusCallback and ``canceled`` callback params."""
        with self._lock:
            message = self._get(sid)
            if message.status == "canceled":
                return message.resource(), message.status_callback, None
            if message.status not in CANCELABLE:
                raise TwilioApiError(400, 30409, "This message cannot be canceled")
            message.status = "canceled"
            message.date_updated = utcnow()
            return message.resource(), message.status_callback, status_callback_params(message)

    def redact(self, sid: str) -> dict[str, Any]:
        """Empty the body (``POST …/Messages/{Sid}.json`` with ``Body=``)."""
        with self._lock:
            message = self._get(sid)
            message.body = ""
            message.date_updated = utcnow()
            return message.resource()

    def media_resources(self, sid: str, media_sid: str | None = None) -> list[dict[str, Any]]:
        """The message's Media resources (or the one asked for); ``KeyError`` when either is unknown."""
        with self._lock:
            message = self._get(sid)
            items = [m for m in message.media if media_sid is None or m.sid == media_sid]
            if media_sid is not None and not items:
                raise NotFound(media_sid)
            return [message.media_resource(m) for m in items]

    def delete_media(self, sid: str, media_sid: str) -> bool:
        with self._lock:
            message = self._messages.get(sid)
            if message is None:
                return False
            before = len(message.media)
            message.media = [m for m in message.media if m.sid != media_sid]
            return len(message.media) < before

    def reset(self) -> None:
        """Forget messages, opt-outs and faults (numbers stay)."""
        with self._lock:
            self._messages.clear()
            self._opted_out.clear()
            self._faults = Faults()


def _digits_match(pattern: str, e164: str) -> bool:
    """Twilio's partial ``PhoneNumber`` filter: the pattern occurs in the number, ``*`` matching any digit."""
    size = len(pattern)
    return any(
        all((p == "*" and c.isdigit()) or p == c for p, c in zip(pattern, e164[i : i + size], strict=True))
        for i in range(len(e164) - size + 1)
    )
