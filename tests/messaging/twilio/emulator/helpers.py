"""Test helpers for the Twilio emulator: a recording webhook receiver and an SDK client pointed at it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from messaging.twilio.emulator import TwilioEmulator

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "emulator-test-token-0123456789"
NUMBER = "+15005550006"
CUSTOMER = "+14155550101"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# The Message resource's properties in Twilio's OpenAPI spec (api.v2010.account.message).
MESSAGE_FIELDS = {
    "account_sid",
    "api_version",
    "body",
    "date_created",
    "date_sent",
    "date_updated",
    "direction",
    "error_code",
    "error_message",
    "from",
    "messaging_service_sid",
    "num_media",
    "num_segments",
    "price",
    "price_unit",
    "sid",
    "status",
    "subresource_uris",
    "to",
    "uri",
}


@dataclass
class Post:
    """One request the receiver got."""

    method: str
    path: str  # path and query, as received
    url: str  # the full URL the emulator called
    headers: dict[str, str]
    form: dict[str, str]  # POST fields (or, for a GET, the query)

    @property
    def signature(self) -> str:
        return self.headers.get("X-Twilio-Signature", "")

    def signed(self, token: str = AUTH_TOKEN) -> bool:
        """Whether the signature is valid, checked as the inbox checks it (the SDK's validator)."""
        params = {} if self.method == "GET" else self.form
        return RequestValidator(token).validate(self.url, params, self.signature)


class Receiver:
    """A stdlib HTTP server on an ephemeral port that records every request and answers ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.posts: list[Post] = []
        self.on_post: Callable[[Post], None] | None = None
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._record(self)

            def do_GET(self) -> None:
                receiver._record(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        fields = body if handler.command == "POST" else urlsplit(handler.path).query
        post = Post(
            handler.command,
            handler.path,
            self.url + handler.path,
            dict(handler.headers.items()),
            dict(parse_qsl(fields, keep_blank_values=True)),
        )
        if self.on_post is not None:
            self.on_post(post)
        with self._changed:
            self.posts.append(post)
            self._changed.notify_all()
        status = self.status
        payload = (EMPTY_TWIML if status == 200 else "refused").encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml" if status == 200 else "text/plain")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def wait_for(self, count: int, timeout: float = 5) -> list[Post]:
        """The posts once there are at least ``count`` (or whatever arrived within ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.posts) >= count, timeout=timeout)
            return list(self.posts)

    def to(self, path: str) -> list[Post]:
        with self._changed:
            return [p for p in self.posts if urlsplit(p.path).path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def sdk_client(emulator: TwilioEmulator, *, timeout: float = 10, token: str = AUTH_TOKEN) -> Client:
    """The real ``twilio`` SDK, pointed at the emulator exactly as the inbox does it."""
    client = Client(emulator.account_sid, token, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = emulator.base_url
    client.edge = client.region = None  # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host
    return client


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
