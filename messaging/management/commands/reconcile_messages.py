"""python manage.py reconcile_messages [--loop SECONDS]: settle outbound messages that went quiet, and requeue
outgoing webhook deliveries whose worker died mid-delivery."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from messaging.services.reconcile import messages_reconcile
from smsinbox.integrations.delivery import webhook_deliveries_sweep


class Command(BaseCommand):
    help = "Requeue outbound messages stuck before Twilio and refresh quiet ones from Twilio's Message resource."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0, help="Run every SECONDS until stopped (0: once).")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = messages_reconcile()
            webhooks = webhook_deliveries_sweep()
            self.stdout.write(
                f"requeued {result.requeued}, fetched {result.fetched}, advanced {result.advanced}, "
                f"errors {result.errors}"
            )
            if webhooks:
                self.stdout.write(f"webhook deliveries requeued {webhooks}")
            close_old_connections()
            if not options["loop"]:
                return
            time.sleep(options["loop"])
