"""Open seconds between two instants, hand-counted, in New York across both daylight-saving changes
(2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST) and around holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from messaging.hours.clock import OpenClock
from messaging.hours.rules import Interval

NY = ZoneInfo("America/New_York")
HOUR = 3600.0


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def every_day(opens: int, closes: int) -> list[Interval]:
    return [Interval(weekday=d, opens=time(opens), closes=time(closes)) for d in range(7)]


def test_nine_to_five_over_the_spring_forward_weekend():
    clock = OpenClock(zone=NY, intervals=every_day(9, 17), holidays=())
    # Sat 16:00 EST → Mon 10:00 EDT: 1 h Saturday, 8 h Sunday (a 23-hour day), 1 h Monday; 41 h on the wall
    assert clock.seconds(at("2026-03-07T16:00:00-05:00"), at("2026-03-09T10:00:00-04:00")) == 10 * HOUR


def test_an_overnight_interval_across_the_spring_forward_night_lasts_seven_hours():
    clock = OpenClock(zone=NY, intervals=[Interval(weekday=5, opens=time(20), closes=time(4))], holidays=())
    assert clock.seconds(at("2026-03-07T19:00:00-05:00"), at("2026-03-08T12:00:00-04:00")) == 7 * HOUR


def test_an_overnight_interval_across_the_fall_back_night_lasts_nine_hours():
    clock = OpenClock(zone=NY, intervals=[Interval(weekday=5, opens=time(20), closes=time(4))], holidays=())
    assert clock.seconds(at("2026-10-31T19:00:00-04:00"), at("2026-11-01T12:00:00-05:00")) == 9 * HOUR


def test_a_holiday_is_closed_all_day_and_cuts_the_overnight_tail():
    clock = OpenClock(zone=NY, intervals=every_day(9, 17), holidays={date(2026, 3, 9)})
    assert clock.seconds(at("2026-03-08T16:00:00-04:00"), at("2026-03-10T10:00:00-04:00")) == 2 * HOUR
    overnight = OpenClock(
        zone=NY, intervals=[Interval(weekday=5, opens=time(20), closes=time(4))], holidays={date(2026, 3, 8)}
    )
    assert overnight.seconds(at("2026-03-07T19:00:00-05:00"), at("2026-03-08T12:00:00-04:00")) == 4 * HOUR


def test_partial_intervals_midnight_close_and_empty_spans():
    clock = OpenClock(zone=NY, intervals=[Interval(weekday=0, opens=time(22), closes=time(0))], holidays=())
    monday = "2026-06-01"  # a Monday
    assert clock.seconds(at(f"{monday}T21:00:00-04:00"), at("2026-06-02T08:00:00-04:00")) == 2 * HOUR
    assert clock.seconds(at(f"{monday}T22:30:00-04:00"), at(f"{monday}T23:00:00-04:00")) == 0.5 * HOUR
    assert clock.seconds(at(f"{monday}T23:00:00-04:00"), at(f"{monday}T22:00:00-04:00")) == 0
    assert (
        OpenClock(zone=NY, intervals=[], holidays=()).seconds(at(f"{monday}T00:00:00Z"), at("2026-07-01T00:00Z")) == 0
    )


def test_a_long_span_counts_every_open_day():
    clock = OpenClock(
        zone=NY, intervals=[Interval(weekday=d, opens=time(9), closes=time(17)) for d in range(5)], holidays=()
    )
    # June 2026: 22 weekdays, from the Monday 1st 00:00 to July 1st 00:00
    assert clock.seconds(at("2026-06-01T00:00:00-04:00"), at("2026-07-01T00:00:00-04:00")) == 22 * 8 * HOUR
