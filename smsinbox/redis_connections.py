"""Redis connections for the channel layer whose commands can always be cancelled.

redis-py bounds each write with ``asyncio.wait_for`` when ``socket_timeout`` is set. On Python 3.11,
``wait_for`` swallows a cancellation that arrives just as the wrapped write completes (CPython
gh-86296, fixed in 3.12): the cancelled task carries on as if nothing happened. A websocket's consumer
cancels its blocking receive (BZPOPMIN) when the socket closes; a lost cancellation left that receive
looping forever, so the consumer never finished — a server leaks a task and a Redis connection per
unlucky disconnect, and the test suite hung in teardown.

Invariant: a cancelled channel-layer command ends with ``CancelledError``. The write keeps its limit
(``socket_timeout``), enforced by ``asyncio.timeout``, which counts cancellations correctly, instead
of ``wait_for``. On Python 3.12 and later redis-py's own path is already correct and is used as is.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import TimeoutError as RedisTimeoutError

WAIT_FOR_LOSES_CANCELLATIONS = sys.version_info < (3, 12)


class _CancellableWrites:
    """Mixin for redis-py's asyncio connections: writes bounded without ``asyncio.wait_for``."""

    socket_timeout: float | None

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        limit = self.socket_timeout
        if limit is None or not WAIT_FOR_LOSES_CANCELLATIONS:
            await super().send_packed_command(command, check_health)  # type: ignore[misc]
            return
        # One command at a time uses a connection (the pool hands it out), so nothing else reads
        # socket_timeout while it is cleared; a (re)connect's handshake inside stays under the limit.
        self.socket_timeout = None
        try:
            async with asyncio.timeout(limit):
                await super().send_packed_command(command, check_health)  # type: ignore[misc]
        except TimeoutError:
            await self.disconnect(nowait=True)  # type: ignore[attr-defined]
            raise RedisTimeoutError("Timeout writing to socket") from None
        finally:
            self.socket_timeout = limit


class CancellableConnection(_CancellableWrites, Connection):
    """``redis://`` connections."""


class CancellableSSLConnection(_CancellableWrites, SSLConnection):
    """``rediss://`` connections."""


class CancellableUnixConnection(_CancellableWrites, UnixDomainSocketConnection):
    """``unix://`` connections."""


_CANCELLABLE: dict[type, type] = {
    Connection: CancellableConnection,
    SSLConnection: CancellableSSLConnection,
    UnixDomainSocketConnection: CancellableUnixConnection,
}


def channel_layer_host(url: str, **defaults: Any) -> dict[str, Any]:
    """channels_redis's host options for ``url``: ``defaults``, then the URL's own options (its query
    string wins, as in redis-py's ``from_url``), on the cancellable connection class of its scheme."""
    options = {**defaults, **parse_url(url)}
    options["connection_class"] = _CANCELLABLE[options.get("connection_class", Connection)]
    return options
