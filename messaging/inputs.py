"""What the messaging services take in: plain values, whichever provider or source produced them.

The services never see a provider's shapes. ``messaging.twilio`` converts Twilio's form posts
(``payloads.py``) and REST answers (``client.py``) into these; tests and the demo seed build them
directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class IncomingMedia:
    position: int
    url: str
    content_type: str


@dataclass(frozen=True)
class IncomingMessage:
    """A text that arrived at one of our numbers (numbers already E.164, text already clean)."""

    message_sid: str
    account_sid: str
    from_e164: str
    to_e164: str
    body: str
    num_segments: int
    messaging_service_sid: str = ""
    media: tuple[IncomingMedia, ...] = ()
    geo: dict[str, str] = field(default_factory=dict)
    opt_out_type: str = ""  # the provider's own opt-out verdict (STOP / START / HELP), when it sends one
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MessageReport:
    """What the provider says about one of our outbound messages, from any source.

    The same facts arrive four ways — the answer to the create request, a lookup after an
    ambiguous attempt, a status callback, reconciliation fetching the resource — and are
    recorded by one function (``messaging.services.status.message_apply_report``). Fields a
    source does not carry are ``None`` / empty and change nothing.
    """

    sid: str
    status: str  # lower-cased, as reported: may be a status we do not know
    error_code: int | None = None
    error_message: str = ""
    num_segments: int | None = None
    price: Decimal | None = None
    price_unit: str = ""
    our_message_id: int | None = None  # our own id, when the source carries it (the callback URL's ``?m=``)
    raw: dict[str, Any] = field(default_factory=dict)
