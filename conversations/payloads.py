"""The shape of a conversation-list row, for live inboxes and the API alike."""

from __future__ import annotations

from typing import Any

from conversations.models import Conversation
from smsinbox.phones import format_for_people


def iso(value: Any) -> str | None:
    """A time in ISO 8601, or ``None``."""
    return value.isoformat() if value else None


def user_name(user: Any) -> str:
    """How staff are named in payloads: their full name, else their username."""
    return user.get_full_name() or user.get_username()


def conversation_payload(conversation: Conversation) -> dict[str, Any]:
    """A conversation-list row."""
    contact = conversation.contact
    return {
        "id": conversation.pk,
        "organization_id": conversation.organization_id,
        "contact_id": contact.pk,
        "contact_name": contact.display_name,
        "contact_phone": str(contact.phone),
        "contact_phone_display": format_for_people(contact.phone),
        "opted_out": contact.is_opted_out,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "assignee_name": user_name(conversation.assignee) if conversation.assignee_id else "",
        "unread_count": conversation.unread_count,
        "last_message_at": iso(conversation.last_message_at),
        "last_message_preview": conversation.last_message_preview,
    }
