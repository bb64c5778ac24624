"""The inbox's websocket: authenticate, join the organization's group, forward events. It writes nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from smsinbox import events
from smsinbox.events import organization_group
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
    too (4403). Every live event arrives as the one Channels type ``inbox.event`` and leaves as the
    frame ``{"type": <event name>, "payload": …}`` (the contract: ``smsinbox.events``).

    Invariant: a websocket is accepted only once it has joined every group it listens to — an inbox
    that says "live" hears every event from then on, and resyncs what came before. When the channel
    layer (Redis) cannot take the membership, the handshake is refused and the page tries again.
    """

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        allowed = await database_sync_to_async(organization_ids_for_user)(user)
        wanted = _query_param(self.scope, "organization")
        if wanted:
            wanted_id = ascii_int(wanted)
            if wanted_id is None or wanted_id not in allowed:
                await self.close(code=FORBIDDEN)
                return
            allowed = [wanted_id]
        for organization_id in allowed:
            group = organization_group(organization_id)
            if not await self._join(group):
                await self.close()
                return
            self.groups_joined.append(group)
        await self.accept()

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
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # best effort: memberships expire by themselves in the layer
                logger.info("could not leave %s on disconnect", group, exc_info=True)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Answer the page's keep-alive ping, re-checking access each time.

        A user removed from an organization (or deactivated, or logged out) stops hearing it at
        the next ping (4403); group memberships are renewed, so they never lapse in Redis.
        """
        if not (isinstance(content, dict) and content.get("type") == "ping"):
            return
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await database_sync_to_async(user.refresh_from_db)(fields=["is_active"])
        allowed = await database_sync_to_async(organization_ids_for_user)(user)
        still = [g for g in self.groups_joined if int(g.rsplit(".", 1)[1]) in allowed]
        for group in set(self.groups_joined) - set(still):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = still
        if not still:
            await self.close(code=FORBIDDEN)
            return
        for group in still:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "pong"})

    async def inbox_event(self, message: dict[str, Any]) -> None:
        """Forward a live event (Channels type ``events.CHANNEL_TYPE``) to the page, unchanged."""
        frame = events.frame(message)
        if frame is not None:
            await self.send_json(frame)


def _query_param(scope: dict[str, Any], name: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [])
    return values[0] if values else ""
