"""Rebuild the hourly rollup from the tables (the migration that installs the triggers, the benchmark).

The triggers keep ``ReportHour`` right from then on; this recomputes it in one statement per engine. Response
and close times are not rebuilt: they are recorded as they happen (history before the triggers has none).
Opt-outs are rebuilt from the contacts opted out now (an opt-out later withdrawn is not known any more).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from messaging.reports.models import _HOUR


def rollups_rebuild_sql(vendor: str) -> list[str]:
    hour = _HOUR["postgres" if vendor == "postgresql" else "sqlite"]
    return [
        "DELETE FROM reports_reporthour",
        "INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) "  # noqa: S608 (names from code)
        f"SELECT organization_id, {hour.format('created_at')}, direction || ':' || status, COUNT(*), "
        "SUM(num_segments), SUM(COALESCE(price, 0)) FROM messaging_message GROUP BY 1, 2, 3 "
        f"UNION ALL SELECT organization_id, {hour.format('created_at')}, 'contact', COUNT(*), 0, 0 "
        "FROM conversations_contact GROUP BY 1, 2 "
        f"UNION ALL SELECT organization_id, {hour.format('opted_out_at')}, 'opt_out', COUNT(*), 0, 0 "
        "FROM conversations_contact WHERE opted_out_at IS NOT NULL GROUP BY 1, 2",
    ]


def rollups_rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recompute ``ReportHour`` for every organization (run in the caller's transaction)."""
    with connection.cursor() as cursor:
        for statement in rollups_rebuild_sql(connection.vendor):
            cursor.execute(statement)
