"""The inbox's websocket: authenticate, join the organization's group, forward events, carry presence.
It writes nothing to the database (presence lives in its TTL store: ``smsinbox.presence``)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations.payloads import user_name
from conversations.selectors import conversation_get_for_user
from smsinbox import events
from smsinbox.events import organization_group, user_group
from smsinbox.ops.metrics import LIVE_EVENT_LAG, WEBSOCKETS
from smsinbox.parsing import ascii_int
from smsinbox.presence import MIN_FRAME_INTERVAL_MS, PresenceState, presence_list, presence_update
from smsinbox.tenancy import organization_ids_for_user

logger = logging.getLogger(__name__)

UNAUTHENTICATED = 4401
FORBIDDEN = 4403
# Tries at joining a group, and the time they may take in all, before the websocket is refused
# (``InboxConsumer._join``).
JOIN_ATTEMPTS = 3
JOIN_SECONDS = 5.0
_PRESENCE_STATES = frozenset(state.value for state in PresenceState)
# A websocket's presence frames ("left" excepted, repeats of one state in one thread already dropped): bursts
# of PRESENCE_BURST, PRESENCE_RATE a second in the long run.
PRESENCE_BURST = 5
PRESENCE_RATE = 5.0
PRESENCE_MEMORY = 100  # conversations a websocket remembers (access, last frame) before it starts over


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """``ws/inbox/?organization=<id>``: live events of one of the user's organizations (all of them if not named).

    Anonymous users are refused (close code 4401), an organization the user does not belong to
    too (4403): the websocket is accepted and closed at once with that code, joining nothing, because a
    browser learns the code of a close but not why a handshake was refused — the page stops
    reconnecting and says "Signed out" instead of "Reconnecting…" forever.

    A session that ends closes every websocket opened with it within moments: the user's group hears
    ``session.ended`` (``smsinbox.signals``), and each of their websockets re-checks its own session
    (``session_user``) and access; the keep-alive ping re-checks them too (session expiry).

    Every live event arrives as the one Channels type ``inbox.event`` and leaves as the
    frame ``{"type": <event name>, "payload": …}`` (the contract: ``smsinbox.events``).

    Invariant: a websocket is accepted only once it has joined every group it listens to — an inbox
    that says "live" hears every event from then on, and resyncs what came before. When the channel
    layer (Redis) cannot take the membership, the handshake is refused and the page tries again.

    Presence: the page says ``{"type": "presence", "conversationId": <id>, "state": "viewing"|"typing"|"left"}``
    about a thread of an organization this websocket joined (anything else is ignored); the presence
    service stores it for its TTL and tells the organization's group (``presence.changed``). On accepting,
    the websocket is sent who is present now; a user never hears their own presence; closing says ``left``
    for every thread this websocket was present in.
    """

    groups_joined: list[str]
    user_group: str | None

    async def connect(self) -> None:
        self.groups_joined = []
        self.user_group = None
        self.connection = secrets.token_hex(8)  # tells apart two tabs of one user in presence
        self.present: dict[int, int] = {}  # conversation id → its organization's id, where this websocket said it is
        self.conversation_orgs: dict[int, int | None] = {}  # access checked: conversation id → organization id
        self.last_presence: dict[tuple[int, str], float] = {}  # (conversation, state) → when last taken
        self.presence_tokens, self.presence_filled = float(PRESENCE_BURST), time.monotonic()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(UNAUTHENTICATED)
            return
        allowed = await database_sync_to_async(organization_ids_for_user)(user)
        wanted = _query_param(self.scope, "organization")
        if wanted:
            wanted_id = ascii_int(wanted)
            if wanted_id is None or wanted_id not in allowed:
                await self._refuse(FORBIDDEN)
                return
            allowed = [wanted_id]
        # The user's group first: a session that ends while the organizations are joined is still heard.
        if not await self._join(user_group(user.pk)):
            await self.close()
            return
        self.user_group = user_group(user.pk)
        for organization_id in allowed:
            group = organization_group(organization_id)
            if not await self._join(group):
                await self._leave_all()
                await self.close()
                return
            self.groups_joined.append(group)
        await self.accept()
        self.counted = True
        WEBSOCKETS.inc()
        for organization_id in allowed:  # who is present now; changes follow as events
            for payload in await presence_list(organization_id=organization_id):
                if payload["userId"] != user.pk:
                    await self.send_json({"type": events.Event.PRESENCE_CHANGED.value, "payload": payload})

    async def _refuse(self, code: int) -> None:
        """Accept and close at once with ``code``, having joined nothing: the page can read the code."""
        await self.accept()
        await self.close(code=code)

    async def _join(self, group: str) -> bool:
        """Join ``group``; False when the channel layer refused ``JOIN_ATTEMPTS`` tries or took ``JOIN_SECONDS``.

        Why more than one try: after Redis restarts, each connection the layer's pool kept from
        before fails its first command ("Connection closed by server") and is reconnected by
        redis-py, so the next try works. Refusing on that first failure sent the page into its
        reconnect backoff (up to 4 s) again, seconds after Redis was back. Redis down refuses each
        try at once (connection refused); one that does not answer at all is bounded by ``JOIN_SECONDS``.
        """
        failure: BaseException | None = None
        try:
            async with asyncio.timeout(JOIN_SECONDS):
                for _ in range(JOIN_ATTEMPTS):
                    try:
                        await self.channel_layer.group_add(group, self.channel_name)
                    except Exception as exc:  # whatever the layer raises when its backend is unreachable
                        failure = exc
                    else:
                        return True
        except TimeoutError as exc:
            failure = exc
        logger.warning("websocket refused: could not join %s (%s: %s)", group, type(failure).__name__, failure)
        return False

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            WEBSOCKETS.dec()
        await self._leave_all()
        present, self.present = getattr(self, "present", {}), {}
        for conversation_id, organization_id in present.items():
            await self._announce(organization_id, conversation_id, PresenceState.LEFT)

    async def _leave_all(self) -> None:
        groups = [*self.groups_joined, *([self.user_group] if self.user_group else [])]
        self.groups_joined, self.user_group = [], None
        for group in groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # best effort: memberships expire by themselves in the layer
                logger.info("could not leave %s on disconnect", group, exc_info=True)

    async def _recheck(self) -> int | None:
        """Re-check the session and the organizations; the close code when access is gone (groups left), else None.

        The session itself is read again from its store: logged out, flushed, expired, or no longer
        matching the user's password (or the user deactivated) is UNAUTHENTICATED; no organization
        left is FORBIDDEN.
        """
        user = self.scope.get("user")
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        if user is None or not user.is_authenticated or not await database_sync_to_async(session_user)(key, user.pk):
            await self._leave_all()
            return UNAUTHENTICATED
        await database_sync_to_async(user.refresh_from_db)(fields=["is_active"])
        allowed = await database_sync_to_async(organization_ids_for_user)(user)
        still = [g for g in self.groups_joined if int(g.rsplit(".", 1)[1]) in allowed]
        for group in set(self.groups_joined) - set(still):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = still
        if not still:
            await self._leave_all()
            return FORBIDDEN
        return None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Answer the page's keep-alive ping, re-checking the session and access each time; take presence frames.

        A session that expired (or was ended without an event: a bulk update) closes at the next ping
        (4401); a user removed from every organization named stops hearing them (4403). Group
        memberships are renewed, so they never lapse in Redis.
        """
        if isinstance(content, dict) and content.get("type") == "presence":
            await self._presence(content)
            return
        if not (isinstance(content, dict) and content.get("type") == "ping"):
            return
        code = await self._recheck()
        if code is not None:
            await self.close(code=code)
            return
        for group in [*self.groups_joined, *([self.user_group] if self.user_group else [])]:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "pong"})

    async def _presence(self, content: dict[str, Any]) -> None:
        """Validate a presence frame strictly, check the thread is one this websocket may see, and hand it to
        the presence service. Anything else (unknown keys, a state not listed, an id that is not ASCII digits,
        a thread of another organization or none) is ignored, as are repeats faster than the page's timings."""
        state = content.get("state")
        if set(content) != {"type", "conversationId", "state"} or not isinstance(state, str):
            return
        if state not in _PRESENCE_STATES:
            return
        raw = content["conversationId"]
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            return
        conversation_id = ascii_int(str(raw))
        if conversation_id is None:
            return
        state = PresenceState(state)
        now = time.monotonic()
        if state != PresenceState.LEFT:
            last = self.last_presence.get((conversation_id, state))
            if last is not None and (now - last) * 1000 < MIN_FRAME_INTERVAL_MS:
                return
            # A token bucket over the rest: thread after thread cannot make the consumer read the database
            # or the group hear more than PRESENCE_RATE a second (a page sends about one a second).
            self.presence_tokens = min(
                PRESENCE_BURST, self.presence_tokens + (now - self.presence_filled) * PRESENCE_RATE
            )
            self.presence_filled = now
            if self.presence_tokens < 1:
                return
            self.presence_tokens -= 1
            if len(self.last_presence) >= PRESENCE_MEMORY:
                self.last_presence.clear()
            self.last_presence[(conversation_id, state)] = now
        organization_id = await self._organization_of(conversation_id)
        if organization_id is None:
            return
        if state == PresenceState.LEFT:
            if self.present.pop(conversation_id, None) is None:
                return
        else:
            for other, other_org in list(self.present.items()):  # one thread at a time per websocket
                if other != conversation_id:
                    del self.present[other]
                    await self._announce(other_org, other, PresenceState.LEFT)
            self.present[conversation_id] = organization_id
        await self._announce(organization_id, conversation_id, state)

    async def _organization_of(self, conversation_id: int) -> int | None:
        """The organization of a conversation the user may see and this websocket listens to, else ``None``.
        A conversation never changes organization, so the answer is kept; the group is checked each time
        (access lost at a re-check leaves the group)."""
        if conversation_id not in self.conversation_orgs:
            if len(self.conversation_orgs) >= PRESENCE_MEMORY:
                self.conversation_orgs.clear()
            conversation = await database_sync_to_async(conversation_get_for_user)(
                user=self.scope["user"], conversation_id=conversation_id
            )
            self.conversation_orgs[conversation_id] = conversation.organization_id if conversation else None
        organization_id = self.conversation_orgs[conversation_id]
        if organization_id is None or organization_group(organization_id) not in self.groups_joined:
            return None
        return organization_id

    async def _announce(self, organization_id: int, conversation_id: int, state: PresenceState) -> None:
        user = self.scope["user"]
        await presence_update(
            organization_id=organization_id,
            conversation_id=conversation_id,
            user_id=user.pk,
            name=user_name(user),
            connection=self.connection,
            state=state,
        )

    async def inbox_event(self, message: dict[str, Any]) -> None:
        """Forward a live event (Channels type ``events.CHANNEL_TYPE``) to the page, unchanged.

        ``session.ended`` (heard on the user's group) is a prompt to re-check: forwarded, then closed
        with the code, only by the websockets whose session or access is gone.
        """
        frame = events.frame(message)
        if frame is None:
            return
        if isinstance(message.get("sent_at"), float):
            LIVE_EVENT_LAG.observe(max(0.0, time.time() - message["sent_at"]))
        if frame["type"] == events.Event.PRESENCE_CHANGED and frame["payload"].get("userId") == self.scope["user"].pk:
            return  # one's own presence (from this tab or another) is not shown back
        if frame["type"] == events.Event.SESSION_ENDED:
            code = await self._recheck()
            if code is None:
                return
            await self.send_json(frame)
            await self.close(code=code)
            return
        if frame["type"] in events.USER_EVENTS_OF_ORGANIZATION and not self._listens_to(frame["payload"]):
            return  # heard on the user's group, about another of their organizations than this inbox's
        await self.send_json(frame)

    def _listens_to(self, payload: dict[str, Any]) -> bool:
        """Whether this websocket joined the group of the organization a user-group event is about."""
        organization_id = payload.get("organizationId")
        return isinstance(organization_id, int) and organization_group(organization_id) in self.groups_joined


def session_user(session_key: str | None, user_id: int) -> bool:
    """Whether the stored session ``session_key`` still signs in the active user ``user_id``.

    Read again from the session store (deleted at logout, gone when expired) and checked as Django checks a
    request's session (``django.contrib.auth.get_user``: the backend, ``is_active``, the password's hash,
    ``SECRET_KEY_FALLBACKS``) but without its side effect: ``get_user`` flushes a session whose hash no longer
    matches, and a websocket re-checking in the moment between a password change and
    ``update_session_auth_hash`` would end the session of the browser that changed it.
    """
    if not session_key:
        return False
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.utils.crypto import constant_time_compare

    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()  # {} when gone or expired
    backend_path = data.get(BACKEND_SESSION_KEY)
    if str(data.get(SESSION_KEY)) != str(user_id) or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    user = load_backend(backend_path).get_user(user_id)  # None when inactive (ModelBackend)
    session_hash = data.get(HASH_SESSION_KEY)
    if user is None or not session_hash:
        return False
    from smsinbox import session_limits

    if session_limits.ended(data, session_limits.limits_for_user(user_id), session_limits.clock()):
        return False  # idle too long or too old (``smsinbox.session_limits``)
    hashes = [user.get_session_auth_hash()]
    hashes += [user._get_session_auth_hash(secret=secret) for secret in settings.SECRET_KEY_FALLBACKS]
    if not any(constant_time_compare(session_hash, h) for h in hashes):
        return False
    from smsinbox import two_factor

    return two_factor.session_pending(user, data) is None  # the code step done (``smsinbox.two_factor``)


def _query_param(scope: dict[str, Any], name: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [])
    return values[0] if values else ""
