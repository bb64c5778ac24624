"""The only way live updates leave the app, and the whole live-event contract, stated once.

The contract, between services and the inbox page (``static/js/live.js``):

- **Names**: the members of ``Event``, ``<entity>.<change>`` in lowercase (the page is handed
  them in its configuration, it keeps no copy).
- **Payloads**: the domain's payload of that shape (``conversation_payload``,
  ``message_payload``, ``message_status_payload``) with its keys in camelCase
  (``smsinbox.casing.camelize``), exactly as the REST API writes the same shapes.
- **On the channel layer**: ``{"type": "inbox.event", "event": <name>, "payload": …}``: one
  Channels type, so the consumer has one handler (``InboxConsumer.inbox_event``).
- **On the websocket**: ``{"type": <name>, "payload": …}`` (``frame``), forwarded unchanged.
- **Mentions**: ``mention.created`` goes to the mentioned user's group (``user_group``), carrying its
  ``organizationId``: the consumer forwards it only to websockets of that organization.
- **Snooze**: ``conversation.woken`` goes to the assignee's group (``user_group``) when a snoozed
  conversation comes back, carrying its ``organizationId`` (forwarded as ``mention.created`` is).
- **Canned replies**: ``canned_reply.changed`` carries no text, only which reply changed; a shared
  reply's goes to the organization's group, a personal one's to its owner's group only.
- **Activity**: ``activity.created`` carries a conversation's stored event (``conversations.activity``: assigned,
  closed, labelled, snoozed, opted out…); open threads show it as a row between the messages.
- **Notifications**: ``notification.created`` goes to the user's group, one per user the rule
  (``smsinbox.notifications.rules``) picks; the page filters by its organization and shows it.
- **Sessions**: ``session.ended`` goes to the user's group (``user_group``), not an organization's:
  a session of theirs may have ended (logout, password change, deactivation, a membership removed).
  Each of the user's websockets re-checks its own session and access, and closes if they are gone
  (``InboxConsumer.inbox_event``); the page then says "Signed out" and stops reconnecting.

- **Outgoing webhooks**: a service names the outgoing event types its change is (``outgoing=`` of
  ``publish_on_commit``); they are written to the integrations outbox in the service's own transaction,
  not on commit (``smsinbox.integrations.outbox``), and delivered by the task workers.

- **Presence** (``presence.changed``) is ephemeral and stored in no transaction: the presence service
  (``smsinbox.presence``) sends it at once with ``publish_now``, from the consumer's event loop; there is
  nothing to roll back, and a lost one is made good by the next heartbeat.

Only services call ``publish_on_commit`` and ``publish_to_user_on_commit`` (``smsinbox.signals`` calls
``publish_session_ended_on_commit``). The event goes to the organization's group after
the surrounding transaction commits, so a rolled-back change is never announced. If the
channel layer is down, the event is logged and dropped: the data is already stored, and
open inboxes resync when they reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Collection
from enum import StrEnum
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from smsinbox.casing import camelize

logger = logging.getLogger(__name__)


class Event(StrEnum):
    """Every live event there is."""

    MESSAGE_CREATED = "message.created"  # payload: message_payload
    MESSAGE_STATUS_CHANGED = "message.status_changed"  # payload: message_status_payload
    MESSAGE_UPDATED = "message.updated"  # payload: message_payload (a scheduled message edited, canceled or due)
    CONVERSATION_UPDATED = "conversation.updated"  # payload: conversation_payload
    SESSION_ENDED = "session.ended"  # payload: {"reason": SessionEndReason}; to the user's group only
    NOTE_CREATED = "note.created"  # payload: note_payload (a private note in a thread; never a text)
    MENTION_CREATED = "mention.created"  # payload: mention_payload; to the mentioned user's group only
    LABEL_CHANGED = "label.changed"  # payload: label_changed_payload (created, renamed, recoloured or deleted)
    CONVERSATION_WOKEN = "conversation.woken"  # payload: WokenPayload (conversations.snooze); to the assignee's group
    # payload: {organization_id, id, shared, deleted}, no text (pickers reload the list); a shared reply: to the
    # organization's group; a personal one: to its owner's group only
    CANNED_REPLY_CHANGED = "canned_reply.changed"
    PRESENCE_CHANGED = "presence.changed"  # payload: smsinbox.presence.Presence.payload; published now, not on commit
    NOTIFICATION_CREATED = "notification.created"  # payload: notification_payload; to the user's group only
    # payload: {organization_id, id, reason ("merged" or "erased"), into (the kept conversation's id, or null)}, no
    # text: open inboxes drop the row (and leave the thread, for the kept one when merged)
    CONVERSATION_REMOVED = "conversation.removed"
    ACTIVITY_CREATED = "activity.created"  # payload: activity_payload (a stored change of a conversation, its thread)


_NAMES = frozenset(event.value for event in Event)

# Events sent to a user's group about one organization (the payload's ``organizationId``): a websocket of
# another of the user's organizations does not forward them.
USER_EVENTS_OF_ORGANIZATION = frozenset({Event.MENTION_CREATED, Event.CONVERSATION_WOKEN})

# The Channels type every event travels as; the consumer's handler is named after it.
CHANNEL_TYPE = "inbox.event"


def event_names() -> dict[str, str]:
    """The names by key, for the page's configuration: ``{"message_created": "message.created", …}``."""
    return {event.name.lower(): event.value for event in Event}


def frame(message: dict[str, Any]) -> dict[str, Any] | None:
    """The websocket frame for a channel-layer message: ``{"type": <name>, "payload": …}``, or ``None``
    for anything that is not one of our events."""
    if message.get("type") != CHANNEL_TYPE or message.get("event") not in _NAMES:
        return None
    return {"type": message["event"], "payload": message["payload"]}


# A stalled Redis must not hold a webhook answer (Twilio waits 15 s) or a worker.
PUBLISH_TIMEOUT = 2.0


def organization_group(organization_id: int) -> str:
    """Name of the Channels group every open inbox of the organization joins."""
    return f"org.{organization_id}"


def user_group(user_id: int) -> str:
    """Name of the Channels group every open inbox of the user joins (whatever the session or organization)."""
    return f"user.{user_id}"


class SessionEndReason(StrEnum):
    """Why a user's sessions may have ended (``session.ended``)."""

    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
    DEACTIVATED = "deactivated"
    MEMBERSHIP_REMOVED = "membership_removed"


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


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {**message, "sent_at": time.time()}  # for the consumers' live-event lag (smsinbox.ops.metrics)
    try:
        loop = _server_loop

        async def publish() -> None:
            await asyncio.wait_for(layer.group_send(group, message), timeout=PUBLISH_TIMEOUT)

        if (loop is None or not loop.is_running()) and not isinstance(layer, InMemoryChannelLayer):
            loop = _publisher_loop()
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(publish(), loop).result(timeout=PUBLISH_TIMEOUT + 1)
        else:  # the in-memory layer outside a server (tests, management commands)
            async_to_sync(publish)()
    except Exception:  # the layer (Redis) is down or full: the change itself is safely stored
        logger.warning("live event %s to %s not delivered", message.get("event"), group, exc_info=True)


def publish_on_commit(
    *,
    organization_id: int,
    event: Event | None,
    payload: dict[str, Any],
    outgoing: Collection[str] = (),
    outgoing_payload: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Send ``event`` with ``payload`` (snake_case, camelized here) to the organization's inboxes once
    the transaction commits (``None``: no live event, only outgoing ones).

    ``outgoing``: the outgoing webhook event types this change is (``smsinbox.integrations.catalog``), with
    ``outgoing_payload`` (default ``payload``; a callable is called only when an endpoint is subscribed):
    written NOW, in the caller's transaction, to the integrations outbox
    (``smsinbox.integrations.outbox.outbox_record``), so they commit or roll back with the change.
    """
    if outgoing:
        from smsinbox.integrations.outbox import outbox_record

        source = outgoing_payload if outgoing_payload is not None else payload

        def data() -> dict[str, Any]:
            return camelize(source() if callable(source) else source)

        outbox_record(organization_id=organization_id, types=outgoing, data=data)
    if event is None:
        return
    message = {"type": CHANNEL_TYPE, "event": Event(event).value, "payload": camelize(payload)}
    group = organization_group(organization_id)
    transaction.on_commit(lambda: _send(group, message), robust=True)


def publish_session_ended_on_commit(*, user_id: int, reason: SessionEndReason) -> None:
    """Tell every open inbox of the user, once the transaction commits, that a session of theirs may have
    ended: each re-checks its own session and access and closes if they are gone."""
    message = {
        "type": CHANNEL_TYPE,
        "event": Event.SESSION_ENDED.value,
        "payload": camelize({"reason": SessionEndReason(reason).value}),
    }
    group = user_group(user_id)
    transaction.on_commit(lambda: _send(group, message), robust=True)


def publish_to_user_on_commit(*, user_id: int, event: Event, payload: dict[str, Any]) -> None:
    """Send ``event`` with ``payload`` (snake_case, camelized here) to every open inbox of one user, once the
    transaction commits (``mention.created``, ``notification.created``). The payload names its
    ``organization_id``: a websocket of another of the user's organizations does not forward it
    (``InboxConsumer.inbox_event``)."""
    message = {"type": CHANNEL_TYPE, "event": Event(event).value, "payload": camelize(payload)}
    group = user_group(user_id)
    transaction.on_commit(lambda: _send(group, message), robust=True)


async def publish_now(*, organization_id: int, event: Event, payload: dict[str, Any]) -> None:
    """Send an ephemeral ``event`` (no database change behind it: ``presence.changed``) to the organization's
    inboxes at once, from the caller's event loop. Bounded by ``PUBLISH_TIMEOUT``; a layer that is down is
    logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": CHANNEL_TYPE, "event": Event(event).value, "payload": camelize(payload)}
    try:
        await asyncio.wait_for(layer.group_send(organization_group(organization_id), message), timeout=PUBLISH_TIMEOUT)
    except Exception:  # the layer (Redis) is down or full: presence is refreshed by the next heartbeat
        logger.warning("live event %s to org %s not delivered", message["event"], organization_id, exc_info=True)
