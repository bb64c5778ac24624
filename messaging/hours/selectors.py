"""What the rules, the auto-reply and the settings page read about an organization's hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from messaging.hours.clock import OpenClock
from messaging.hours.models import AutoReplySettings, Holiday, OpeningInterval
from messaging.hours.rules import Interval, is_open, organization_zone
from smsinbox.models import Organization


@dataclass(frozen=True)
class BusinessHours:
    zone: tzinfo
    intervals: tuple[Interval, ...]
    holidays: tuple[Holiday, ...]
    settings: AutoReplySettings  # unsaved defaults (everything off) when the organization has none

    def is_open(self, at: datetime) -> bool:
        dates: frozenset[date] = frozenset(h.date for h in self.holidays)
        return is_open(at=at, zone=self.zone, intervals=self.intervals, holidays=dates)


def business_hours_get(*, organization: Organization) -> BusinessHours:
    """The organization's hours, holidays and auto-reply settings (three indexed queries)."""
    rows = OpeningInterval.objects.filter(organization=organization).order_by("weekday", "opens")
    settings = AutoReplySettings.objects.filter(organization=organization).first()
    return BusinessHours(
        zone=organization_zone(organization.time_zone),
        intervals=tuple(Interval(weekday=r.weekday, opens=r.opens, closes=r.closes) for r in rows),
        holidays=tuple(Holiday.objects.filter(organization=organization).order_by("date")),
        settings=settings or AutoReplySettings(organization=organization),
    )


def open_clock_get(*, organization: Organization) -> OpenClock:
    """A clock that counts only the organization's opening hours (two indexed queries)."""
    rows = OpeningInterval.objects.filter(organization=organization).values_list("weekday", "opens", "closes")
    return OpenClock(
        zone=organization_zone(organization.time_zone),
        intervals=[Interval(weekday=w, opens=o, closes=c) for w, o, c in rows],
        holidays=set(Holiday.objects.filter(organization=organization).values_list("date", flat=True)),
    )
