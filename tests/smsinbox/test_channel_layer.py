"""The Redis channel layer keeps a quiet websocket open: its socket reads outlast channels_redis's blocking reads.

channels_redis waits for a consumer's next event with ``BZPOPMIN … timeout`` and loops. If the
socket read timeout is not longer than that wait (redis-py 8's default equals it: 5 s), the read
times out just before Redis answers "nothing yet", the consumer dies with ``TimeoutError`` and
the browser loses its websocket without a close frame — every ~5 s on a quiet inbox.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.browser import LiveServer, base_environment, manage, stop_and_check
from tests.smsinbox.test_settings import PRODUCTION, shell_json

IDLE_SECONDS = 30  # six of channels_redis's 5 s blocking reads in a row, none of them answered with an event
NUMBER = "+15005550006"
USERNAME, PASSWORD = "idle-alice", "pw-idle-alice-1"


def test_the_layer_reads_longer_than_redis_blocks_and_still_gives_up():
    """Socket reads outlast the blocking read by a margin, and stay bounded: a silent Redis is still detected."""
    assert RedisChannelLayer.brpop_timeout == settings.REDIS_BLOCKING_READ_SECONDS  # the installed channels_redis
    [host] = shell_json("s.CHANNEL_LAYERS['default']['CONFIG']['hosts']", PRODUCTION)
    assert (host["host"], host["port"], host["db"]) == ("cache.internal", 6379, 0)  # from PRODUCTION["REDIS_URL"]
    assert "CancellableConnection" in host["connection_class"]  # smsinbox.redis_connections
    assert RedisChannelLayer.brpop_timeout + 5 <= host["socket_timeout"] <= 30
    assert 0 < host["socket_connect_timeout"] <= 5
    assert host["socket_keepalive"] is True
    cache = shell_json("s.CACHES['default']", PRODUCTION)
    assert cache["LOCATION"] == PRODUCTION["REDIS_URL"]
    assert 0 < cache["OPTIONS"]["socket_timeout"] <= 10  # no blocking commands: a short bound, never None
    assert 0 < cache["OPTIONS"]["socket_connect_timeout"] <= 5


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real ``uvicorn`` with ``REDIS_URL`` (where the drop showed), its own SQLite file and Redis key prefix.

    Nothing is sent to Twilio here, so no emulator runs; the API base points at a closed local port.
    """
    env = base_environment({"SQLITE_PATH": str(tmp_path / "inbox.sqlite3"), "ALLOW_SQLITE": "1"}, "http://127.0.0.1:9")
    env.update(
        REDIS_URL=os.environ["REDIS_URL"].strip(),
        REDIS_PREFIX=f"smsinbox:idle-test:{secrets.token_hex(4)}",
        TASKS_IN_SERVER_PROCESS="0",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "setup_org", "--name", "Idle Dental", "--number", NUMBER, "--username", USERNAME,
           "--password", PASSWORD)  # fmt: skip
    server = LiveServer("idle-redis", env).start()
    yield server
    stop_and_check(server)  # it must exit cleanly and have logged no traceback


def session_cookie(server: LiveServer) -> str:
    """Log in through the login form, as a browser does; return the ``Cookie`` header for the websocket."""
    with requests.Session() as session:
        session.get(f"{server.url}/accounts/login/", timeout=10).raise_for_status()
        response = session.post(
            f"{server.url}/accounts/login/",
            data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:300]
        return f"sessionid={session.cookies['sessionid']}"


def next_event(ws: ClientConnection, kind: str, timeout: float) -> dict:
    """The next frame of type ``kind`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == kind:
            return frame


@pytest.mark.redis
def test_a_websocket_idle_for_30_s_stays_open_and_receives_the_next_event(redis_server: LiveServer):
    server = redis_server
    ws_url = server.url.replace("http://", "ws://") + "/ws/inbox/"
    headers = {"Cookie": session_cookie(server), "Origin": server.url}
    # No client pings: nothing reaches the consumer while it waits on Redis.
    with connect(ws_url, additional_headers=headers, open_timeout=10, ping_interval=None) as ws:
        started = time.monotonic()
        try:
            frame = ws.recv(timeout=IDLE_SECONDS)
        except TimeoutError:
            pass  # quiet and still open: what a quiet inbox should see
        except ConnectionClosed as closed:
            pytest.fail(
                f"the websocket was dropped after {time.monotonic() - started:.1f} s of quiet ({closed!r}); "
                f"{server.log_path}:\n{server.log_tail(30)}"
            )
        else:
            pytest.fail(f"nothing was due while idle, yet received {frame!r}")

        body = f"Still there after {IDLE_SECONDS} s? {secrets.token_hex(3)}"
        server.post_inbound(from_="+14155550190", body=body, to=NUMBER)
        event = next_event(ws, "message.created", timeout=5)
        assert event["payload"]["body"] == body

    log = server.log_path.read_text(errors="replace")
    assert [line for line in log.splitlines() if re.search(r"\b(?:ERROR|CRITICAL)\b", line)] == []
    assert "TimeoutError" not in log
