"""An inbox client that behaves like ``static/js/inbox.js``: websocket, reconnect with backoff, resync since.

It loads a thread page (``/c/<id>/``: the messages shown and the server's ``data-now``), connects to
``ws/inbox/?organization=<id>``, and on every (re)connection asks ``/inbox/sync/?since=…&conversation=…``
for what it missed, moving ``since`` to the answer's ``now`` minus 5 s, as the page does. After a close or a
failed attempt it waits ``reconnect_delay(retry)`` — ``static/js/reconnect.js``'s rule: ``min(4 s, 0.5 s ×
2^retry) × (0.75…1)`` — and connects again; it pings every 25 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import websockets

PING_EVERY = 25.0
RECONNECT_FIRST = 0.5  # seconds: static/js/reconnect.js's RECONNECT_FIRST_MS
RECONNECT_MAX = 4.0  # RECONNECT_MAX_MS: the longest wait between attempts, jitter included
_NOW = re.compile(r'data-now="([^"]+)"')
_MESSAGE = re.compile(r'<li class="message [a-z]+" data-id="(\d+)"')


def reconnect_delay(retry: int, random: float) -> float:
    """Seconds to wait before attempt ``retry + 1`` (``random`` in [0, 1)): ``reconnectDelay`` of reconnect.js."""
    return min(RECONNECT_MAX, RECONNECT_FIRST * 2**retry) * (0.75 + 0.25 * random)


class InboxClient:
    """One browser tab with conversation ``conversation_id`` open."""

    def __init__(self, base: str, cookie: str, organization_id: int, conversation_id: int, seed: int) -> None:
        self.base, self.cookie = base, cookie
        self.ws_url = base.replace("http://", "ws://") + f"/ws/inbox/?organization={organization_id}"
        self.conversation_id = conversation_id
        self.rng = random.Random(seed)  # backoff jitter
        self.seen: set[int] = set()  # message ids of the open thread on screen
        self.rows: dict[int, dict[str, Any]] = {}  # conversation rows on screen, by id
        self.last_sync = ""
        self.retry = 0
        self.opened: list[float] = []  # monotonic times the websocket opened
        self.closed: list[float] = []
        self.synced: list[float] = []  # monotonic times a resync answered
        self.frames = 0
        self.failed_connects = 0
        self._stop = asyncio.Event()

    async def load_page(self, session: aiohttp.ClientSession) -> None:
        """GET the thread page: what it shows, and the server time the page resyncs from."""
        async with session.get(f"{self.base}/c/{self.conversation_id}/", headers={"Cookie": self.cookie}) as response:
            html = await response.text()
            if response.status != 200:
                raise RuntimeError(f"thread page answered {response.status}")
        found = _NOW.search(html)
        if found is None:
            raise RuntimeError("no data-now on the thread page")
        self.last_sync = found.group(1)
        self.seen.update(int(x) for x in _MESSAGE.findall(html))

    async def resync(self, session: aiohttp.ClientSession) -> None:
        """Ask what changed since the last sync (once; a failure waits for the next reconnection, as the page)."""
        query = urlencode({"since": self.last_sync, "conversation": self.conversation_id})
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError, KeyError):
            async with session.get(f"{self.base}/inbox/sync/?{query}", headers={"Cookie": self.cookie}) as response:
                if response.status != 200:
                    return
                data = await response.json()
            for row in data["conversations"]:
                self.rows[row["id"]] = row
            for message in data["messages"]:
                self._message(message)
            now = datetime.fromisoformat(data["now"])
            self.last_sync = (now - timedelta(seconds=5)).isoformat()
            self.synced.append(time.monotonic())

    def _message(self, payload: dict[str, Any]) -> None:
        if payload.get("conversation_id") == self.conversation_id:
            self.seen.add(int(payload["id"]))

    def _frame(self, text: str) -> None:
        self.frames += 1
        event = json.loads(text)
        kind, payload = event.get("type"), event.get("payload") or {}
        if kind == "message_created":
            self._message(payload)
        elif kind == "conversation_updated":
            self.rows[payload["id"]] = payload

    async def run(self, session: aiohttp.ClientSession) -> None:
        """Connect, listen, reconnect, until ``stop``."""
        while not self._stop.is_set():
            try:
                ws = await websockets.connect(
                    self.ws_url, additional_headers={"Cookie": self.cookie, "Origin": self.base}, open_timeout=10,
                    max_queue=None,
                )  # fmt: skip
            except (OSError, TimeoutError, websockets.WebSocketException):
                self.failed_connects += 1
                await self._backoff()
                continue
            self.retry = 0
            self.opened.append(time.monotonic())
            sync = asyncio.ensure_future(self.resync(session))
            pinger = asyncio.ensure_future(self._ping(ws))
            stopper = asyncio.ensure_future(self._stop.wait())
            try:
                reader = asyncio.ensure_future(self._read(ws))
                await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
                reader.cancel()
            finally:
                pinger.cancel()
                stopper.cancel()
                await sync
                with contextlib.suppress(Exception):
                    await ws.close()
                self.closed.append(time.monotonic())
            if not self._stop.is_set():
                await self._backoff()

    async def _read(self, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in ws:
                self._frame(frame if isinstance(frame, str) else frame.decode())

    async def _ping(self, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(PING_EVERY)
                await ws.send(json.dumps({"type": "ping"}))

    async def _backoff(self) -> None:
        delay = reconnect_delay(self.retry, self.rng.random())
        self.retry += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=delay)

    def stop(self) -> None:
        self._stop.set()
