"""``/_emulator/…``: control endpoints for local use (no auth; the emulator binds to 127.0.0.1).

- ``POST /_emulator/inbound`` (form or JSON: ``from``, ``to``, ``body``, ``media`` repeatable: a URL or
  ``emulator``; in JSON also ``{"content_type": …, "data": base64}``, a file given as bytes)
- ``GET|POST /_emulator/numbers`` (``number``, ``sms_url``, ``status_callback``, ``friendly_name``,
  ``messaging_service_sid``, ``advanced_opt_out``)
- ``POST /_emulator/faults`` (``fail_next``, ``status``, ``stall_seconds``)
- ``POST /_emulator/clock`` (``advance_seconds``): move the clock forward (scheduled messages due by then go)
- ``GET /_emulator/messages``, ``GET /_emulator/webhooks``, ``POST /_emulator/reset``, ``GET /_emulator``
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING

from .server import BadRequest, Request, Response, json_response
from .state import MediaFile
from .validation import MAX_MEDIA

if TYPE_CHECKING:
    from .emulator import TwilioEmulator

PREFIX = "/_emulator"


def _first(form: dict[str, list[str]], *names: str) -> str:
    for name in names:
        values = form.get(name)
        if values and values[0].strip():
            return values[0].strip()
    return ""


def _error(status: int, text: str) -> Response:
    return json_response(status, {"error": text})


def _media(request: Request, form: dict[str, list[str]]) -> list[str | MediaFile]:
    """The media of an inbound request, in order: URLs or ``emulator`` (form or JSON), and in a JSON
    ``media`` list also ``{"content_type": …, "data": base64}`` objects, files given as bytes."""
    names = ("media", "media_urls", "MediaUrl")
    if "json" not in (request.headers.get("Content-Type") or "").lower():
        return [url.strip() for name in names for url in form.get(name, []) if url.strip()]
    data = json.loads(request.body or b"{}")  # form() has read it: it is a JSON object
    media: list[str | MediaFile] = []
    for name in names:
        items = data.get(name) or []
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                try:
                    media.append(
                        MediaFile(str(item["content_type"]), base64.b64decode(str(item["data"]), validate=True))
                    )
                except (KeyError, ValueError, binascii.Error) as exc:
                    raise BadRequest(f"a medium given as bytes needs content_type and base64 data: {exc}") from exc
            elif str(item).strip():
                media.append(str(item).strip())
    if len(media) > MAX_MEDIA:
        raise BadRequest(f"at most {MAX_MEDIA} media")
    return media


class ControlApi:
    def __init__(self, emulator: TwilioEmulator):
        self.emulator = emulator

    def __call__(self, request: Request) -> Response:
        route = (request.method, request.path.removeprefix(PREFIX).rstrip("/"))
        handlers = {
            ("GET", ""): self.info,
            ("POST", "/inbound"): self.inbound,
            ("GET", "/numbers"): self.numbers,
            ("POST", "/numbers"): self.add_number,
            ("POST", "/faults"): self.faults,
            ("GET", "/messages"): self.messages,
            ("GET", "/webhooks"): self.webhooks,
            ("POST", "/reset"): self.reset,
            ("POST", "/clock"): self.clock,
        }
        handler = handlers.get(route)
        if handler is None:
            return _error(404, f"no emulator endpoint {request.method} {request.path}")
        return handler(request)

    def info(self, request: Request) -> Response:
        emulator = self.emulator
        return json_response(
            200,
            {
                "account_sid": emulator.account_sid,
                "base_url": emulator.base_url,
                "numbers": [n["phone_number"] for n in emulator.numbers()],
                "messages": len(emulator.messages()),
            },
        )

    def inbound(self, request: Request) -> Response:
        form = request.form()
        from_ = _first(form, "from", "From", "from_")
        to = _first(form, "to", "To")
        if not from_:
            return _error(400, "'from' is required")
        media = _media(request, form)
        body = (form.get("body") or form.get("Body") or [""])[0]
        try:
            result = self.emulator.send_inbound(from_=from_, to=to or None, body=body, media_urls=media)
        except LookupError as exc:
            return _error(404, str(exc.args[0]) if exc.args else "unknown number")
        except ValueError as exc:
            return _error(400, str(exc))
        return json_response(200, result)

    def numbers(self, request: Request) -> Response:
        return json_response(200, self.emulator.numbers())

    def add_number(self, request: Request) -> Response:
        form = request.form()
        number = _first(form, "number", "phone_number", "PhoneNumber")
        try:
            resource = self.emulator.add_number(
                number,
                sms_url=_first(form, "sms_url", "SmsUrl"),
                status_callback=_first(form, "status_callback", "StatusCallback"),
                friendly_name=_first(form, "friendly_name", "FriendlyName"),
                messaging_service_sid=_first(form, "messaging_service_sid", "MessagingServiceSid"),
                advanced_opt_out=_first(form, "advanced_opt_out").lower() in {"1", "true", "yes", "on"},
            )
        except ValueError as exc:
            return _error(400, str(exc))
        return json_response(201, resource)

    def faults(self, request: Request) -> Response:
        form = request.form()
        try:
            fail_next = int(_first(form, "fail_next") or 1)
            status = int(_first(form, "status")) if _first(form, "status") else None
            stall = float(_first(form, "stall_seconds") or 0)
            armed = self.emulator.inject_faults(fail_next=fail_next, status=status, stall_seconds=stall)
        except ValueError as exc:
            return _error(400, str(exc))
        return json_response(200, armed)

    def messages(self, request: Request) -> Response:
        return json_response(200, self.emulator.messages(direction=request.arg("direction") or None))

    def webhooks(self, request: Request) -> Response:
        return json_response(200, self.emulator.webhooks())

    def reset(self, request: Request) -> Response:
        self.emulator.reset()
        return json_response(200, {"reset": True})

    def clock(self, request: Request) -> Response:
        try:
            seconds = float(_first(request.form(), "advance_seconds") or 0)
            moved = self.emulator.advance_clock(seconds)
        except ValueError as exc:
            return _error(400, str(exc))
        return json_response(200, {"now": moved.isoformat()})
