"""messaging.hours.rules: open or closed at an instant, read in the organization's zone (the clock passed in)."""

import zoneinfo
from datetime import UTC, date, datetime, time

from messaging.hours.rules import Interval, intervals_check, is_open, organization_zone

NY = zoneinfo.ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [Interval(weekday=d, opens=time(9), closes=time(17)) for d in range(5)]


def _open(at: datetime, intervals=WEEKDAYS_9_TO_5, holidays=()) -> bool:
    return is_open(at=at, zone=NY, intervals=intervals, holidays=set(holidays))


def test_weekday_interval_bounds_are_local_opens_included_closes_excluded():
    assert not _open(datetime(2026, 12, 2, 8, 59, tzinfo=NY))  # a Wednesday
    assert _open(datetime(2026, 12, 2, 9, 0, tzinfo=NY))
    assert _open(datetime(2026, 12, 2, 16, 59, 59, tzinfo=NY))
    assert not _open(datetime(2026, 12, 2, 17, 0, tzinfo=NY))
    assert not _open(datetime(2026, 12, 5, 12, 0, tzinfo=NY))  # Saturday: no intervals, closed


def test_the_instant_is_read_in_the_zone_not_in_utc():
    assert _open(datetime(2026, 12, 2, 14, 0, tzinfo=UTC))  # 09:00 in New York (EST)
    assert not _open(datetime(2026, 12, 2, 13, 59, tzinfo=UTC))
    assert not _open(datetime(2026, 12, 5, 3, 0, tzinfo=UTC))  # Friday 22:00 in New York, Saturday in UTC


def test_several_intervals_a_day_leave_a_lunch_break():
    split = [Interval(weekday=0, opens=time(9), closes=time(12)), Interval(weekday=0, opens=time(13), closes=time(17))]
    assert _open(datetime(2026, 11, 30, 11, 59, tzinfo=NY), split)
    assert not _open(datetime(2026, 11, 30, 12, 30, tzinfo=NY), split)
    assert _open(datetime(2026, 11, 30, 13, 0, tzinfo=NY), split)


def test_overnight_interval_runs_into_the_next_day_and_midnight_closes_at_the_day_end():
    bar = [Interval(weekday=4, opens=time(18), closes=time(2))]  # Friday 18:00 to Saturday 02:00
    assert _open(datetime(2026, 12, 4, 23, 0, tzinfo=NY), bar)
    assert _open(datetime(2026, 12, 5, 1, 59, tzinfo=NY), bar)
    assert not _open(datetime(2026, 12, 5, 2, 0, tzinfo=NY), bar)
    assert not _open(datetime(2026, 12, 4, 1, 0, tzinfo=NY), bar)  # Friday early morning: Thursday had none
    sunday_wrap = [Interval(weekday=6, opens=time(22), closes=time(1))]
    assert _open(datetime(2026, 12, 7, 0, 30, tzinfo=NY), sunday_wrap)  # Monday 00:30, from Sunday's
    evening = [Interval(weekday=2, opens=time(12), closes=time(0))]
    assert _open(datetime(2026, 12, 2, 23, 59, tzinfo=NY), evening)
    assert not _open(datetime(2026, 12, 3, 0, 0, tzinfo=NY), evening)


def test_a_holiday_closes_its_whole_local_date_and_an_overnight_started_on_it():
    christmas = date(2026, 12, 25)  # a Friday
    assert not _open(datetime(2026, 12, 25, 10, tzinfo=NY), holidays=[christmas])
    assert _open(datetime(2026, 12, 24, 10, tzinfo=NY), holidays=[christmas])
    bar = [Interval(weekday=3, opens=time(18), closes=time(2)), Interval(weekday=4, opens=time(18), closes=time(2))]
    assert not _open(datetime(2026, 12, 25, 1, tzinfo=NY), bar, holidays=[christmas])  # Thursday's, into the holiday
    assert not _open(datetime(2026, 12, 26, 1, tzinfo=NY), bar, holidays=[christmas])  # started on the holiday
    assert _open(datetime(2026, 12, 24, 23, tzinfo=NY), bar, holidays=[christmas])


def test_daylight_saving_changes_keep_wall_clock_hours():
    # 2026-03-08: New York springs forward at 02:00; 2026-11-01: falls back at 02:00.
    assert _open(datetime(2026, 3, 6, 14, 0, tzinfo=UTC))  # Friday 09:00 EST
    assert not _open(datetime(2026, 3, 9, 12, 59, tzinfo=UTC))  # Monday 08:59 EDT
    assert _open(datetime(2026, 3, 9, 13, 0, tzinfo=UTC))  # Monday 09:00 EDT: an hour earlier in UTC
    night = [Interval(weekday=6, opens=time(1), closes=time(3))]  # Sunday 01:00–03:00 local
    assert _open(datetime(2026, 3, 8, 6, 30, tzinfo=UTC), night)  # 01:30 EST
    assert _open(datetime(2026, 3, 8, 6, 59, tzinfo=UTC), night)  # 01:59 EST, the last minute before the jump
    assert not _open(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), night)  # 03:00 EDT: that night it was open one hour
    # Fall back: 01:30 happens twice, open both times; 03:00 EST closes.
    assert _open(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), night)  # 01:30 EDT
    assert _open(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), night)  # 01:30 EST
    assert _open(datetime(2026, 11, 1, 7, 30, tzinfo=UTC), night)  # 02:30 EST
    assert not _open(datetime(2026, 11, 1, 8, 0, tzinfo=UTC), night)  # 03:00 EST


def test_zone_falls_back_to_the_server_zone():
    assert organization_zone("Europe/Paris") == zoneinfo.ZoneInfo("Europe/Paris")
    assert organization_zone("") == zoneinfo.ZoneInfo("UTC")


def test_intervals_check_names_the_day():
    assert intervals_check(WEEKDAYS_9_TO_5) is None
    morning = Interval(weekday=1, opens=time(9), closes=time(13))
    overlap = [morning, Interval(weekday=1, opens=time(12), closes=time(17))]
    assert intervals_check(overlap) == "Tuesday: the opening hours overlap."
    into = [Interval(weekday=6, opens=time(22), closes=time(10)), Interval(weekday=0, opens=time(9), closes=time(17))]
    assert intervals_check(into) == "Sunday: the overnight hours run into Monday's."
    assert intervals_check([Interval(weekday=2, opens=time(9), closes=time(9))]) == (
        "Wednesday: opening and closing times are the same."
    )
    assert intervals_check([Interval(weekday=7, opens=time(9), closes=time(10))]) is not None
