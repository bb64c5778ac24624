"""Record every live event an organization's inboxes hear, on the real channel layer, while a storm runs."""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

from smsinbox import events
from smsinbox.events import frame, organization_group


class LiveRecorder:
    """Listen to the organization's group on a thread of its own, as an open inbox does, until stopped.

    It records each event as the inbox's websocket forwards it (``events.frame``): ``{"type": <event
    name>, "payload": <camelCase payload>}``.

    The listener drains its channel continuously (the layer drops what exceeds its capacity, so a
    listener that waits until the end would lose events) and never cancels a pending ``receive``
    (channels_redis may drop a message taken off the buffer by a cancelled receive). With the
    in-memory layer, publishing threads hand their events to the listener's loop, as they hand
    them to the server's loop in the embedded default (``events.set_server_loop``).
    """

    def __init__(self, organization_id: int, *, quiet: float = 1.0, ready_timeout: float = 10.0):
        self.organization_id = organization_id
        self.quiet = quiet
        self.ready_timeout = ready_timeout
        self.received: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._stopped_at = 0.0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="storm-live-recorder", daemon=True)
        self._previous_loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> LiveRecorder:
        self._thread.start()
        if not self._ready.wait(self.ready_timeout):
            raise RuntimeError("the live-event listener did not join its group in time")
        if self._error is not None:
            raise RuntimeError("the live-event listener failed to start") from self._error
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> list[dict[str, Any]]:
        """Keep listening until the group has been quiet for ``quiet`` seconds, then return every event."""
        self._stopped_at = time.monotonic()
        self._stopping.set()
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the live-event listener failed") from self._error
        return self.received

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._listen(loop))
        except BaseException as exc:  # reported by stop()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("no channel layer is configured")
        in_memory = isinstance(layer, InMemoryChannelLayer)
        channel = await layer.new_channel()
        group = organization_group(self.organization_id)
        await layer.group_add(group, channel)
        if in_memory:
            self._previous_loop = events._server_loop  # restored below; the module keeps no other state
            events.set_server_loop(loop)
        self._ready.set()
        pending: asyncio.Future | None = None
        last_heard = time.monotonic()
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(layer.receive(channel))
                done, _ = await asyncio.wait({pending}, timeout=0.1)
                if done:
                    message = pending.result()
                    self.received.append(frame(message) or message)
                    pending = None
                    last_heard = time.monotonic()
                elif self._stopping.is_set() and time.monotonic() - max(last_heard, self._stopped_at) >= self.quiet:
                    return
        finally:
            if in_memory:
                events._server_loop = self._previous_loop
            if pending is not None:
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
            await layer.group_discard(group, channel)
