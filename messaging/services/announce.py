"""The live events of message changes, built in one place so every service says the same."""

from __future__ import annotations

from conversations.services import conversation_announce
from messaging.models import Direction, Message
from messaging.payloads import message_payload, message_status_payload
from smsinbox import events
from smsinbox.integrations.catalog import WebhookEventType


def announce_new_message(message: Message, *, conversation_current: bool = False) -> None:
    """After commit: the new message, and its conversation row as it now stands.

    ``conversation_current``: ``message.conversation`` is locked and up to date (no re-read).
    """
    received = message.direction == Direction.INBOUND
    events.publish_on_commit(
        organization_id=message.organization_id,
        event=events.Event.MESSAGE_CREATED,
        payload=message_payload(message),
        outgoing=(WebhookEventType.MESSAGE_RECEIVED if received else WebhookEventType.MESSAGE_SENT,),
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
