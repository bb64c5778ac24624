"""Time counted only while the organization is open: ``OpenClock.seconds(start, end)`` sums the open intervals
between two instants (the reports' business-hours response times).

Pure: no database. Each local date's opening intervals become UTC instants first (``datetime.combine`` in the
zone, then UTC), so an interval across a daylight-saving change lasts what the clock on the wall says it
lasts in real time (an overnight 22:00–06:00 over the spring-forward night is 7 hours), and a 09:00–17:00 day
is 8 hours on either side of a change. The rules are ``messaging.hours.rules``': a holiday closes its whole local
date, including the tail of an overnight interval begun the day before; an overnight interval that starts on
a holiday does not run.

``seconds`` is ``open_until(end) - open_until(start)``, where ``open_until`` is the open time from a fixed origin
date: whole days come from prefix sums (built once per date), so a span of months costs no more than an hour.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from messaging.hours.rules import Interval

ORIGIN = date(2000, 1, 3)  # a Monday; instants before it count as closed


class OpenClock:
    def __init__(self, *, zone: tzinfo, intervals: Iterable[Interval], holidays: Collection[date]) -> None:
        self.zone = zone
        self.by_weekday: dict[int, list[Interval]] = {}
        for interval in intervals:
            self.by_weekday.setdefault(interval.weekday, []).append(interval)
        self.holidays = frozenset(holidays)
        self._spans: dict[date, list[tuple[datetime, datetime]]] = {}
        self._prefix: list[float] = [0.0]  # _prefix[i]: open seconds of the spans starting before ORIGIN + i days

    def _at(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.zone).astimezone(UTC)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open spans (UTC instants) that start on the local date ``day``."""
        found = self._spans.get(day)
        if found is not None:
            return found
        found = []
        if day not in self.holidays:
            for interval in self.by_weekday.get(day.weekday(), ()):
                if not interval.overnight:
                    found.append((self._at(day, interval.opens), self._at(day, interval.closes)))
                    continue
                following = day + timedelta(days=1)
                until = time(0) if following in self.holidays else interval.closes
                found.append((self._at(day, interval.opens), self._at(following, until)))
        found = [(a, b) for a, b in found if b > a]
        self._spans[day] = found
        return found

    def _whole_days_before(self, day: date) -> float:
        index = (day - ORIGIN).days
        while len(self._prefix) <= index:
            start = ORIGIN + timedelta(days=len(self._prefix) - 1)
            self._prefix.append(self._prefix[-1] + sum((b - a).total_seconds() for a, b in self.spans(start)))
        return self._prefix[max(index, 0)]

    def open_until(self, at: datetime) -> float:
        """Open seconds from the origin to ``at`` (an aware instant)."""
        day = at.astimezone(self.zone).date()
        if day < ORIGIN + timedelta(days=1):
            return 0.0
        total = self._whole_days_before(day - timedelta(days=1))  # spans of two days back have ended by ``day``
        for start in (day - timedelta(days=1), day):
            for a, b in self.spans(start):
                total += max(0.0, (min(b, at) - a).total_seconds())
        return total

    def seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds in ``[start, end)`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        return max(0.0, self.open_until(end) - self.open_until(start))
