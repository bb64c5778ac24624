"""Web Push (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID) through ``pywebpush``.

The VAPID key pair: ``WEB_PUSH_VAPID_PRIVATE_KEY`` (PEM, from the environment) in production; on the
embedded default, the PEM file ``WEB_PUSH_VAPID_KEY_FILE`` (git-ignored, beside the SQLite file),
written by ``manage.py vapid_keys`` when missing (``make run`` calls it). Without either, Web Push is
off: the settings page says so, and nothing is sent.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from smsinbox.notifications.models import PushSubscription

logger = logging.getLogger(__name__)

PUSH_TTL_SECONDS = 24 * 3600  # a push service keeps an undelivered notification this long
PUSH_TIMEOUT_SECONDS = 10.0
EXPIRED_STATUSES = frozenset({404, 410})  # the push service says the subscription is gone


def _private_pem() -> bytes | None:
    configured = (settings.WEB_PUSH_VAPID_PRIVATE_KEY or "").strip()
    if configured:
        return configured.replace("\\n", "\n").encode()
    path = Path(settings.WEB_PUSH_VAPID_KEY_FILE)
    return path.read_bytes() if path.is_file() else None


def vapid_key() -> Vapid02 | None:
    """The server's VAPID key pair, or ``None`` when none is configured (Web Push is off)."""
    pem = _private_pem()
    return Vapid02.from_pem(pem) if pem else None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_public_key() -> str:
    """The public key as browsers take it (``applicationServerKey``): base64url of the uncompressed point;
    empty when Web Push is off."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = vapid_key()
    if key is None:
        return ""
    return b64url(key.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def vapid_keys_ensure(path: Path) -> bool:
    """Write a new VAPID private key (PEM, readable by the owner only) to ``path`` unless it exists;
    whether one was written."""
    if path.exists():
        return False
    key = Vapid02()
    key.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(key.private_pem())
    return True


def web_push_deliver(*, user_ids: list[int], payload: dict[str, Any]) -> dict[str, int]:
    """Push ``payload`` (JSON, encrypted for each subscription) to every subscription of ``user_ids``.

    Counts ``sent``, ``expired`` (404/410: the subscription is deleted) and ``failed`` (anything else:
    logged, kept; the notification is not retried, it would be stale). Nothing is sent when Web Push is off.
    """
    counts = {"sent": 0, "expired": 0, "failed": 0}
    key = vapid_key()
    if key is None:
        return counts
    data = json.dumps(payload, separators=(",", ":"))
    for subscription in PushSubscription.objects.filter(user_id__in=user_ids).order_by("pk"):
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        try:
            webpush(
                subscription_info=info,
                data=data,
                vapid_private_key=key,
                vapid_claims={"sub": settings.WEB_PUSH_CONTACT},
                ttl=PUSH_TTL_SECONDS,
                timeout=PUSH_TIMEOUT_SECONDS,
                headers={"Urgency": "high"},
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in EXPIRED_STATUSES:
                with transaction.atomic():
                    PushSubscription.objects.filter(pk=subscription.pk, endpoint=subscription.endpoint).delete()
                counts["expired"] += 1
            else:
                logger.warning("web push to subscription %s failed (status %s)", subscription.pk, status)
                counts["failed"] += 1
        except Exception:  # the push service unreachable: the next notification tries again
            logger.warning("web push to subscription %s failed", subscription.pk, exc_info=True)
            counts["failed"] += 1
        else:
            counts["sent"] += 1
    return counts
