"""``TwilioEmulator``: Twilio's REST API and signed webhooks, served locally for demo, development and tests.

Never used in production. One instance is one Twilio account with its own server, state and
threads; several may run in one process.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from .api import TwilioApi, error_response, not_found
from .callbacks import WebhookSender
from .control import PREFIX, ControlApi
from .fetch import MAX_TOTAL_BYTES, FetchFailed, fetch, is_placeholder
from .lookups import PREFIX as LOOKUP_PREFIX
from .lookups import EmulatorLookups
from .resources import API_VERSION, utcnow
from .rules import Keyword
from .server import EmulatorHTTPServer, Request, Response
from .state import CDN_PREFIX, EmulatorState, MediaSource, Step

logger = logging.getLogger("messaging.twilio.emulator")

FAULT_STATUSES = "429 or 500-599"


class EmulatorError(LookupError):
    """A request the emulator cannot act on (e.g. a number it does not have)."""


class TwilioEmulator:
    """A local double of Twilio's Messaging API (see the package docstring for what it serves)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_delay: float = 1.0,
        duplicate_callbacks: bool = False,
        shuffle_callbacks: bool = False,
        seed: int | None = None,
        out_of_order: float = 0.0,
        fetch_media: bool = True,
    ):
        """``shuffle_callbacks`` posts every message's status callbacks out of order; ``out_of_order``
        (0 to 1) does so for that share of messages, at random, as Twilio does not guarantee order.
        ``fetch_media``: fetch an outbound message's ``MediaUrl``s before it leaves, failing it as Twilio does
        (:mod:`.fetch`); every fetch is listed in ``media_fetches``."""
        if not account_sid.startswith("AC") or not auth_token:
            raise ValueError("the emulator needs an account SID (AC…) and an auth token")
        if not 0.0 <= out_of_order <= 1.0:
            raise ValueError(f"out_of_order is a share of messages, from 0 to 1, not {out_of_order}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.host = host
        self.callback_delay = max(0.0, callback_delay)
        self.duplicate_callbacks = duplicate_callbacks
        self.shuffle_callbacks = shuffle_callbacks
        self.out_of_order = out_of_order
        self.fetch_media = fetch_media
        self.media_fetches: list[dict[str, Any]] = []  # {"sid", "url", "status": "fetched"|"failed", "code"?}
        self.started_at: datetime | None = None
        self.state = EmulatorState(account_sid)
        self._port = port
        self._stopping = threading.Event()
        self._clock_moved = threading.Condition()
        self._sender = WebhookSender(auth_token, self._stopping)
        self._random = random.Random(seed)  # noqa: S311 (shuffles test callbacks, not secrets)
        self._api = TwilioApi(self)
        self._control = ControlApi(self)
        self.lookups = EmulatorLookups()  # Lookup v2 (``.lookups``)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle of the server -------------------------------------------------------

    def start(self) -> TwilioEmulator:
        """Bind and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        self._server = EmulatorHTTPServer((self.host, self._port), self._handle)
        self._port = self._server.server_address[1]
        self.started_at = utcnow()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="twilio-emulator", daemon=True
        )
        self._thread.start()
        logger.info("twilio emulator: serving account %s at %s", self.account_sid, self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving; pending lifecycles and stalls end early."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TwilioEmulator:
        return self if self._server is not None else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host  # noqa: S104 (a comparison)
        return f"http://{host}:{self._port}"

    def _handle(self, request: Request) -> Response:
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return self._control(request)
        if request.path == f"/{API_VERSION}" or request.path.startswith(f"/{API_VERSION}/"):
            return self._api(request)
        if request.path.startswith(LOOKUP_PREFIX):
            return self.lookups(request) if self._api._authorized(request) else self._api(request)
        if request.path.startswith(CDN_PREFIX + "/") and request.method == "GET":
            return self._cdn(request)
        return error_response(not_found(request.path))

    def _cdn(self, request: Request) -> Response:
        """A medium's bytes, without credentials, at the unguessable path a Media URL redirects to."""
        account, _, token = request.path.removeprefix(CDN_PREFIX + "/").partition("/")
        found = self.state.cdn_content(token) if account == self.account_sid and token else None
        if found is None:
            return Response(404, b"Not Found", content_type="text/plain")
        content_type, data = found
        return Response(200, data, content_type=content_type, headers={"Cache-Control": "max-age=3600"})

    # --- numbers, messages, faults -----------------------------------------------------

    def add_number(
        self,
        number: str,
        sms_url: str = "",
        status_callback: str = "",
        friendly_name: str = "",
        messaging_service_sid: str = "",
        advanced_opt_out: bool = False,
        custom_keywords: Mapping[str, Keyword] | None = None,
    ) -> dict:
        """Give the account a number (or update it); return its IncomingPhoneNumber resource.

        ``messaging_service_sid`` (``MG…``) puts the number in that Messaging Service's sender pool;
        ``advanced_opt_out`` turns on the service's Advanced Opt-Out (``OptOutType`` on keywords), with
        its ``custom_keywords`` if given (e.g. ``{"ARRET": "STOP"}``).
        """
        return self.state.add_number(
            number,
            sms_url=sms_url,
            status_callback=status_callback,
            friendly_name=friendly_name,
            messaging_service_sid=messaging_service_sid,
            advanced_opt_out=advanced_opt_out,
            custom_keywords=custom_keywords,
        )

    def numbers(self) -> list[dict[str, Any]]:
        return self.state.numbers()

    def messages(self, direction: str | None = None) -> list[dict[str, Any]]:
        """Message resources in creation order, outbound and inbound (``direction`` filters)."""
        found = self.state.messages()
        return [m for m in found if m["direction"] == direction] if direction else found

    def message(self, sid: str) -> dict[str, Any]:
        """One Message resource; ``KeyError`` when unknown."""
        return self.state.message(sid)

    def inject_faults(self, fail_next: int = 1, status: int | None = None, stall_seconds: float = 0.0) -> dict:
        """Make the next ``fail_next`` create-Message requests fail with ``status`` and/or stall.

        ``status`` 429 answers code 20429, 5xx a Twilio error JSON (20500, 20503) and creates nothing.
        ``stall_seconds`` alone creates the message at once and answers normally, that much later.
        Neither given means ``status=500``; ``fail_next=0`` disarms.
        """
        if status is not None and status != 429 and not 500 <= status <= 599:
            raise ValueError(f"fault status must be {FAULT_STATUSES}, not {status}")
        if status is None and stall_seconds <= 0:
            status = 500
        return self.state.set_faults(fail_next, status, stall_seconds)

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook sent so far: kind, url, method, params, status_code, error, attempts, …"""
        return self._sender.log()

    def reset(self) -> None:
        """Forget messages, opt-outs, faults and the webhook log (numbers stay)."""
        self.state.reset()
        self._sender.clear_log()

    def wait_idle(self, timeout: float = 5) -> bool:
        """Block until no callback is pending or in flight; ``False`` if ``timeout`` passed first."""
        return self._sender.wait_idle(timeout)

    def now(self) -> datetime:
        """The emulator's clock (UTC): real time plus what ``advance_clock`` added."""
        return self.state.now()

    def advance_clock(self, seconds: float) -> datetime:
        """Move the emulator's clock forward: messages scheduled (``ScheduleType=fixed``) for a ``SendAt`` it
        reaches start their lifecycle now, as at Twilio when that time comes. Returns the new time."""
        moved = self.state.advance_clock(timedelta(seconds=seconds))
        with self._clock_moved:
            self._clock_moved.notify_all()
        return moved

    def pause(self, seconds: float) -> None:
        """Sleep, but wake up when the emulator stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    # --- inbound -----------------------------------------------------------------------

    def send_inbound(
        self,
        from_: str = "+14155550101",
        to: str | None = None,
        body: str = "",
        media_urls: Iterable[MediaSource] = (),
    ) -> dict[str, Any]:
        """Post a signed incoming-message webhook to the number's ``sms_url`` and wait for the answer.

        ``to`` defaults to the only number. Each medium becomes a Media resource of the message and
        its ``MediaUrl{N}`` is that resource at this emulator (behind Basic auth, redirecting to the
        bytes, like Twilio's): a :class:`MediaFile` is served as given, ``"emulator"`` is a generated
        PNG, an http(s) URL is recorded and served as a generated image of its declared type (the
        emulator never fetches outside URLs). A failed post goes to the number's
        ``sms_fallback_url`` if set; with ``duplicate_callbacks`` it is posted twice. Returns ``sid``,
        ``status_code`` (``None`` when the target could not be reached), ``url``, ``response`` and
        ``error``. Raises :class:`EmulatorError` for a number the emulator does not have.
        """
        if to is None:
            numbers = self.numbers()
            if len(numbers) != 1:
                raise EmulatorError("say which number the message is sent 'to'")
            to = numbers[0]["phone_number"]
        number = self.state.number_by_e164(to)
        if number is None:
            raise EmulatorError(f"{to} is not a number of this emulator")
        resource, params = self.state.record_inbound(
            from_=from_, to=to, body=body, media_urls=media_urls, base_url=self.base_url
        )
        result: dict[str, Any] = {"sid": resource["sid"], "status_code": None, "url": number["sms_url"]}
        if not number["sms_url"]:
            return {**result, "response": "", "error": "the number has no sms_url"}
        token = str(uuid.uuid4())
        with self._sender.busy():
            delivery = self._sender.deliver(
                "inbound", number["sms_url"], params, method=number["sms_method"], token=token, retries=0
            )
            if not delivery.ok and number["sms_fallback_url"]:
                delivery = self._sender.deliver(
                    "inbound",
                    number["sms_fallback_url"],
                    params,
                    method=number["sms_fallback_method"],
                    token=token,
                    retries=0,
                )
            result.update(
                status_code=delivery.status_code, url=delivery.url, response=delivery.response, error=delivery.error
            )
            if self.duplicate_callbacks:
                again = self._sender.deliver(
                    "inbound", delivery.url, params, method=delivery.method, token=token, retries=0
                )
                result["duplicate_status_code"] = again.status_code
        return result

    # --- outbound lifecycle and status callbacks ---------------------------------------

    def start_lifecycle(self, sid: str) -> None:
        """Move a new message through its statuses on a background thread, posting its callbacks."""
        steps, callback, send_at = self.state.steps_for(sid)
        if send_at is None:
            self._sender.spawn(lambda: self._run_lifecycle(sid, steps, callback))
            return

        def scheduled() -> None:
            while (left := (send_at - self.state.now()).total_seconds()) > 0:  # on the emulator's clock
                with self._clock_moved:
                    self._clock_moved.wait(min(left, 0.25))
                if self._stopping.is_set():
                    return
            with self._sender.busy():
                self._run_lifecycle(sid, steps, callback)

        self._sender.spawn(scheduled, counted=False)  # a message due later does not keep wait_idle waiting

    def send_status_callback(self, url: str, params: dict[str, str]) -> None:
        """Post one status callback in the background (twice with ``duplicate_callbacks``)."""
        token = str(uuid.uuid4())

        def post() -> None:
            for _ in range(2 if self.duplicate_callbacks else 1):
                self._sender.deliver("status", url, params, token=token)

        self._sender.spawn(post)

    def _fetch_media(self, sid: str) -> int | None:
        """Fetch the message's media URLs like Twilio (:mod:`.fetch`); the error code that fails it, if any."""
        budget = MAX_TOTAL_BYTES
        for media_sid, url in self.state.media_to_fetch(sid):
            if is_placeholder(url):
                continue
            try:
                fetched = fetch(url, budget=budget)
            except FetchFailed as exc:
                self.media_fetches.append({"sid": sid, "url": url, "status": "failed", "code": exc.code})
                logger.info("twilio emulator: media of %s not fetched: %s", sid, exc.detail)
                return exc.code
            budget -= len(fetched.data)
            self.state.media_fetched(sid, media_sid, fetched.content_type, fetched.data)
            self.media_fetches.append({"sid": sid, "url": url, "status": "fetched", "size": len(fetched.data)})
        return None

    def _run_lifecycle(self, sid: str, steps: list[Step], callback: str) -> None:
        failed = self._fetch_media(sid) if self.fetch_media else None
        if failed is not None:  # Twilio could not take the media: the message fails before it is sent
            steps = [*(step for step in steps if step.status == "queued"), Step("failed", failed)]
        held: list[tuple[dict[str, str], str]] = []
        shuffled = self.shuffle_callbacks or self._random.random() < self.out_of_order
        for step in steps:
            if self._stopping.wait(self.callback_delay):
                return
            params = self.state.advance(sid, step)
            if params is None:  # canceled or deleted meanwhile
                return
            if not callback:
                continue
            copies = [(params, str(uuid.uuid4()))] * (2 if self.duplicate_callbacks else 1)
            if shuffled:
                held.extend(copies)  # statuses still move in order; the posts come after, out of order
                continue
            for copy, token in copies:
                self._sender.deliver("status", callback, copy, token=token)
        for index, (copy, token) in enumerate(self._out_of_order(held)):
            if index and self._stopping.wait(self.callback_delay):
                return
            self._sender.deliver("status", callback, copy, token=token)

    def _out_of_order(self, held: list[tuple[dict[str, str], str]]) -> list[tuple[dict[str, str], str]]:
        """A random permutation whose statuses are not in their original order (when that is possible)."""
        original = [params["MessageStatus"] for params, _ in held]
        order = list(held)
        if len(set(original)) < 2:
            return order
        while [params["MessageStatus"] for params, _ in order] == original:
            self._random.shuffle(order)
        return order
