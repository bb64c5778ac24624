"""The shapes of messages for live inboxes and the API alike: declared once, built once."""

from __future__ import annotations

from typing import Annotated, TypedDict

from django.urls import reverse

from conversations.payloads import user_name
from messaging.error_codes import error_meaning
from messaging.models import Direction, Encoding, Message
from messaging.statuses import MessageStatus
from smsinbox.shapes import Field, Timestamp, iso, timestamp


class MessageMediaPayload(TypedDict):
    position: Annotated[int, Field("Order in the message, from 0.", min_value=0)]
    url: Annotated[
        str,
        Field(
            "Where to fetch it, with the same token: received media is fetched from Twilio by us "
            "(Twilio's URL needs the account's credentials, never handed out); sent media redirects to the URL "
            "that was attached."
        ),
    ]
    content_type: Annotated[str, Field("As Twilio reported it, or as the attached file was; empty for a media URL.")]
    kind: Annotated[
        str,
        Field(
            "How the inbox shows it: `image` (a thumbnail; also when the type is unknown), `audio` (a player), "
            "`file` (a link: video, PDF, contact card, …).",
            choices=[("image", "image"), ("audio", "audio"), ("file", "file")],
        ),
    ]
    description: Annotated[str, Field("Its type in words: `PDF document`, `Contact card`, `Video`, `Image`, …")]


class MessagePayload(TypedDict):
    """A message, as ``message_payload`` builds it for live inboxes too, with its media."""

    id: int
    organization_id: int
    conversation_id: int
    direction: Annotated[str, Field("`in` received, `out` sent.", choices=Direction.choices)]
    from_number: Annotated[str, Field("E.164: the sender (one of the organization's numbers when sent by us).")]
    to_number: Annotated[str, Field("E.164.")]
    body: str
    status: Annotated[str, Field(choices=MessageStatus.choices)]
    num_segments: Annotated[int, Field(min_value=0)]
    encoding: Annotated[str, Field(choices=Encoding.choices, allow_blank=True)]
    num_media: Annotated[int, Field(min_value=0)]
    error_code: Annotated[int | None, Field("Twilio's error code, if any.")]
    error_message: Annotated[str, Field("What the error means; empty without one.")]
    sent_by_id: Annotated[int | None, Field("The staff member who sent it.")]
    created_at: Timestamp
    sent_at: Timestamp | None
    delivered_at: Timestamp | None
    send_at: Annotated[
        Timestamp | None,
        Field("A scheduled message: when it is (or was) to be sent; `null` for a message sent at once."),
    ]
    quiet_hours_held_from: Annotated[
        Timestamp | None,
        Field("Held for the contact's quiet hours: when it was first due (`sendAt` is when it goes); else `null`."),
    ]
    media: list[MessageMediaPayload]
    automatic: Annotated[bool, Field("Sent by the system (an after-hours or HELP auto-reply), not by staff.")]


class InboxMessagePayload(MessagePayload):
    """A message as the live inbox shows it: what the API gives, and what the page needs besides."""

    sent_by_name: str  # the sender as the thread names them
    idempotency_key: str | None  # lets the sender's page replace its pending bubble
    retryable: bool  # failed, and a new send of the same text may get through (the bubble offers "Retry")


class MessageStatusPayload(TypedDict):
    """What changed when a message's status moved forward (live inboxes only)."""

    id: int
    organization_id: int
    conversation_id: int
    status: str
    error_code: int | None
    error_message: str
    sent_at: Timestamp | None
    delivered_at: Timestamp | None
    retryable: bool  # as in ``InboxMessagePayload``


def message_payload(message: Message) -> InboxMessagePayload:
    """A message as the inbox shows it (media as our ``/media/…`` route only: the page fetches them through us).

    The API gives the ``MessagePayload`` part of it.
    """
    return {
        "id": message.pk,
        "organization_id": message.organization_id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "from_number": message.from_number,
        "to_number": message.to_number,
        "body": message.body,
        "status": message.status,
        "num_segments": message.num_segments,
        "encoding": message.encoding,
        "num_media": message.num_media,
        "error_code": message.error_code,
        "error_message": message.error_message or error_meaning(message.error_code),
        "sent_by_id": message.sent_by_id,
        "created_at": timestamp(message.created_at),
        "sent_at": iso(message.sent_at),
        "delivered_at": iso(message.delivered_at),
        "send_at": iso(message.send_at),
        "quiet_hours_held_from": iso(message.quiet_hours_held_from),
        "media": [
            {
                "position": m.position,
                "url": reverse("message-media", args=[message.pk, m.position]),
                "content_type": m.content_type,
                "kind": m.kind,
                "description": m.description,
            }
            for m in message.media.all()
        ],
        "automatic": message.automatic,
        "sent_by_name": user_name(message.sent_by) if message.sent_by_id else "",
        "idempotency_key": message.idempotency_key,
        "retryable": message.retryable,
    }


def message_status_payload(message: Message) -> MessageStatusPayload:
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
        "retryable": message.retryable,
    }
