"""Message statuses: Twilio's vocabulary plus our own pre-send state, ranked.

Status is a forward-only state machine. Each status has a rank; a message may only move
to a status of a strictly higher rank. Twilio sends callbacks in any order, so a late
``sent`` after ``delivered`` is ignored rather than applied. ``canceled`` is terminal.

    pending ──▶ accepted / scheduled / queued ──▶ sending ──▶ sent ──▶ delivered ──────────▶ read
       │               │                                      ├──▶ undelivered
       │               └──▶ canceled (terminal)               ├──▶ failed
       └──▶ failed (refused before Twilio took it)            └──▶ partially_delivered
    inbound: receiving ──▶ received
    ours, send later: scheduled (no SID) ──▶ pending / canceled / failed   (messaging.services.schedule)

Final outcomes (delivered, undelivered, failed, partially_delivered, canceled, received)
share one rank, so none replaces another; only ``read`` follows them, and nothing
follows ``canceled``.

``scheduled`` without a Twilio SID is our own "waiting for its time" (``Message.send_at``): the one state that
moves DOWN in rank, to ``pending``, when the scheduler hands it to the send pipeline; the trigger allows exactly
that and never a move into it. The rank table below is the single source of truth otherwise: the database derives
``Message.status_rank`` from it and a trigger (``messaging.models.TRIGGERS``) refuses any
update that is not an advance.
"""

from __future__ import annotations

from django.db import models


class MessageStatus(models.TextChoices):
    # Ours: stored and queued for the send task, not yet accepted by Twilio.
    PENDING = "pending", "Pending"
    # Twilio's.
    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    PARTIALLY_DELIVERED = "partially_delivered", "Partially delivered"
    READ = "read", "Read"
    CANCELED = "canceled", "Canceled"
    RECEIVING = "receiving", "Receiving"
    RECEIVED = "received", "Received"


S = MessageStatus

STATUS_RANK: dict[str, int] = {
    S.PENDING: 0,
    S.ACCEPTED: 10,  # a Messaging Service took it …
    S.SCHEDULED: 11,  # … to send later …
    S.QUEUED: 12,  # … and queued it on a sender
    S.RECEIVING: 12,
    S.SENDING: 20,
    S.SENT: 30,
    S.DELIVERED: 40,
    S.UNDELIVERED: 40,
    S.FAILED: 40,
    S.PARTIALLY_DELIVERED: 40,
    S.RECEIVED: 40,
    S.CANCELED: 40,
    S.READ: 50,
}

TERMINAL_STATUSES = frozenset(
    {S.DELIVERED, S.UNDELIVERED, S.FAILED, S.PARTIALLY_DELIVERED, S.READ, S.CANCELED, S.RECEIVED}
)
FAILURE_STATUSES = frozenset({S.UNDELIVERED, S.FAILED})

if set(STATUS_RANK) != set(MessageStatus.values):
    raise RuntimeError("every status needs a rank")


def parse_status(value: str | None) -> MessageStatus | None:
    """Return the known status for ``value`` (case-insensitive), or ``None`` if unknown."""
    try:
        return MessageStatus((value or "").strip().lower())
    except ValueError:
        return None


NOT_READABLE = frozenset({S.CANCELED, S.FAILED, S.UNDELIVERED, S.RECEIVED, S.RECEIVING})
INBOUND_STATUSES = frozenset({S.RECEIVING, S.RECEIVED})


def can_advance(old: str, new: str) -> bool:
    """Whether a message in ``old`` may move to ``new``: strictly higher rank, never out of
    ``canceled``, and ``read`` only after a message that reached the handset."""
    if old == S.CANCELED or (new == S.READ and old in NOT_READABLE):
        return False
    return STATUS_RANK[new] > STATUS_RANK[old]


def statuses_below(new: str) -> list[str]:
    """Statuses from which ``new`` is an advance: the condition of a race-safe UPDATE."""
    return [status for status in STATUS_RANK if can_advance(status, new)]
