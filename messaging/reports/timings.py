"""Median and 90th percentile of response and close times, per period, per staff member and per label.

PostgreSQL computes them itself (``percentile_cont(0.5)``: the median, halfway between the two middle values of
an even count; ``percentile_disc(0.9)``: the nearest-rank 90th percentile) over ``GROUPING SETS``, so no row
travels; SQLite has no percentile functions, so there the seconds are fetched and the same definitions
applied in Python (``Timing.of``). Counted in business hours only (a ``clock``, ``messaging.hours.clock``), each
row's seconds are the open time between its two instants, so the rows are fetched on both databases.

Instants are passed to the raw SQL through ``connection.ops.adapt_datetimefield_value``: SQLite stores naive
UTC text, and a zone-aware parameter (``2026-03-07 00:00:00-05:00``) would compare as text, wrongly.
A conversation counts under each label it carries now (a label added later moves its past figures).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from messaging.hours.clock import OpenClock
from messaging.reports.ranges import Period

EVERYONE = "everyone"
Key = tuple[bool, "int | str | None"]  # (inside the period, not the one before; a staff member or EVERYONE)
LABELS = "conversations_conversationlabel"


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


@dataclass(frozen=True)
class Source:
    """A rollup table of timings: when each row happened (``at``), since when it waited, and who ended it."""

    table: str
    at: str
    since: str
    who: str


RESPONSES = Source("reports_reportresponse", "answered_at", "awaited_at", "responder_id")
CLOSES = Source("reports_reportclosure", "closed_at", "opened_at", "closed_by_id")


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _params(organization_id: int, period: Period) -> dict[str, Any]:
    adapt = connection.ops.adapt_datetimefield_value
    return {
        "org": organization_id,
        "first": adapt(period.previous.start),
        "start": adapt(period.start),
        "end": adapt(period.end),
    }


def _seconds(row_seconds: float, since: Any, at: Any, clock: OpenClock | None) -> float:
    return row_seconds if clock is None else clock.seconds(_instant(since), _instant(at))


def timings(
    *, source: Source, organization_id: int, period: Period, clock: OpenClock | None = None
) -> dict[Key, Timing]:
    """Timings of ``source`` (rows whose ``at`` falls in the period or the one before), by period and person."""
    t, at, who = source.table, source.at, source.who
    where = f"organization_id = %(org)s AND {at} >= %(first)s AND {at} < %(end)s"
    inside = f"({at} >= %(start)s)"
    params = _params(organization_id, period)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and clock is None:
            cursor.execute(
                f"SELECT {inside} AS inside, {who}, GROUPING({who}), COUNT(*), "  # noqa: S608 (names from code)
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
                "percentile_disc(0.9) WITHIN GROUP (ORDER BY seconds) "
                f"FROM {t} WHERE {where} GROUP BY GROUPING SETS ((inside), (inside, {who}))",
                params,
            )
            return {
                (now, EVERYONE if grouped else person): Timing(count, median, p90)
                for now, person, grouped, count, median, p90 in cursor.fetchall()
            }
        cursor.execute(f"SELECT {inside}, {who}, seconds, {source.since}, {at} FROM {t} WHERE {where}", params)  # noqa: S608
        values: dict[Key, list[float]] = defaultdict(list)
        for now, person, seconds, since, ended in cursor.fetchall():
            counted = _seconds(seconds, since, ended, clock)
            values[(bool(now), EVERYONE)].append(counted)
            values[(bool(now), person)].append(counted)
    return {key: Timing.of(seconds) for key, seconds in values.items()}


def label_timings(
    *, source: Source, organization_id: int, period: Period, clock: OpenClock | None = None
) -> dict[tuple[int, str], Timing]:
    """Timings of ``source`` inside the period, per label of the conversation: ``(label id, name) → Timing``."""
    t, at = source.table, source.at
    join = (
        f"FROM {t} r JOIN {LABELS} cl ON cl.conversation_id = r.conversation_id "
        "JOIN conversations_label l ON l.id = cl.label_id"
    )
    where = f"r.organization_id = %(org)s AND r.{at} >= %(start)s AND r.{at} < %(end)s"
    params = _params(organization_id, period)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and clock is None:
            cursor.execute(
                "SELECT l.id, l.name, COUNT(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY r.seconds), "
                f"percentile_disc(0.9) WITHIN GROUP (ORDER BY r.seconds) {join} WHERE {where} GROUP BY l.id, l.name",
                params,
            )
            return {(label, name): Timing(count, median, p90) for label, name, count, median, p90 in cursor.fetchall()}
        cursor.execute(f"SELECT l.id, l.name, r.seconds, r.{source.since}, r.{at} {join} WHERE {where}", params)
        values: dict[tuple[int, str], list[float]] = defaultdict(list)
        for label, name, seconds, since, ended in cursor.fetchall():
            values[(label, name)].append(_seconds(seconds, since, ended, clock))
    return {key: Timing.of(seconds) for key, seconds in values.items()}
