"""Reading the audit log: one organization's entries, filtered, newest first (its admins only: the page checks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from smsinbox.audit.models import AuditEntry

CSV_HEADER = ("time", "actor", "action", "action_code", "target_type", "target_id", "target", "changes",
              "ip_address", "user_agent")  # fmt: skip


def audit_entries(
    *,
    organization_id: int,
    actor_id: int | None = None,
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The organization's entries, newest first; ``since`` inclusive, ``until`` exclusive."""
    entries = AuditEntry.objects.filter(organization_id=organization_id)
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    return entries.order_by("-created_at", "-id")


def audit_actors(*, organization_id: int) -> list[tuple[int, str]]:
    """Who appears in the organization's log (id, latest name), by name: the page's actor filter."""
    names: dict[int, str] = {}
    rows = AuditEntry.objects.filter(organization_id=organization_id, actor_id__isnull=False).order_by("id")
    for actor_id, name in rows.values_list("actor_id", "actor_name").distinct():
        names[actor_id] = name
    return sorted(names.items(), key=lambda item: (item[1].lower(), item[0]))


def audit_csv_rows(entries: QuerySet[AuditEntry], *, zone: ZoneInfo, chunk_size: int = 2000) -> Iterator[tuple]:
    """The CSV export's rows: a header, then each entry (times in ``zone``), read a chunk at a time."""
    yield CSV_HEADER
    labels = dict(AuditEntry.Action.choices)
    for entry in entries.iterator(chunk_size=chunk_size):
        yield (
            entry.created_at.astimezone(zone).isoformat(timespec="seconds"),
            entry.actor_name,
            labels.get(entry.action, entry.action),
            entry.action,
            entry.target_type,
            "" if entry.target_id is None else entry.target_id,
            entry.target_label,
            json.dumps(entry.changes, ensure_ascii=False, sort_keys=True) if entry.changes else "",
            entry.ip_address or "",
            entry.user_agent,
        )
