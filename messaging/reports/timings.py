"""Median and 90th percentile of response and close times, per period and per staff member, in one query.

PostgreSQL computes them itself (``percentile_cont(0.5)``: the median, halfway between the two middle values of
an even count; ``percentile_disc(0.9)``: the nearest-rank 90th percentile) over ``GROUPING SETS``, so no row
travels; SQLite has no percentile functions, so there the seconds are fetched and the same definitions
applied in Python (``figures.Timing.of``).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from messaging.reports.ranges import Period

EVERYONE = "everyone"
Key = tuple[bool, "int | str | None"]  # (inside the period, not the one before; a staff member or EVERYONE)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` of 0.9: the value 90% of the others do not exceed); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


@dataclass
class Timing:
    count: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> Timing:
        return cls(len(values), statistics.median(values) if values else None, percentile(values, 0.9))


def timings(*, table: str, at: str, who: str, organization_id: int, period: Period) -> dict[Key, Timing]:
    """Timings of ``table`` (rows whose ``at`` falls in the period or the one before), by period and person."""
    before = period.previous
    params = {"org": organization_id, "first": before.start, "start": period.start, "end": period.end}
    where = f"organization_id = %(org)s AND {at} >= %(first)s AND {at} < %(end)s"
    inside = f"({at} >= %(start)s)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT {inside} AS inside, {who}, GROUPING({who}), COUNT(*), "  # noqa: S608 (names from code)
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
                "percentile_disc(0.9) WITHIN GROUP (ORDER BY seconds) "
                f"FROM {table} WHERE {where} GROUP BY GROUPING SETS ((inside), (inside, {who}))",
                params,
            )
            return {
                (now, EVERYONE if grouped else person): Timing(count, median, p90)
                for now, person, grouped, count, median, p90 in cursor.fetchall()
            }
        cursor.execute(f"SELECT {inside}, {who}, seconds FROM {table} WHERE {where}", params)  # noqa: S608
        values: dict[Key, list[float]] = defaultdict(list)
        for now, person, seconds in cursor.fetchall():
            values[(bool(now), EVERYONE)].append(seconds)
            values[(bool(now), person)].append(seconds)
    return {key: Timing.of(seconds) for key, seconds in values.items()}
