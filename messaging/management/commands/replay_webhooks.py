"""``manage.py replay_webhooks [ID …]``: apply again the Twilio posts whose apply failed (after a fix)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from messaging.intake.processor import run_intake_processor
from messaging.intake.services import webhook_posts_replay


class Command(BaseCommand):
    help = "Put failed webhook posts (all, or those named) back to pending and apply them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="webhook post ids (default: every failed one)")

    def handle(self, *args: Any, **options: Any) -> None:
        count = webhook_posts_replay(ids=options["ids"] or None)
        run_intake_processor(once=True)
        self.stdout.write(f"{count} failed post(s) put back and applied")
