"""The shapes of messages and conversations sent to live inboxes (and, later, the API)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from conversations.payloads import iso, user_name
from messaging.error_codes import error_meaning
from messaging.models import Message


def message_payload(message: Message) -> dict[str, Any]:
    """A message as the inbox shows it (media as positions only: the page fetches them through us)."""
    return {
        "id": message.pk,
        "organization_id": message.organization_id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "body": message.body,
        "status": message.status,
        "num_segments": message.num_segments,
        "encoding": message.encoding,
        "num_media": message.num_media,
        "error_code": message.error_code,
        "error_message": message.error_message or error_meaning(message.error_code),
        "sent_by_id": message.sent_by_id,
        "idempotency_key": message.idempotency_key,  # lets the sender's page replace its pending bubble
        "sent_by_name": user_name(message.sent_by) if message.sent_by_id else "",
        "media": [
            {
                "position": m.position,
                "content_type": m.content_type,
                "url": reverse("message-media", args=[message.pk, m.position]),
            }
            for m in message.media.all()
        ],
        "created_at": iso(message.created_at),
        "sent_at": iso(message.sent_at),
        "delivered_at": iso(message.delivered_at),
    }


def message_status_payload(message: Message) -> dict[str, Any]:
    """What changed when a status moved forward."""
    return {
        "id": message.pk,
        "organization_id": message.organization_id,
        "conversation_id": message.conversation_id,
        "status": message.status,
        "error_code": message.error_code,
        "error_message": message.error_message or error_meaning(message.error_code),
        "sent_at": iso(message.sent_at),
        "delivered_at": iso(message.delivered_at),
    }
