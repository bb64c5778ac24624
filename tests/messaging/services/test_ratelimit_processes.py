"""Two real worker processes share one number's pace through its row (PostgreSQL): every send start they are
allowed, counted over every one-second window, stays within the number's rate, though each process starts
some of its sends late (as a loaded worker does)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings

from tests.pipeline import process_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# One worker's sending loop, reduced to its pacing: reserve a slot, wait for it (sometimes waking late), then
# ask the window before starting; print each start (Unix seconds).
WORKER = """
import os, random, sys, time
import django
django.setup()
from django.utils import timezone
from messaging.services.ratelimit import phone_number_reserve_send_slot, phone_number_start_send
number, sends, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
for _ in range(sends):
    slot = phone_number_reserve_send_slot(phone_number_id=number, now=timezone.now())
    time.sleep(max(0.0, (slot - timezone.now()).total_seconds()) + (0.08 if rng.random() < 0.2 else 0.0))
    while (hold := phone_number_start_send(phone_number_id=number, now=timezone.now())).total_seconds() > 0:
        time.sleep(hold.total_seconds())
    print(time.time(), flush=True)
"""


def test_two_worker_processes_never_start_more_sends_in_a_second_than_the_rate(org_a):
    number = org_a.organization.phone_numbers.get()
    number.messages_per_second = Decimal("20")
    number.save()
    env = process_environment()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(number.pk), "40", str(seed)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    starts: list[float] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-2000:]
        starts += [float(line) for line in out.split()]
    starts.sort()
    assert len(starts) == 80
    busiest = max(sum(1 for t in starts if first <= t < first + 1.0) for first in starts)
    assert busiest <= 20, busiest
    assert starts[-1] - starts[0] <= 60 / 20 * 1.03 + 1.5  # and the pace is used: about 3 s for 60 past the first 20
