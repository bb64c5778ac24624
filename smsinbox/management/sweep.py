"""One base for the commands that run a durable sweep by hand (``wake_snoozed``, ``send_scheduled``): once, or
every ``--loop`` seconds, optionally ``--now`` a given moment. The workers run the same sweeps on their own; the
sweeps are safe in parallel (each claims its rows with a conditional update)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone


class SweepCommand(BaseCommand):
    """Subclasses set ``sweep`` (``now=`` → how many rows it took) and ``done`` (the verb printed before the count)."""

    sweep: Callable[..., int]
    done = "swept"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0, help="Run every SECONDS until stopped (0: once).")
        parser.add_argument(
            "--now", default="", help="Sweep as if it were this moment (ISO 8601 with offset): rehearsals and tests."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now must be ISO 8601, for example 2026-12-08T09:00:00+00:00") from None
            if timezone.is_naive(now):
                raise CommandError("--now needs an offset, for example +00:00")
        while True:
            count = type(self).sweep(now=now)
            if count or not options["loop"]:
                self.stdout.write(f"{self.done} {count}")
            close_old_connections()
            if not options["loop"]:
                return
            time.sleep(options["loop"])
