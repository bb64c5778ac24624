"""Is the organization open at an instant? Pure functions: no database, the clock passed in.

Opening hours are wall-clock times in the organization's zone, so 09:00–17:00 stays 09:00–17:00 local
across daylight-saving changes (the UTC instants move). An instant is read in the zone first; a local time
skipped by a spring-forward change never occurs, and one repeated by a fall-back change is open or closed
the same both times. An interval whose ``closes`` is at or before its ``opens`` runs overnight into the next
day. A holiday closes its whole local date, including the part of an overnight interval that started the
day before; an overnight interval that starts on a holiday does not run on into the next morning either.
"""

from __future__ import annotations

import itertools
import zoneinfo
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.conf import settings


@dataclass(frozen=True)
class Interval:
    weekday: int  # 0 Monday … 6 Sunday
    opens: time
    closes: time

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens


def organization_zone(time_zone: str) -> tzinfo:
    """The organization's zone: its ``time_zone``, else the server's ``TIME_ZONE`` (validated on save)."""
    try:
        return zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def is_open(*, at: datetime, zone: tzinfo, intervals: Iterable[Interval], holidays: Collection[date]) -> bool:
    """Whether ``at`` (an aware instant) falls within the opening hours, read in ``zone``."""
    local = at.astimezone(zone)
    today, now = local.date(), local.time().replace(tzinfo=None)
    if today in holidays:
        return False
    weekday = today.weekday()
    yesterday_open = (today - timedelta(days=1)) not in holidays
    for interval in intervals:
        if interval.weekday == weekday:
            if interval.overnight and now >= interval.opens:
                return True
            if not interval.overnight and interval.opens <= now < interval.closes:
                return True
        elif interval.weekday == (weekday - 1) % 7 and interval.overnight and yesterday_open and now < interval.closes:
            return True
    return False


def intervals_check(intervals: Iterable[Interval]) -> str | None:
    """What is wrong with a week of intervals (a message naming the day), or None.

    Each day's intervals may not overlap one another; an overnight one must be that day's last, and may not
    run past the next day's first opening.
    """
    by_day: dict[int, list[Interval]] = {}
    for interval in intervals:
        if not 0 <= interval.weekday <= 6:
            return "A weekday is 0 (Monday) to 6 (Sunday)."
        if interval.opens == interval.closes:
            return f"{DAY_NAMES[interval.weekday]}: opening and closing times are the same."
        by_day.setdefault(interval.weekday, []).append(interval)
    for day, items in by_day.items():
        items.sort(key=lambda i: i.opens)
        for earlier, later in itertools.pairwise(items):
            if earlier.overnight or later.opens < earlier.closes:
                return f"{DAY_NAMES[day]}: the opening hours overlap."
        last = items[-1]
        following = sorted(by_day.get((day + 1) % 7, []), key=lambda i: i.opens)
        if last.overnight and following and following[0].opens < last.closes:
            return f"{DAY_NAMES[day]}: the overnight hours run into {DAY_NAMES[(day + 1) % 7]}'s."
    return None


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
