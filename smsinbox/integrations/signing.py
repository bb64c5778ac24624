"""The signature of a delivery, as receivers verify it (the README has the same check in Python).

``X-Smsinbox-Signature: v1=<hex>`` where ``<hex>`` is HMAC-SHA256 with the endpoint's secret over
``<timestamp>.<body>``, and ``X-Smsinbox-Timestamp: <timestamp>`` (Unix seconds): a receiver refuses a
timestamp more than five minutes off, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Smsinbox-Signature"
TIMESTAMP_HEADER = "X-Smsinbox-Timestamp"
EVENT_ID_HEADER = "X-Smsinbox-Event-Id"
EVENT_TYPE_HEADER = "X-Smsinbox-Event-Type"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(*, secret: str, timestamp: str, body: bytes, header: str, now: float) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature (compared in constant time)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=sent, body=body), header)
