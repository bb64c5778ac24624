"""Parse Twilio's form posts into the domain's inputs; anything malformed raises ``MalformedWebhook``.

Parsing trusts only the fields actually sent: media are the ``MediaUrl{N}`` fields present,
whatever ``NumMedia`` claims.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from messaging.error_codes import error_text, parse_error_code
from messaging.inputs import IncomingMedia, IncomingMessage, MessageReport
from messaging.segments import MAX_MEDIA
from smsinbox.parsing import ascii_int, clean_text, is_http_url
from smsinbox.phones import InvalidPhoneNumber, to_e164

MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
MEDIA_URL_FIELD = re.compile(r"MediaUrl(0|[1-9][0-9]?)")  # what Twilio sends (fullmatch): one name per position
GEO_FIELDS = ("FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip", "ToCountry")


class MalformedWebhook(ValueError):
    """A signed request we cannot use: a permanent problem, answered 200 so Twilio stops."""


def raw_fields(post: Mapping[str, Any]) -> dict[str, Any]:
    """All posted fields as a JSON-able dict, names and values cleaned (repeated fields become lists)."""
    getlist = getattr(post, "getlist", None)
    collected: dict[str, list[str]] = {}
    for key in post:
        values = getlist(key) if getlist else [post[key]]
        collected.setdefault(clean_text(key), []).extend(clean_text(v) for v in values)
    return {key: values[0] if len(values) == 1 else values for key, values in collected.items()}


def _message_sid(post: Mapping[str, Any]) -> str:
    sid = str(post.get("MessageSid") or post.get("SmsMessageSid") or post.get("SmsSid") or "").strip()
    if not MESSAGE_SID.match(sid):
        raise MalformedWebhook(f"MessageSid {sid[:40]!r} is missing or malformed")
    return sid


def _phone(post: Mapping[str, Any], name: str) -> str:
    raw = clean_text(post.get(name)).strip()
    try:
        return to_e164(raw, strict=False)
    except InvalidPhoneNumber as exc:
        raise MalformedWebhook(f"{name} {raw[:40]!r} is not a phone number") from exc


def parse_inbound(post: Mapping[str, Any]) -> IncomingMessage:
    """Parse an incoming-message webhook."""
    sid = _message_sid(post)
    segments = ascii_int(str(post.get("NumSegments") or "1").strip())
    num_segments = min(max(segments, 1), 255) if segments is not None else 1
    media: list[IncomingMedia] = []
    positions = sorted(int(m[1]) for key in post if (m := MEDIA_URL_FIELD.fullmatch(key)))
    for position in positions:
        url = clean_text(post.get(f"MediaUrl{position}")).strip()
        if not is_http_url(url) or len(media) >= MAX_MEDIA:
            continue
        content_type = clean_text(post.get(f"MediaContentType{position}")).strip()[:100]
        media.append(IncomingMedia(position=position, url=url, content_type=content_type))
    service = clean_text(post.get("MessagingServiceSid")).strip()
    return IncomingMessage(
        message_sid=sid,
        account_sid=clean_text(post.get("AccountSid")).strip(),
        from_e164=_phone(post, "From"),
        to_e164=_phone(post, "To"),
        body=clean_text(post.get("Body")),
        num_segments=num_segments,
        messaging_service_sid=service if SERVICE_SID.match(service) else "",
        media=tuple(media),
        geo={name: clean_text(post[name])[:100] for name in GEO_FIELDS if post.get(name)},
        opt_out_type=clean_text(post.get("OptOutType")).strip().upper()[:20],
        raw=raw_fields(post),
    )


def parse_status_callback(post: Mapping[str, Any], query: Mapping[str, Any]) -> MessageReport:
    """Parse a status callback; ``query`` is the callback URL's query (our ``m`` id)."""
    sid = _message_sid(post)
    status = clean_text(post.get("MessageStatus") or post.get("SmsStatus")).strip().lower()[:40]
    if not status:
        raise MalformedWebhook("MessageStatus is missing")
    our_id = ascii_int(str(query.get("m") or "").strip())
    code = parse_error_code(post.get("ErrorCode"))
    return MessageReport(
        sid=sid,
        status=status,
        error_code=code,
        error_message=error_text(code, clean_text(post.get("ErrorMessage"))[:500]) if code is not None else "",
        our_message_id=our_id,
        raw=raw_fields(post),
    )
