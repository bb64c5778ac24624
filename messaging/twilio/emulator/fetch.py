"""The emulator fetches an outbound message's ``MediaUrl``s as Twilio does, before the message leaves.

Twilio GETs each URL (following redirects, no credentials), then keeps its own copy. A URL that does not answer
2xx (or not at all) fails the message with 11200 (HTTP retrieval failure); a content type Twilio does not accept
for MMS with 12300 (Invalid Content-Type); more than 5 MB in all with 30019 (Content size exceeds carrier limit).
URLs on the reserved example domains (RFC 2606: ``example.com``/``.net``/``.org``, ``*.example``) are only
recorded, never fetched: they can serve nothing, and tests and demos use them as placeholders.

The accepted types are this emulator's own copy of Twilio's list, so that it can disagree with the product's.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

HTTP_RETRIEVAL_FAILURE = 11200
INVALID_CONTENT_TYPE = 12300
CONTENT_SIZE_EXCEEDED = 30019
MAX_TOTAL_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 10.0
ERROR_MESSAGES = {
    HTTP_RETRIEVAL_FAILURE: "HTTP retrieval failure",
    INVALID_CONTENT_TYPE: "Invalid Content-Type",
    CONTENT_SIZE_EXCEEDED: "Content size exceeds carrier limit",
}
# Twilio's accepted MMS types, written here apart from ``messaging.attachments.rules`` on purpose: the emulator
# stands in for Twilio, so the product's list is checked against it (tests/messaging/twilio/emulator/test_fetch.py),
# not read from it.
ACCEPTED = frozenset(
    [
        "image/jpeg",
        "image/jpg",
        "image/gif",
        "image/png",
        "image/bmp",
        "image/tiff",
        "image/webp",
        "audio/basic",
        "audio/l24",
        "audio/mp4",
        "audio/mpeg",
        "audio/ogg",
        "audio/vnd.wave",
        "audio/3gpp",
        "audio/3gpp2",
        "audio/ac3",
        "audio/webm",
        "audio/amr-nb",
        "audio/amr",
        "video/mpeg",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/3gpp",
        "video/3gpp2",
        "video/3gpp-tt",
        "video/h261",
        "video/h263",
        "video/h263-1998",
        "video/h263-2000",
        "video/h264",
        "text/vcard",
        "text/x-vcard",
        "text/csv",
        "text/rtf",
        "text/richtext",
        "text/calendar",
        "text/directory",
        "application/pdf",
        "application/vcard",
        "application/vnd.apple.pkpass",
    ]
)
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org", "example")


@dataclass(frozen=True)
class Fetched:
    content_type: str
    data: bytes


class FetchFailed(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def is_placeholder(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


def fetch(url: str, *, budget: int = MAX_TOTAL_BYTES, timeout: float = FETCH_TIMEOUT) -> Fetched:
    """GET ``url`` like Twilio's media fetcher; raise :class:`FetchFailed` with Twilio's code when it cannot."""
    request = urllib.request.Request(url, headers={"User-Agent": "TwilioProxy/1.1 (smsinbox emulator)"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only: validated)
            content_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            data = response.read(budget + 1)
    except urllib.error.HTTPError as exc:
        raise FetchFailed(HTTP_RETRIEVAL_FAILURE, f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchFailed(HTTP_RETRIEVAL_FAILURE, f"{url} could not be fetched: {exc}") from None
    if content_type not in ACCEPTED:
        raise FetchFailed(INVALID_CONTENT_TYPE, f"{url} is {content_type or 'of no type'}")
    if len(data) > budget:
        raise FetchFailed(CONTENT_SIZE_EXCEEDED, f"the media of the message exceed {MAX_TOTAL_BYTES} bytes")
    return Fetched(content_type, data)
