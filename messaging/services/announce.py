"""The live events of message changes, built in one place so every service says the same."""

from __future__ import annotations

from conversations.services import conversation_announce
from messaging.models import Direction, Message
from messaging.payloads import message_payload, message_status_payload
from messaging.statuses import MessageStatus
from smsinbox import events
from smsinbox.integrations.catalog import WebhookEventType


def announce_new_message(message: Message, *, conversation_current: bool = False) -> None:
    """After commit: the new message, and its conversation row as it now stands.

    ``conversation_current``: ``message.conversation`` is locked and up to date (no re-read).
    """
    received = message.direction == Direction.INBOUND
    scheduled = message.status == MessageStatus.SCHEDULED  # ``message.sent`` goes out when it is due
    events.publish_on_commit(
        organization_id=message.organization_id,
        event=events.Event.MESSAGE_CREATED,
        payload=message_payload(message),
        outgoing=()
        if scheduled
        else (WebhookEventType.MESSAGE_RECEIVED if received else WebhookEventType.MESSAGE_SENT,),
    )
    conversation_announce(conversation=message.conversation, current=conversation_current)


def announce_status(message: Message) -> None:
    """After commit: a message's status moved forward."""
    events.publish_on_commit(
        organization_id=message.organization_id,
        event=events.Event.MESSAGE_STATUS_CHANGED,
        payload=message_status_payload(message),
        outgoing=(WebhookEventType.MESSAGE_STATUS_CHANGED,),
        outgoing_payload=lambda: message_payload(message),  # the whole message, as the REST API gives it
    )


def announce_message_changed(message: Message, *, outgoing: tuple[str, ...] = ()) -> None:
    """After commit: a scheduled message was edited, canceled, or handed to the send pipeline (the status may
    have moved down, ``scheduled`` to ``pending``, which ``announce_status`` cannot say): inboxes redraw it whole.
    ``outgoing``: the webhook event types the change is, with the whole message."""
    payload = message_payload(message)
    events.publish_on_commit(
        organization_id=message.organization_id,
        event=events.Event.MESSAGE_UPDATED,
        payload=payload,
        outgoing=outgoing,
        outgoing_payload=payload,
    )
