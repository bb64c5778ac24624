"""python manage.py send_scheduled [--loop SECONDS] [--now ISO]: hand scheduled messages whose time came to the
send pipeline. Task workers already do this every ``SCHEDULE_SWEEP_SECONDS``; this is for rehearsals and tests."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from messaging.services.schedule import messages_send_due


class Command(BaseCommand):
    help = "Send scheduled messages whose time has come (through the outbox). Safe to run in parallel."

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
            sent = messages_send_due(now=now)
            if sent or not options["loop"]:
                self.stdout.write(f"handed over {sent}")
            close_old_connections()
            if not options["loop"]:
                return
            time.sleep(options["loop"])
