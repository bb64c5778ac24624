"""``manage.py process_webhooks [--once]``: apply kept Twilio posts (``WEBHOOK_INTAKE=store-first``).

Run one or more beside the web servers (Procfile ``intake``); ``--once`` applies what is pending and exits.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from messaging.intake.processor import run_intake_processor
from messaging.intake.services import intake_backlog


class Command(BaseCommand):
    help = "Apply the webhook posts the store-first intake kept (LISTEN/NOTIFY on PostgreSQL, polling on SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="apply what is pending, then exit")
        parser.add_argument(
            "--nice", type=int, default=settings.INTAKE_NICE,
            help="lower this process's CPU priority by this much (INTAKE_NICE, 10): on a shared machine the web "
            "servers answering Twilio go first, and the processors catch up after a burst",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if options["nice"] > 0 and hasattr(os, "nice"):
            os.nice(options["nice"])
        run_intake_processor(once=options["once"])
        if options["once"]:
            self.stdout.write(f"done; {intake_backlog(limit=1_000_000)} post(s) left unapplied")
