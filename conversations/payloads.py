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
    """A conversation-list row, with the ``version`` of the conversation it was built from.

    Rows of one conversation are published after their transactions commit, and may arrive in
    any order. A client applies a row whose ``version`` is at least the one it shows, and drops
    only a strictly older one (``static/js/inbox.js``, ``upsertConversation``): every update of
    the conversation raises the version (a database trigger), so an older version is an older row.
    Equal versions are applied, last heard wins: a change the row shows without updating the
    conversation (the contact renamed, opted out or back in) is announced with the version the
    conversation already had, and must not be dropped. So the contact's part of the row is
    ordered only as far as the conversation's version goes: a contact change racing an update
    of the conversation may leave the old name or opt-out shown until the row changes again.
    """
    contact = conversation.contact
    return {
        "id": conversation.pk,
        "version": conversation.version,
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
