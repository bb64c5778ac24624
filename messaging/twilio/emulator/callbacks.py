"""Signed webhooks as Twilio sends them, on background threads, with a count of work in flight.

Each webhook is a form POST (or a GET with the fields in the query, for a number whose
``sms_method`` is GET) carrying ``X-Twilio-Signature`` computed by the ``twilio`` SDK over the
exact URL and all fields, and an ``I-Twilio-Idempotency-Token`` that repeats on retries and
duplicates, and ``X-Home-Region``. Like Twilio, a request has one 15 s budget in all (at most
10 s of it to connect); a target that is down, slower than that, or answers non-2xx is logged and
retried at most twice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urldefrag, urlencode

import requests
from twilio.request_validator import RequestValidator

logger = logging.getLogger("messaging.twilio.emulator")

CONNECT_TIMEOUT_SECONDS = 10.0  # Twilio: two 5 s connection attempts
TIMEOUT_SECONDS = 15.0  # Twilio: the whole request, connection included
HOME_REGION = "us1"
MAX_RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.1  # × attempt number


@dataclass
class Delivery:
    """What happened to one webhook (after its retries)."""

    kind: str  # "status" or "inbound"
    url: str
    method: str
    params: dict[str, str]
    idempotency_token: str
    status_code: int | None = None
    response: str = ""
    error: str = ""
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class WebhookSender:
    def __init__(self, auth_token: str, stopping: threading.Event):
        self._validator = RequestValidator(auth_token)
        self._stopping = stopping
        self._idle = threading.Condition()
        self._pending = 0
        self._log: list[Delivery] = []
        self._log_lock = threading.Lock()

    # --- work accounting ---------------------------------------------------------------

    def begin(self) -> None:
        """Count one piece of work as pending (call before handing it to a thread)."""
        with self._idle:
            self._pending += 1

    def end(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending <= 0:
                self._idle.notify_all()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        finally:
            self.end()

    def spawn(self, target: Callable[[], None], *, counted: bool = True) -> None:
        """Run ``target`` on a daemon thread; ``counted`` work keeps :meth:`wait_idle` waiting."""
        if counted:
            self.begin()

        def run() -> None:
            try:
                target()
            except Exception:
                logger.exception("twilio emulator: background work failed")
            finally:
                if counted:
                    self.end()

        threading.Thread(target=run, name="twilio-emulator-webhook", daemon=True).start()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending or in flight; ``False`` if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending <= 0, timeout=timeout)

    # --- delivery ----------------------------------------------------------------------

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        return self._validator.compute_signature(url, dict(params))

    def deliver(
        self,
        kind: str,
        url: str,
        params: Mapping[str, str],
        *,
        method: str = "POST",
        token: str | None = None,
        retries: int = MAX_RETRIES,
    ) -> Delivery:
        """Send one signed webhook now (in the calling thread), retrying a failure at most ``retries`` times."""
        url = urldefrag(url).url  # a fragment holds Twilio connection overrides; it is never sent
        method = "GET" if method.upper() == "GET" else "POST"
        delivery = Delivery(kind, url, method, dict(params), token or str(uuid.uuid4()))
        if method == "GET":
            target = url + ("&" if "?" in url else "?") + urlencode(delivery.params)
            signature, data = self.sign(target, {}), None
        else:
            target, signature, data = url, self.sign(url, delivery.params), delivery.params
        headers = {
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": delivery.idempotency_token,
            "User-Agent": "TwilioProxy/1.1",
            "Accept": "*/*",
            "X-Home-Region": HOME_REGION,
        }
        for attempt in range(retries + 1):
            if attempt and self._stopping.wait(RETRY_BACKOFF_SECONDS * attempt):
                break
            delivery.attempts = attempt + 1
            started = time.monotonic()
            try:
                response = requests.request(
                    method,
                    target,
                    data=data,
                    headers=headers,
                    timeout=(min(CONNECT_TIMEOUT_SECONDS, TIMEOUT_SECONDS), TIMEOUT_SECONDS),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                delivery.status_code, delivery.response, delivery.error = None, "", f"{type(exc).__name__}: {exc}"
            else:
                if time.monotonic() - started > TIMEOUT_SECONDS:  # connecting and answering share the budget
                    delivery.status_code, delivery.response = None, ""
                    delivery.error = f"Timeout: no complete answer within {TIMEOUT_SECONDS:g} s"
                    logger.warning("twilio emulator: %s webhook to %s: %s", kind, url, delivery.error)
                    continue
                delivery.status_code, delivery.response, delivery.error = response.status_code, response.text[:4000], ""
                if delivery.ok:
                    break
            logger.warning(
                "twilio emulator: %s webhook to %s failed (attempt %d of %d): %s",
                kind,
                url,
                attempt + 1,
                retries + 1,
                delivery.error or f"HTTP {delivery.status_code}",
            )
        if delivery.ok:
            logger.info(
                "twilio emulator: %s webhook %s → %s %s", kind, _summary(delivery.params), url, delivery.status_code
            )
        with self._log_lock:
            self._log.append(delivery)
        return delivery

    def log(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [d.as_dict() for d in self._log]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()


def _summary(params: Mapping[str, str]) -> str:
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    return f"{params.get('MessageSid', '-')} {status}".strip()
