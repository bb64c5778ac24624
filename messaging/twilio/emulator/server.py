"""HTTP transport: a stdlib ``ThreadingHTTPServer`` handing each request to one application callable."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger("messaging.twilio.emulator")

MAX_BODY_BYTES = 8 * 1024 * 1024  # room for MMS files (5 MB, base64) sent to /_emulator/inbound


class BadRequest(ValueError):
    """The request body cannot be read (malformed JSON or form)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers | Mapping[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str = "") -> str:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, list[str]]:
        """The body as ``name → [values]``: form-encoded, or a JSON object (lists for repeated fields)."""
        content_type = (self.headers.get("Content-Type") or "").lower()
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("the body is not UTF-8") from exc
        if "json" not in content_type:
            return parse_qs(text, keep_blank_values=True)
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError as exc:
            raise BadRequest(f"malformed JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BadRequest("the JSON body must be an object")
        return {
            str(key): [_text(v) for v in value] if isinstance(value, list) else [_text(value)]
            for key, value in data.items()
            if value is not None
        }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), headers=headers or {})


App = Callable[[Request], Response]


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorHTTPServer
    server_version = "TwilioEmulator/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after stop()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length_header = self.headers.get("Content-Length") or "0"
        length = int(length_header) if length_header.isdigit() else 0
        if length > MAX_BODY_BYTES:
            self._send(json_response(413, {"error": "request body too large"}))
            return
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True), self.headers, body)
        try:
            response = self.server.app(request)
        except BadRequest as exc:
            response = json_response(400, {"error": str(exc)})
        except Exception:
            logger.exception("twilio emulator: %s %s crashed", self.command, self.path)
            response = json_response(
                500,
                {
                    "code": 20500,
                    "message": "An internal server error has occurred",
                    "more_info": "https://www.twilio.com/docs/errors/20500",
                    "status": 500,
                },
            )
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.info("twilio emulator: the client of %s %s hung up before the answer", self.command, self.path)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("twilio emulator: %s", format % args)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App):
        self.app = app
        super().__init__(address, _Handler)
