"""The one module that calls Twilio's REST API (through the ``twilio`` SDK).

Every call has an explicit HTTP timeout (the SDK has none by default). Failures are sorted
by what they tell us about the message (``SendOutcome``), which decides between failing,
retrying and reconciling:

- ``REJECTED``: Twilio answered and refused it (4xx such as 21211, 21610): permanent.
- ``NOT_SENT``: Twilio certainly did not take it (connection refused, 429/20429, 21611): retry.
- ``UNKNOWN``: it may have been taken (timeout after connecting, 5xx, connection lost): look
  it up before any retry, never resend blindly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from messaging.error_codes import TWILIO_ERRORS, error_meaning, error_text
from messaging.inputs import MessageReport


class SendOutcome(StrEnum):
    """What a failed request tells us about the message (see the module docstring)."""

    REJECTED = "rejected"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"


class TwilioSendError(Exception):
    """A request to Twilio failed; ``outcome`` says whether the message may have been taken."""

    def __init__(self, message: str, *, outcome: SendOutcome, code: int | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.outcome = outcome
        self.code = code
        self.http_status = http_status

    @property
    def transient(self) -> bool:
        return self.outcome != SendOutcome.REJECTED


@dataclass(frozen=True)
class TwilioMessage:
    sid: str
    status: str
    to: str
    from_: str
    body: str
    num_segments: int | None
    price: Decimal | None
    price_unit: str
    error_code: int | None
    error_message: str
    date_created: datetime | None

    def report(self, *, source: str) -> MessageReport:
        """What this resource says about the message, as the services take it (``source`` names the call)."""
        return MessageReport(
            sid=self.sid,
            status=self.status.strip().lower(),
            error_code=self.error_code,
            error_message=error_text(self.error_code, self.error_message) if self.error_code is not None else "",
            num_segments=self.num_segments,
            price=self.price,
            price_unit=self.price_unit,
            raw={"source": source, "status": self.status, "error_code": self.error_code},
        )


@dataclass(frozen=True)
class TwilioNumber:
    sid: str
    phone_number: str
    sms_url: str
    sms_method: str
    status_callback: str


@functools.lru_cache(maxsize=8)
def _client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout), environment={})
    if base_url:
        client.api.base_url = base_url
        client.edge = client.region = None  # TWILIO_EDGE/TWILIO_REGION in the environment would rewrite the host
    return client


def get_client() -> Client:
    """The SDK client for the configured account (pointed at ``TWILIO_API_BASE_URL`` when set)."""
    return _client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_BASE_URL,
        settings.TWILIO_HTTP_TIMEOUT,
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _message(resource: Any) -> TwilioMessage:
    return TwilioMessage(
        sid=resource.sid,
        status=str(resource.status or ""),
        to=str(resource.to or ""),
        from_=str(getattr(resource, "from_", "") or ""),
        body=str(resource.body or ""),
        num_segments=_int(resource.num_segments),
        price=_decimal(resource.price),
        price_unit=str(resource.price_unit or "")[:3],
        error_code=_int(resource.error_code),
        error_message=str(resource.error_message or ""),
        date_created=resource.date_created,
    )


def _classify(exc: Exception) -> TwilioSendError:
    if isinstance(exc, TwilioRestException):
        code, status = _int(exc.code), exc.status
        if status == 429 or code == 20429 or (code in TWILIO_ERRORS and TWILIO_ERRORS[code].transient):
            outcome = SendOutcome.NOT_SENT
        elif status >= 500:
            outcome = SendOutcome.UNKNOWN
        else:
            outcome = SendOutcome.REJECTED
        text = error_meaning(code) if code in TWILIO_ERRORS else (exc.msg or f"Twilio answered HTTP {status}")
        return TwilioSendError(text, outcome=outcome, code=code, http_status=status)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TwilioSendError("Twilio could not be reached (connection timed out).", outcome=SendOutcome.NOT_SENT)
    if isinstance(exc, requests.exceptions.ConnectionError) and "refused" in str(exc).lower():
        return TwilioSendError("Twilio could not be reached (connection refused).", outcome=SendOutcome.NOT_SENT)
    if isinstance(exc, requests.exceptions.Timeout):
        return TwilioSendError("Twilio did not answer in time.", outcome=SendOutcome.UNKNOWN)
    return TwilioSendError(f"The request to Twilio failed: {type(exc).__name__}.", outcome=SendOutcome.UNKNOWN)


def send_message(
    *,
    to: str,
    from_: str,
    messaging_service_sid: str = "",
    body: str,
    media_urls: list[str],
    status_callback: str,
    send_at: datetime | None = None,
) -> TwilioMessage:
    """Create a Message at Twilio; raise ``TwilioSendError`` saying what is known on failure.

    With a Messaging Service: ``MessagingServiceSid`` and ``From`` both (the sender of the pool the customer
    texted: sticky sender; ``from_`` empty lets Twilio choose). ``send_at``: Twilio's native scheduling
    (``ScheduleType=fixed``, ``SendAt`` in UTC; a Messaging Service only, REFERENCE §10).
    """
    params: dict[str, Any] = {"to": to, "body": body, "status_callback": status_callback}
    if messaging_service_sid:
        params["messaging_service_sid"] = messaging_service_sid
        if from_:
            params["from_"] = from_
    else:
        params["from_"] = from_
    if send_at is not None:
        params["schedule_type"] = "fixed"
        params["send_at"] = send_at.astimezone(UTC).replace(microsecond=0)
    if media_urls:
        params["media_url"] = list(media_urls)
    try:
        return _message(get_client().messages.create(**params))
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc


def cancel_message(sid: str) -> TwilioMessage:
    """Cancel a message Twilio holds for its ``SendAt`` (update with ``Status=canceled``); Twilio refuses one no
    longer ``scheduled`` (30409: a ``REJECTED`` ``TwilioSendError``)."""
    try:
        return _message(get_client().messages(sid).update(status="canceled"))
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc


def fetch_message(sid: str) -> TwilioMessage:
    """Fetch one Message resource (for reconciliation)."""
    try:
        return _message(get_client().messages(sid).fetch())
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc


def find_messages(*, to: str, from_: str | None, created_after: datetime, limit: int = 50) -> list[TwilioMessage]:
    """Messages Twilio holds from ``from_`` to ``to`` created since ``created_after`` (newest first).

    Filters on creation time here: Twilio's ``DateSent`` filter misses messages still queued.
    """
    try:
        filters = {"to": to, **({"from_": from_} if from_ else {})}
        found = get_client().messages.list(**filters, limit=limit)
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc
    messages = [_message(m) for m in found]
    return [m for m in messages if m.date_created is None or m.date_created >= created_after]


def list_numbers(*, phone_number: str | None = None) -> list[TwilioNumber]:
    """The account's IncomingPhoneNumbers (optionally one number)."""
    kwargs = {"phone_number": phone_number} if phone_number else {}
    try:
        found = get_client().incoming_phone_numbers.list(**kwargs)
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc
    return [
        TwilioNumber(n.sid, n.phone_number, n.sms_url or "", n.sms_method or "", n.status_callback or "") for n in found
    ]


def update_number_webhooks(*, sid: str, sms_url: str, status_callback: str) -> TwilioNumber:
    """Point a number's incoming-message webhook (POST) and status callback at us."""
    try:
        n = (
            get_client()
            .incoming_phone_numbers(sid)
            .update(sms_url=sms_url, sms_method="POST", status_callback=status_callback)
        )
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc
    return TwilioNumber(n.sid, n.phone_number, n.sms_url or "", n.sms_method or "", n.status_callback or "")


MAX_MEDIA_BYTES = 5 * 1024 * 1024  # Twilio's MMS limit


def is_account_media_url(url: str, *, message_sid: str) -> bool:
    """Whether ``url`` is one of this message's Media resources on our account: the only URLs ever
    fetched with our credentials (so no URL anyone typed is fetched with them)."""
    bases = ["https://api.twilio.com"]
    if settings.TWILIO_API_BASE_URL:
        bases.append(settings.TWILIO_API_BASE_URL.rstrip("/"))
    prefix = "|".join(re.escape(b) for b in bases)
    account = re.escape(settings.TWILIO_ACCOUNT_SID)
    pattern = (
        rf"^(?:{prefix})/2010-04-01/Accounts/{account}/Messages/{re.escape(message_sid)}/Media/ME[0-9a-fA-F]{{32}}$"
    )
    return re.match(pattern, url) is not None


def fetch_media(url: str) -> tuple[str, bytes] | None:
    """The content type and bytes of a Media resource (``is_account_media_url``), or ``None`` when
    Twilio does not answer 200 in time or the file is over Twilio's 5 MB limit."""
    try:
        with requests.get(
            url,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            timeout=settings.TWILIO_HTTP_TIMEOUT,
            stream=True,
        ) as answer:
            if answer.status_code != 200:
                return None
            body = answer.raw.read(MAX_MEDIA_BYTES + 1, decode_content=True)
            content_type = answer.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
    except requests.RequestException:
        return None
    return None if len(body) > MAX_MEDIA_BYTES else (content_type, body)


def delete_message(sid: str) -> bool:
    """Delete a Message resource and its Media at Twilio (erasure); ``False`` when Twilio had none by that SID.

    Media first (``GET …/Messages/{sid}/Media.json`` then ``DELETE`` each), then the message. Raises
    ``TwilioSendError``: ``transient`` for what may succeed later (5xx, 429, no answer, and 20009, a message
    still being delivered), not for a refusal.
    """
    try:
        message = get_client().messages(sid)
        for media in message.media.list():
            message.media(media.sid).delete()
        return bool(message.delete())
    except TwilioRestException as exc:
        if exc.status == 404:
            return False
        error = _classify(exc)
        if _int(exc.code) == 20009:  # "cannot delete a message still being delivered": try again later
            error.outcome = SendOutcome.NOT_SENT
        raise error from exc
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc


@dataclass(frozen=True)
class TwilioLineType:
    """What Lookup v2 said of a number: ``type`` (``mobile``, ``landline``, ``fixedVoip``, … or ``unknown``)."""

    phone_number: str
    valid: bool
    type: str
    carrier_name: str


def lookup_line_type(number: str) -> TwilioLineType:
    """Twilio Lookup v2 with ``Fields=line_type_intelligence`` for an E.164 number (a paid request).

    An invalid number, or one Twilio cannot type, answers ``unknown``. Raises ``TwilioSendError`` when Twilio
    refuses or cannot be reached (``transient`` for what may work later: 429, 5xx, no answer).
    """
    client = get_client()
    if settings.TWILIO_API_BASE_URL:  # the emulator answers Lookup too (``messaging.twilio.emulator.lookups``)
        client.lookups.base_url = settings.TWILIO_API_BASE_URL
    try:
        found = client.lookups.v2.phone_numbers(number).fetch(fields="line_type_intelligence")
    except (TwilioException, requests.exceptions.RequestException) as exc:
        raise _classify(exc) from exc
    intelligence = found.line_type_intelligence or {}
    kind = str(intelligence.get("type") or "unknown") if found.valid else "unknown"
    return TwilioLineType(
        phone_number=str(found.phone_number or number),
        valid=bool(found.valid),
        type=kind,
        carrier_name=str(intelligence.get("carrier_name") or ""),
    )
