"""python manage.py wake_snoozed [--loop SECONDS]: bring back snoozed conversations whose time has come."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from conversations.snooze import conversations_wake_due


class Command(BaseCommand):
    help = "Wake snoozed conversations whose time has come (open again, assignee told). Safe to run in parallel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0, help="Run every SECONDS until stopped (0: once).")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            woken = conversations_wake_due()
            if woken or not options["loop"]:
                self.stdout.write(f"woke {woken}")
            close_old_connections()
            if not options["loop"]:
                return
            time.sleep(options["loop"])
