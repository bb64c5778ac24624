"""The inbox's websocket: authenticate, join the organization's group, forward events. It writes nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from smsinbox import events
from smsinbox.events import organization_group, user_group
from smsinbox.parsing import ascii_int
from smsinbox.tenancy import organization_ids_for_user

logger = logging.getLogger(__name__)

UNAUTHENTICATED = 4401
FORBIDDEN = 4403
# Tries at joining a group, and the time they may take in all, before the websocket is refused
# (``InboxConsumer._join``).
JOIN_ATTEMPTS = 3
JOIN_SECONDS = 5.0


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
    """

    groups_joined: list[str]
    user_group: str | None

    async def connect(self) -> None:
        self.groups_joined = []
        self.user_group = None
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
        await self._leave_all()

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
        """Answer the page's keep-alive ping, re-checking the session and access each time.

        A session that expired (or was ended without an event: a bulk update) closes at the next ping
        (4401); a user removed from every organization named stops hearing them (4403). Group
        memberships are renewed, so they never lapse in Redis.
        """
        if not (isinstance(content, dict) and content.get("type") == "ping"):
            return
        code = await self._recheck()
        if code is not None:
            await self.close(code=code)
            return
        for group in [*self.groups_joined, *([self.user_group] if self.user_group else [])]:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "pong"})

    async def inbox_event(self, message: dict[str, Any]) -> None:
        """Forward a live event (Channels type ``events.CHANNEL_TYPE``) to the page, unchanged.

        ``session.ended`` (heard on the user's group) is a prompt to re-check: forwarded, then closed
        with the code, only by the websockets whose session or access is gone.
        """
        frame = events.frame(message)
        if frame is None:
            return
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
    hashes = [user.get_session_auth_hash()]
    hashes += [user._get_session_auth_hash(secret=secret) for secret in settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(session_hash, h) for h in hashes)


def _query_param(scope: dict[str, Any], name: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [])
    return values[0] if values else ""
