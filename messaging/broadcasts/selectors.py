"""Reads of broadcasts, scoped to the caller's organizations, and their live progress."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, QuerySet

from messaging.broadcasts.models import Broadcast, BroadcastRecipient, RecipientStatus
from messaging.statuses import MessageStatus
from smsinbox.shapes import iso
from smsinbox.tenancy import organization_ids_for_user

S = MessageStatus
DELIVERED = (S.DELIVERED, S.READ, S.PARTIALLY_DELIVERED)
FAILED = (S.FAILED, S.UNDELIVERED, S.CANCELED)


def broadcast_get_for_user(*, user: AbstractBaseUser, broadcast_id: int) -> Broadcast | None:
    """The broadcast, if the user is a member of its organization."""
    return (
        Broadcast.objects.select_related("phone_number", "created_by")
        .filter(pk=broadcast_id, organization_id__in=organization_ids_for_user(user))
        .first()
    )


def broadcasts_for_organization(*, organization_id: int) -> QuerySet[Broadcast]:
    return Broadcast.objects.filter(organization_id=organization_id).select_related("phone_number", "created_by")


def broadcast_progress(*, broadcast: Broadcast) -> dict[str, int]:
    """Counts for the progress bar: ``queued`` (not handed over yet), ``sent`` (handed over, no outcome yet),
    ``delivered``, ``failed`` (by their message's status) and ``excluded``; ``total`` is all of them."""
    rows = BroadcastRecipient.objects.filter(broadcast=broadcast)
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    outcomes = dict(
        rows.filter(status=RecipientStatus.SENT).values_list("message__status").annotate(n=Count("id")).order_by()
    )
    delivered = sum(outcomes.get(s, 0) for s in DELIVERED)
    failed = sum(outcomes.get(s, 0) for s in FAILED)
    handed = by_status.get(RecipientStatus.SENT, 0)
    progress = {
        "queued": by_status.get(RecipientStatus.QUEUED, 0),
        "sent": handed - delivered - failed,
        "delivered": delivered,
        "failed": failed,
        "excluded": by_status.get(RecipientStatus.EXCLUDED, 0),
    }
    progress["total"] = sum(progress.values())
    return progress


def broadcast_excluded_counts(*, broadcast: Broadcast) -> dict[str, int]:
    rows = BroadcastRecipient.objects.filter(broadcast=broadcast, status=RecipientStatus.EXCLUDED)
    counts = dict(rows.values_list("reason").annotate(n=Count("id")).order_by())
    return {
        "opted_out": counts.get("opted_out", 0),
        "invalid": counts.get("invalid", 0),
        "duplicates": broadcast.duplicate_count,
        "landline": counts.get("landline", 0),
        "cancelled": counts.get("cancelled", 0),
        "refused": counts.get("refused", 0),
    }


def broadcast_payload(broadcast: Broadcast) -> dict[str, Any]:
    """A broadcast as the API and the detail page's poll answer it (snake_case here; the API renders camelCase)."""
    return {
        "id": broadcast.pk,
        "organization_id": broadcast.organization_id,
        "state": broadcast.state,
        "message": broadcast.body,
        "from_number": str(broadcast.phone_number.number),
        "send_at": iso(broadcast.send_at) if broadcast.send_at else None,
        "created_by": broadcast.created_by_id,
        "created_at": iso(broadcast.created_at),
        "started_at": iso(broadcast.started_at) if broadcast.started_at else None,
        "finished_at": iso(broadcast.finished_at) if broadcast.finished_at else None,
        "recipients": broadcast.recipient_count,
        "excluded": broadcast_excluded_counts(broadcast=broadcast),
        "progress": broadcast_progress(broadcast=broadcast),
    }


def broadcast_report_rows(*, broadcast: Broadcast, chunk_size: int = 2_000) -> Iterator[tuple[str, ...]]:
    """The per-recipient report (CSV export): number, name, status, reason, message status, error, sent at."""
    rows = (
        BroadcastRecipient.objects.filter(broadcast=broadcast)
        .order_by("id")
        .values_list(
            "number", "contact__first_name", "contact__last_name", "status", "detail", "message__status",
            "message__error_code", "message__created_at",
        )
    )  # fmt: skip
    for number, first, last, status, detail, message_status, error_code, at in rows.iterator(chunk_size=chunk_size):
        name = f"{first or ''} {last or ''}".strip()
        yield (number, name, status, detail, message_status or "", str(error_code or ""), iso(at) if at else "")
