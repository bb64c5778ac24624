"""Presence: who else has a thread open, and who is typing in it. Ephemeral: nothing of it is in PostgreSQL.

What a page says (over the inbox websocket, ``smsinbox.web.consumers``): ``viewing`` (a heartbeat every
``HEARTBEAT_MS`` while the thread is open), ``typing`` (on input, at most once per ``TYPING_THROTTLE_MS``)
and ``left``. Each is published at once, without waiting for any database commit (there is none), to the
organization's group as ``presence.changed`` (``events.publish_now``); the consumer that sent it does not
hear its own user's presence back.

The TTL invariant: an entry lives ``TTL_MS`` after the last frame that refreshed it, and says "typing" only
``TYPING_TTL_MS`` after the last ``typing`` frame. ``TTL_MS`` is more than two heartbeats, so one lost or late
heartbeat never makes a viewer blink out; a heartbeat refreshes the store every time but is published only
when the organization last heard of the entry ``REFRESH_PUBLISH_MS`` ago or more (the fan-out grows with the
square of the staff online: this halves it), and ``REFRESH_PUBLISH_MS + HEARTBEAT_MS < TTL_MS`` keeps every
page hearing a refresh before its copy expires; a page that stops sending (tab closed without a close frame,
connection lost, server process gone) is gone from the store and from every page within ``TTL_MS``: pages
expire what they have not heard refreshed by the same rule (``static/js/presence.js``), and a websocket that
closes publishes ``left`` at once. Expired entries are never returned: the stores drop them lazily, on the
reads and writes of their organization, and Redis expires an organization's whole hash once nobody refreshed it.

Two stores behind one interface (``PresenceStore``), chosen from settings by ``presence_store``: Redis when
``REDIS_URL`` is set (shared by every server process), else one in this process (the embedded default
serves from one process). The store gives a page that (re)connects the current state (``presence_list``);
the events carry the changes. Times are this process's wall clock: server processes sharing a Redis must
keep their clocks in step (NTP), as they already must for the sessions' expiry.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from django.conf import settings

from smsinbox import events

logger = logging.getLogger(__name__)

HEARTBEAT_MS = 2_500  # a page with a thread open says "viewing" this often
TTL_MS = 8_000  # an entry not refreshed for this long is gone (more than two heartbeats: see above)
TYPING_TTL_MS = 4_000  # "typing" lasts this long after the last keystroke's frame
# A heartbeat is told to the organization only when the last event about its entry is this old: half the
# fan-out (every other heartbeat), and pages still hear a refresh within REFRESH_PUBLISH_MS + HEARTBEAT_MS < TTL_MS.
REFRESH_PUBLISH_MS = 4_000
TYPING_THROTTLE_MS = 1_500  # a page sends "typing" at most this often
# Frames of the same state from one websocket closer together than this are ignored: a page keeps to the
# timings above, and a faulty or hostile one cannot make the organization's group hear a flood.
MIN_FRAME_INTERVAL_MS = 500
MAX_NAME_LENGTH = 150  # a name in an event is cut here


class PresenceState(StrEnum):
    """What a page says about the thread it has open."""

    VIEWING = "viewing"
    TYPING = "typing"
    LEFT = "left"


def client_config() -> dict[str, Any]:
    """The timings the inbox page follows (its configuration, ``smsinbox.web.pages.inbox``): one source."""
    return {
        "heartbeat_ms": HEARTBEAT_MS,
        "ttl_ms": TTL_MS,
        "typing_ttl_ms": TYPING_TTL_MS,
        "typing_throttle_ms": TYPING_THROTTLE_MS,
        "states": [state.value for state in PresenceState],
    }


@dataclass(frozen=True)
class Presence:
    """One websocket's presence in one thread. ``connection`` tells apart two tabs of one user."""

    organization_id: int
    conversation_id: int
    user_id: int
    name: str
    connection: str
    expires_at: float  # epoch seconds: gone after this (TTL_MS after the last refresh)
    typing_until: float = 0.0  # epoch seconds: "typing" until this
    published_at: float = 0.0  # epoch seconds: when the organization last heard of this entry

    @property
    def field(self) -> str:
        return f"{self.conversation_id}:{self.connection}"

    def state_at(self, now: float) -> PresenceState:
        return PresenceState.TYPING if self.typing_until > now else PresenceState.VIEWING

    def payload(self, state: PresenceState, now: float) -> dict[str, Any]:
        """The event's payload (snake_case; camelized on publishing). ``ttl_ms``: how long a page keeps it."""
        return {
            "organization_id": self.organization_id,
            "conversation_id": self.conversation_id,
            "user_id": self.user_id,
            "name": self.name,
            "connection": self.connection,
            "state": state.value,
            "ttl_ms": max(0, round((self.expires_at - now) * 1000)) if state != PresenceState.LEFT else 0,
            "typing_ms": max(0, round((self.typing_until - now) * 1000)) if state == PresenceState.TYPING else 0,
        }


class PresenceStore(Protocol):
    """Where presence lives for its TTL (see the module's invariant). Every method is async and never
    returns an expired entry."""

    async def put(self, entry: Presence) -> None:
        """Store or refresh ``entry`` (its ``expires_at`` and ``typing_until`` replace the stored ones)."""

    async def remove(self, *, organization_id: int, conversation_id: int, connection: str) -> None:
        """Forget one websocket's presence in one thread."""

    async def get(self, *, organization_id: int, conversation_id: int, connection: str) -> Presence | None:
        """One websocket's living entry for one thread, if any."""

    async def list(self, *, organization_id: int) -> list[Presence]:
        """The organization's live entries."""


class MemoryPresenceStore:
    """The in-process store (the embedded default: one server process). A dict per organization; expired
    entries are dropped whenever their organization is read or written, so it holds only the living."""

    def __init__(self) -> None:
        self._entries: dict[int, dict[str, Presence]] = {}
        self._lock = threading.Lock()

    def _living(self, organization_id: int, now: float) -> dict[str, Presence]:
        entries = self._entries.get(organization_id, {})
        for field in [f for f, e in entries.items() if e.expires_at <= now]:
            del entries[field]
        if not entries:
            self._entries.pop(organization_id, None)
        return entries

    async def put(self, entry: Presence) -> None:
        with self._lock:
            self._living(entry.organization_id, time.time())
            self._entries.setdefault(entry.organization_id, {})[entry.field] = entry

    async def remove(self, *, organization_id: int, conversation_id: int, connection: str) -> None:
        with self._lock:
            self._living(organization_id, time.time()).pop(f"{conversation_id}:{connection}", None)

    async def get(self, *, organization_id: int, conversation_id: int, connection: str) -> Presence | None:
        with self._lock:
            return self._living(organization_id, time.time()).get(f"{conversation_id}:{connection}")

    async def list(self, *, organization_id: int) -> list[Presence]:
        with self._lock:
            return list(self._living(organization_id, time.time()).values())


class RedisPresenceStore:
    """The shared store: one Redis hash per organization (``<prefix>:presence:<id>``), a field per websocket
    and thread holding the entry as JSON. Fields expire by their ``expires_at`` (dropped on read); the whole
    hash expires ``TTL_MS`` after its last write, so an organization nobody is in leaves nothing behind.

    redis-py's asyncio connections belong to the event loop that made them: one client per loop.
    """

    def __init__(self, url: str, *, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self._clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def _client(self) -> Any:
        import asyncio

        import redis.asyncio as redis_asyncio

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = redis_asyncio.Redis.from_url(
                self.url,
                socket_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
                socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
            )
            self._clients[loop] = client
        return client

    def key(self, organization_id: int) -> str:
        return f"{self.prefix}:presence:{organization_id}"

    async def put(self, entry: Presence) -> None:
        key = self.key(entry.organization_id)
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.hset(key, entry.field, json.dumps(asdict(entry)))
            pipe.pexpire(key, TTL_MS)
            await pipe.execute()

    async def remove(self, *, organization_id: int, conversation_id: int, connection: str) -> None:
        await self._client().hdel(self.key(organization_id), f"{conversation_id}:{connection}")

    async def get(self, *, organization_id: int, conversation_id: int, connection: str) -> Presence | None:
        entry = _decode(await self._client().hget(self.key(organization_id), f"{conversation_id}:{connection}"))
        return entry if entry is not None and entry.expires_at > time.time() else None

    async def list(self, *, organization_id: int) -> list[Presence]:
        key = self.key(organization_id)
        client = self._client()
        now = time.time()
        living: list[Presence] = []
        expired: list[bytes] = []
        for field, raw in (await client.hgetall(key)).items():
            entry = _decode(raw)
            if entry is not None and entry.expires_at > now:
                living.append(entry)
            else:
                expired.append(field)
        if expired:
            await client.hdel(key, *expired)
        return living


def _decode(raw: bytes | str | None) -> Presence | None:
    """An entry as ``RedisPresenceStore`` writes it, or ``None`` (absent, or not ours to read)."""
    if raw is None:
        return None
    try:
        return Presence(**json.loads(raw))
    except (ValueError, TypeError):
        return None


_store: tuple[str, PresenceStore] | None = None
_store_lock = threading.Lock()


def presence_store() -> PresenceStore:
    """The store the settings choose: Redis when ``REDIS_URL`` is set, else this process's own."""
    global _store
    url = settings.REDIS_URL
    with _store_lock:
        if _store is None or _store[0] != url:
            store: PresenceStore = (
                RedisPresenceStore(url, prefix=settings.REDIS_PREFIX) if url else MemoryPresenceStore()
            )
            _store = (url, store)
        return _store[1]


# --- the service --------------------------------------------------------------------------------------


async def presence_update(
    *,
    organization_id: int,
    conversation_id: int,
    user_id: int,
    name: str,
    connection: str,
    state: PresenceState,
) -> None:
    """Record what a websocket said about a thread it may see (the caller checked access) and tell the
    organization at once (``presence.changed``). Never raises: presence is best effort, and a store that is
    down still lets the event through (pages then only miss the state of who was there before they came)."""
    state = PresenceState(state)
    now = time.time()
    entry = Presence(
        organization_id=organization_id,
        conversation_id=conversation_id,
        user_id=user_id,
        name=name[:MAX_NAME_LENGTH],
        connection=connection,
        expires_at=now + TTL_MS / 1000,
        typing_until=now + TYPING_TTL_MS / 1000 if state == PresenceState.TYPING else 0.0,
        published_at=now,
    )
    store = presence_store()
    publish = True
    try:
        if state == PresenceState.LEFT:
            await store.remove(organization_id=organization_id, conversation_id=conversation_id, connection=connection)
        elif state == PresenceState.TYPING:
            await store.put(entry)
        else:  # a heartbeat keeps a recent "typing", and is told only every REFRESH_PUBLISH_MS (see above)
            kept = await store.get(
                organization_id=organization_id, conversation_id=conversation_id, connection=connection
            )
            publish = kept is None or now - kept.published_at >= REFRESH_PUBLISH_MS / 1000
            entry = replace(
                entry,
                typing_until=kept.typing_until if kept is not None else 0.0,
                published_at=now if publish or kept is None else kept.published_at,
            )
            await store.put(entry)
    except Exception:  # the store (Redis) is unreachable: presence degrades, the websocket carries on
        logger.warning("presence store unavailable", exc_info=True)
    if not publish:
        return
    await events.publish_now(
        organization_id=organization_id, event=events.Event.PRESENCE_CHANGED, payload=entry.payload(state, now)
    )


async def presence_list(*, organization_id: int) -> list[dict[str, Any]]:
    """The organization's current presence as ``presence.changed`` payloads (camelCase), for a page that
    (re)connects; empty when the store is unreachable."""
    from smsinbox.casing import camelize

    now = time.time()
    try:
        entries = await presence_store().list(organization_id=organization_id)
    except Exception:
        logger.warning("presence store unavailable", exc_info=True)
        return []
    return [camelize(entry.payload(entry.state_at(now), now)) for entry in entries]
