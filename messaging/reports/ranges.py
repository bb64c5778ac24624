"""A report's period: a half-open range of instants [start, end) read in one time zone, and the period of the
same length just before it (what each figure is compared with).

Presets are whole local days ending today: ``7d``, ``30d``, ``90d`` (today included), ``month`` (this month
so far) and ``last-month``; ``custom`` takes two dates, both included. Days begin at local midnight, so a
day across a DST change is 23 or 25 hours long and counted whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRESETS: dict[str, str] = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "month": "This month",
    "last-month": "Last month",
    "custom": "Custom dates",
}
DEFAULT_PRESET = "30d"
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be read: the message says why, for people."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    zone: ZoneInfo

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start, self.zone)

    def days(self) -> list[date]:
        """The local dates the period touches, first to last."""
        first = self.start.astimezone(self.zone).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(self.zone).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def dates_period(first: date, last: date, zone: ZoneInfo) -> Period:
    """From ``first`` to ``last``, both included, in ``zone``."""
    if last < first:
        raise PeriodError("The end date is before the start date.")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"A report covers at most {MAX_DAYS} days.")
    return Period(local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone), zone)


def preset_period(preset: str, *, today: date, zone: ZoneInfo) -> Period:
    """The period a preset names, ending with ``today`` (a local date)."""
    if preset in ("7d", "30d", "90d"):
        return dates_period(today - timedelta(days=int(preset[:-1]) - 1), today, zone)
    if preset == "month":
        return dates_period(today.replace(day=1), today, zone)
    if preset == "last-month":
        end = today.replace(day=1) - timedelta(days=1)
        return dates_period(end.replace(day=1), end, zone)
    raise PeriodError(f"Unknown period {preset!r}: choose one of {', '.join(PRESETS)}.")


def instants_period(start: datetime, end: datetime, zone: ZoneInfo) -> Period:
    """Two instants (the API's ``from``/``to``, with their offsets), read in ``zone``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise PeriodError("Give times with their offset, for example 2026-03-01T00:00:00-05:00.")
    if end <= start:
        raise PeriodError("`to` must be after `from`.")
    if end - start > timedelta(days=MAX_DAYS):
        raise PeriodError(f"A report covers at most {MAX_DAYS} days.")
    return Period(start, end, zone)
