"""python manage.py seed_demo: the demo organization and login for the embedded default."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from messaging.demo import DEMO_NUMBER, DEMO_ORG, demo_seed


class Command(BaseCommand):
    help = "Seed a demo organization with a few conversations and print a fresh demo login (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo is for local development (DEBUG=1); pass --force to run it anyway.")
        login = demo_seed()
        what = "created demo data" if login.created_data else "demo data already present"
        url = settings.PUBLIC_BASE_URL or "http://127.0.0.1:8000"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "=" * 60,
                    f"  smsinbox demo: {DEMO_ORG} ({what})",
                    f"  Open {url}/ and log in with",
                    f"    username: {login.username}",
                    f"    password: {login.password}",
                    "",
                    "  Text the inbox from a pretend phone (the local Twilio emulator):",
                    f"    .venv/bin/python manage.py twilio_emulator send --from +14155550123 --to {DEMO_NUMBER} \\",
                    '        --body "Hi, is my order ready?"',
                    "=" * 60,
                    "",
                ]
            )
        )
