"""The only way live updates leave the app: a Channels group event, sent after commit.

Only services call ``publish_on_commit``. The event goes to the organization's group after
the surrounding transaction commits, so a rolled-back change is never announced. If the
channel layer is down, the event is logged and dropped: the data is already stored, and
open inboxes resync when they reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# Event types (Channels handler names follow them: "inbox.message_created" -> inbox_message_created).
MESSAGE_CREATED = "inbox.message_created"
MESSAGE_STATUS_CHANGED = "inbox.message_status_changed"
CONVERSATION_UPDATED = "inbox.conversation_updated"


# A stalled Redis must not hold a webhook answer (Twilio waits 15 s) or a worker.
PUBLISH_TIMEOUT = 2.0


def organization_group(organization_id: int) -> str:
    """Name of the Channels group every open inbox of the organization joins."""
    return f"org.{organization_id}"


# The server's event loop, when the in-memory layer is used and tasks run inside the server
# process: events published from a worker thread must reach the queues on that loop.
_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Record the ASGI server's loop (see ``smsinbox.embedded``)."""
    global _server_loop
    _server_loop = loop


# A loop of our own on a daemon thread, for the Redis layer wherever no server loop was handed
# over (task workers, request threads): one loop and one Redis connection pool per process,
# instead of a new loop and a new connection for every event.
_publisher: tuple[int, asyncio.AbstractEventLoop] | None = None
_publisher_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """Start (once per process: a forked child starts its own) and return the publishing loop."""
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher[0] != os.getpid() or not _publisher[1].is_running():
            loop = asyncio.new_event_loop()
            running = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(running.set)
                loop.run_forever()

            threading.Thread(target=run, name="smsinbox-live-events", daemon=True).start()
            running.wait(PUBLISH_TIMEOUT)
            _publisher = (os.getpid(), loop)
        return _publisher[1]


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = _server_loop

        async def publish() -> None:
            await asyncio.wait_for(layer.group_send(group, event), timeout=PUBLISH_TIMEOUT)

        if (loop is None or not loop.is_running()) and not isinstance(layer, InMemoryChannelLayer):
            loop = _publisher_loop()
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(publish(), loop).result(timeout=PUBLISH_TIMEOUT + 1)
        else:  # the in-memory layer outside a server (tests, management commands)
            async_to_sync(publish)()
    except Exception:  # the layer (Redis) is down or full: the change itself is safely stored
        logger.warning("live event %s to %s not delivered", event.get("type"), group, exc_info=True)


def publish_on_commit(*, organization_id: int, event_type: str, payload: dict[str, Any]) -> None:
    """Send ``event_type`` with ``payload`` to the organization's inboxes once the transaction commits."""
    event = {"type": event_type, "payload": payload}
    group = organization_group(organization_id)
    transaction.on_commit(lambda: _send(group, event), robust=True)
