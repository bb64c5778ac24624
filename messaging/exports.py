"""A conversation's transcript as CSV rows: its messages oldest first, times in the active (viewer's) zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from conversations.models import Conversation
from messaging.models import Direction, Message

TRANSCRIPT_HEADER = ("time", "direction", "from", "to", "sent_by", "status", "body", "media_count")
TRANSCRIPT_CHUNK = 1000


def conversation_transcript_rows(*, conversation: Conversation, zone: dt.tzinfo) -> Iterator[tuple[str, ...]]:
    """The header, then one row per message of ``conversation`` (private notes are not part of a transcript).

    ``time`` is the message's creation in ``zone`` (the viewer's), with its offset, so the file says which
    zone it is in. The zone is passed, not read from the active one: a streamed response is written after
    the middleware that activates the viewer's zone has returned.
    """
    yield TRANSCRIPT_HEADER
    messages = (
        Message.objects.filter(conversation=conversation)
        .order_by("created_at", "pk")
        .values_list(
            "created_at", "direction", "from_number", "to_number", "sent_by__username", "status", "body", "num_media"
        )
        .iterator(chunk_size=TRANSCRIPT_CHUNK)
    )
    for created_at, direction, from_number, to_number, sent_by, status, body, num_media in messages:
        yield (
            timezone.localtime(created_at, zone).isoformat(timespec="seconds"),
            Direction(direction).label,
            from_number,
            to_number,
            sent_by or "",
            status,
            body,
            str(num_media),
        )
