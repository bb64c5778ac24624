"""The emulator fetches an outbound message's MediaUrls like Twilio, and fails it with Twilio's codes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from messaging.attachments.rules import ACCEPTED_TYPES
from messaging.twilio.emulator.fetch import ACCEPTED, MAX_TOTAL_BYTES

from .helpers import CUSTOMER, NUMBER, sdk_client

JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 10 + b"\xff\xd9"
FILES = {
    "/photo.jpg": (200, "image/jpeg", JPEG),
    "/page.html": (200, "text/html; charset=utf-8", b"<p>not media</p>"),
    "/missing.jpg": (404, "text/plain", b"no"),
    "/huge.jpg": (200, "image/jpeg", b"\xff" * (MAX_TOTAL_BYTES + 1)),
    "/half.jpg": (200, "image/jpeg", b"\xff" * (MAX_TOTAL_BYTES // 2 + 10)),
}


@pytest.fixture
def files() -> Iterator[tuple[str, list[str]]]:
    """A web server with ``FILES``; yields its URL and the paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            status, content_type, data = FILES.get(self.path, (404, "text/plain", b"no"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def send(emulator, receiver, urls):
    client = sdk_client(emulator)
    sent = client.messages.create(
        to=CUSTOMER, from_=NUMBER, body="pic", media_url=urls, status_callback=receiver.url + "/status"
    )
    assert emulator.wait_idle(10)
    return client, emulator.message(sent.sid)


def test_media_is_fetched_and_kept_as_twilios_copy(emulator, receiver, files):
    base, asked = files
    client, message = send(emulator, receiver, [base + "/photo.jpg", "https://example.com/placeholder.gif"])
    assert message["status"] == "delivered"
    assert asked == ["/photo.jpg"]  # the reserved example domain is only recorded
    assert emulator.media_fetches == [
        {"sid": message["sid"], "url": base + "/photo.jpg", "status": "fetched", "size": len(JPEG)}
    ]
    media = client.messages(message["sid"]).media.list()
    assert [m.content_type for m in media] == ["image/jpeg", "image/gif"]
    location = emulator.state.media_location(message["sid"], media[0].sid)
    assert emulator.state.cdn_content(location.rsplit("/", 1)[1]) == ("image/jpeg", JPEG)


@pytest.mark.parametrize(
    ("paths", "code"),
    [
        (["/missing.jpg"], 11200),
        (["/page.html"], 12300),
        (["/huge.jpg"], 30019),
        (["/half.jpg", "/half.jpg"], 30019),  # 5 MB in all, not each
    ],
)
def test_a_failed_fetch_fails_the_message_with_twilios_code(emulator, receiver, files, paths, code):
    base, _ = files
    _, message = send(emulator, receiver, [base + p for p in paths])
    assert (message["status"], message["error_code"]) == ("failed", code)
    statuses = [(p.form["MessageStatus"], p.form.get("ErrorCode")) for p in receiver.to("/status")]
    assert statuses == [("failed", str(code))]
    assert emulator.media_fetches[-1]["code"] == code


def test_an_unreachable_host_is_11200(emulator, receiver):
    _, message = send(emulator, receiver, ["http://127.0.0.1:9/nothing.jpg"])
    assert (message["status"], message["error_code"]) == ("failed", 11200)


def test_fetching_can_be_turned_off(make_emulator, receiver, files):
    base, asked = files
    emulator = make_emulator(fetch_media=False)
    _, message = send(emulator, receiver, [base + "/missing.jpg"])
    assert message["status"] == "delivered"
    assert asked == []


def test_every_type_the_composer_offers_is_one_twilio_accepts():
    assert ACCEPTED_TYPES <= ACCEPTED
