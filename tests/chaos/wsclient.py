"""An inbox client that behaves like the inbox page (``static/js/live.js``): websocket, reconnect with backoff,
resync since.

It loads a thread page (``/c/<id>/``: the messages shown, and the page's configuration ``#inbox-config``
with the server's ``now``, the URLs, the event names and the connection's timings), connects to the
socket URL it names, and on every (re)connection asks the sync URL (``?since=…&conversation=…``) for what it
missed, moving ``since`` to the answer's ``now`` minus the resync margin (5 s), as the page does. After a
close or a failed attempt it waits ``reconnect_delay`` — ``static/js/live.js``'s ``backoffDelay`` on the
page's own timings: ``min(max, base × 2^retry) × (1 − jitter × random)`` — and connects again; it pings as
often as the page does.
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

_CONFIG = re.compile(r'<script id="inbox-config" type="application/json">(.*?)</script>', re.S)
_TEMPLATE = re.compile(r"<template\b.*?</template>", re.S)  # rows and bubbles the page clones: not shown


def reconnect_delay(retry: int, random: float, live: dict) -> float:
    """Seconds to wait after the ``retry``-th failed attempt: ``static/js/live.js``'s ``backoffDelay``."""
    ceiling = min(live["reconnectMaxMs"], live["reconnectBaseMs"] * 2**retry)
    return ceiling * (1 - live["reconnectJitter"] * random) / 1000


_MESSAGE = re.compile(r'<li class="message [a-z]+" data-id="(\d+)"')


class InboxClient:
    """One browser tab with conversation ``conversation_id`` open."""

    def __init__(self, base: str, cookie: str, organization_id: int, conversation_id: int, seed: int) -> None:
        self.base, self.cookie = base, cookie
        self.organization_id = organization_id
        self.ws_url = ""  # from the page's configuration (load_page), as all the rest of what the page is told
        self.config: dict[str, Any] = {}
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
        """GET the thread page: what it shows, and its configuration (the server time it resyncs from…)."""
        async with session.get(f"{self.base}/c/{self.conversation_id}/", headers={"Cookie": self.cookie}) as response:
            html = await response.text()
            if response.status != 200:
                raise RuntimeError(f"thread page answered {response.status}")
        found = _CONFIG.search(html)
        if found is None:
            raise RuntimeError("no #inbox-config on the thread page")
        self.config = json.loads(found.group(1))
        if self.config["organization"] != self.organization_id:
            raise RuntimeError(f"the page is of organization {self.config['organization']}")
        self.ws_url = self.base.replace("http://", "ws://") + self.config["urls"]["socket"]
        self.last_sync = self.config["now"]
        self.seen.update(int(x) for x in _MESSAGE.findall(_TEMPLATE.sub("", html)))

    async def resync(self, session: aiohttp.ClientSession) -> None:
        """Ask what changed since the last sync (once; a failure waits for the next reconnection, as the page)."""
        query = urlencode({"since": self.last_sync, "conversation": self.conversation_id})
        sync_url = f"{self.base}{self.config['urls']['sync']}?{query}"
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError, KeyError):
            async with session.get(sync_url, headers={"Cookie": self.cookie}) as response:
                if response.status != 200:
                    return
                data = await response.json()
            for row in data["conversations"]:
                self.rows[row["id"]] = row
            for message in data["messages"]:
                self._message(message)
            now = datetime.fromisoformat(data["now"])
            self.last_sync = (now - timedelta(milliseconds=self.config["live"]["resyncMarginMs"])).isoformat()
            self.synced.append(time.monotonic())

    def _message(self, payload: dict[str, Any]) -> None:
        if payload.get("conversationId") == self.conversation_id:
            self.seen.add(int(payload["id"]))

    def _frame(self, text: str) -> None:
        self.frames += 1
        event = json.loads(text)
        kind, payload = event.get("type"), event.get("payload") or {}
        if kind == self.config["events"]["messageCreated"]:
            self._message(payload)
        elif kind == self.config["events"]["conversationUpdated"]:
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
                await asyncio.sleep(self.config["live"]["pingMs"] / 1000)
                await ws.send(json.dumps({"type": "ping"}))

    async def _backoff(self) -> None:
        delay = reconnect_delay(self.retry, self.rng.random(), self.config["live"])
        self.retry += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=delay)

    def stop(self) -> None:
        self._stop.set()
