"""The per-number send pace, with a controllable clock."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from messaging.services.ratelimit import phone_number_reserve_send_slot

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def exact_pace(settings):
    settings.SEND_RATE_MARGIN = 0


def reserve(number, now):
    return phone_number_reserve_send_slot(phone_number_id=number.pk, now=now)


def test_slots_are_one_over_the_rate_apart(org_a):
    number = org_a.organization.phone_numbers.get()
    number.messages_per_second = Decimal("4")
    number.save()
    slots = [reserve(number, T0) for _ in range(8)]
    assert slots == [T0 + timedelta(milliseconds=250 * i) for i in range(8)]


def test_an_idle_number_sends_at_once(org_a):
    number = org_a.organization.phone_numbers.get()
    reserve(number, T0)
    later = T0 + timedelta(seconds=30)
    assert reserve(number, later) == later


def test_never_more_than_n_in_any_second(org_a):
    number = org_a.organization.phone_numbers.get()
    number.messages_per_second = Decimal("3")
    number.save()
    slots = [reserve(number, T0 + timedelta(milliseconds=10 * i)) for i in range(30)]
    for start in slots:
        window = [s for s in slots if start <= s < start + timedelta(seconds=1)]
        assert len(window) <= 3
    assert slots[-1] - slots[0] <= timedelta(seconds=29 / 3 + 0.001)  # and no slower than the rate


def test_a_backlog_reserves_slots_far_ahead_each_once(org_a):
    number = org_a.organization.phone_numbers.get()  # 1 per second
    slots = [reserve(number, T0) for _ in range(100)]
    assert slots[-1] == T0 + timedelta(seconds=99)  # a deferred task holds its slot: O(N) work for N sends
    assert len(set(slots)) == 100


def test_numbers_are_paced_independently(org_a):
    org = org_a.organization
    first = org.phone_numbers.get()
    second = org.phone_numbers.create(number="+14155550002")
    assert reserve(first, T0) == T0
    assert reserve(second, T0) == T0


def test_the_margin_widens_every_slot(org_a, settings):
    settings.SEND_RATE_MARGIN = 0.03
    number = org_a.organization.phone_numbers.get()
    number.messages_per_second = Decimal("20")
    number.save()
    slots = [reserve(number, T0) for _ in range(21)]
    assert slots[1] - slots[0] == timedelta(microseconds=51500)
    assert slots[20] - slots[0] > timedelta(seconds=1)  # 21 sends never fit in one second
