"""python manage.py setup_org --name NAME --number E164 [--number E164 …] --username USER --password PASS"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smsinbox.errors import ServiceError
from smsinbox.services import organization_setup


class Command(BaseCommand):
    help = "Create or update an organization, its Twilio numbers and an admin staff user (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Organization name.")
        parser.add_argument(
            "--number", action="append", default=[], dest="numbers", help="A Twilio number in E.164; repeatable."
        )
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = organization_setup(
                name=options["name"],
                numbers=options["numbers"],
                username=options["username"],
                password=options["password"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        for line in result.changes:
            self.stdout.write(line)
