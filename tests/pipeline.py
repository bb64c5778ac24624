"""Run the outbound pipeline for real in tests: the db_worker drains tasks, the emulator plays Twilio."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from messaging.twilio.emulator import TwilioEmulator
from messaging.twilio.webhook_urls import webhook_url


def drain_tasks(timeout: float = 20.0) -> int:
    """Run ready tasks with the real ``db_worker --batch`` until none is left (waiting for deferred ones)."""
    deadline = time.monotonic() + timeout
    runs = 0
    while time.monotonic() < deadline:
        waiting = DBTaskResult.objects.filter(status="READY")
        if not waiting.exists():
            return runs
        if not DBTaskResult.objects.ready().exists():  # only deferred ones: wait for the first
            next_at = waiting.order_by("run_after").values_list("run_after", flat=True).first()
            time.sleep(min(max((next_at - timezone.now()).total_seconds(), 0), 1.0) + 0.01)
            continue
        call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay", "--no-reload", "-v", "0")
        runs += 1
    raise AssertionError(f"tasks still waiting after {timeout} s: {list(DBTaskResult.objects.filter(status='READY'))}")


@contextmanager
def running_emulator(
    settings, *, numbers: list[str], callback_delay: float = 0.02, **options
) -> Iterator[TwilioEmulator]:
    """A Twilio emulator on an ephemeral port, with the SDK client pointed at it.

    On exit it stops and then waits for the webhooks already in flight to our live server: a
    status callback still writing when a transactional test's flush truncates the tables
    deadlocked with that ``TRUNCATE`` on PostgreSQL (CI, test_every_attempt_is_an_event).
    """
    emulator = TwilioEmulator(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        port=0,
        callback_delay=callback_delay,
        **options,
    )
    emulator.start()
    settings.TWILIO_API_BASE_URL = emulator.base_url
    for number in numbers:
        emulator.add_number(number, sms_url=webhook_url("sms-incoming", base_url=settings.PUBLIC_BASE_URL))
    try:
        yield emulator
    finally:
        emulator.stop()
        emulator.wait_idle(timeout=20)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def long_ago(seconds: float = 3600) -> timezone.datetime:
    return timezone.now() - timedelta(seconds=seconds)


def process_environment() -> dict[str, str]:
    """The environment of a real process (``python -c …``) that works on this test's PostgreSQL database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url}
