"""A local webhook receiver (a real HTTP server on an ephemeral port) that verifies every signature.

It answers each POST with the next of ``statuses`` (then 200), after ``hold`` (an ``Event`` it waits on,
to keep a delivery in flight), and records what it heard: the event id, type, body, whether the signature
verified with the endpoint's secret — exactly what an integrator's receiver does.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from smsinbox.integrations import signing


@dataclass
class Heard:
    event_id: str
    type: str
    body: dict[str, Any]
    verified: bool
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() on arrival


@dataclass
class Receiver:
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    hold: threading.Event | None = None
    heard: list[Heard] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                verified = signing.verify(
                    secret=receiver.secret,
                    timestamp=self.headers.get(signing.TIMESTAMP_HEADER, ""),
                    body=raw,
                    header=self.headers.get(signing.SIGNATURE_HEADER, ""),
                    now=time.time(),
                )
                body = json.loads(raw)
                receiver.heard.append(
                    Heard(
                        body["id"],
                        body["type"],
                        body,
                        verified,
                        {k.lower(): v for k, v in self.headers.items()},
                        time.monotonic(),
                    )
                )
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = b'{"ok": true}' if status < 300 else b"receiver is down"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/smsinbox"

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()
