"""python manage.py configure_twilio_webhooks [--number E164] [--check]

Points each number's "a message comes in" webhook (POST) and status callback at this app,
as the original sketch's script did. ``--check`` only reports drift and exits non-zero if any.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from messaging.twilio import client
from messaging.twilio.webhook_urls import webhook_url
from smsinbox.models import PhoneNumber
from smsinbox.phones import InvalidPhoneNumber, to_e164


class Command(BaseCommand):
    help = "Point the Twilio numbers' incoming-message webhook and status callback at PUBLIC_BASE_URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--number", action="append", default=[], help="Only this number (E.164); repeatable.")
        parser.add_argument("--check", action="store_true", help="Report drift only; exit 1 if any.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PUBLIC_BASE_URL:
            raise CommandError("PUBLIC_BASE_URL is not set: Twilio needs the public URL of this app.")
        sms_url, status_url = webhook_url("sms-incoming"), webhook_url("sms-status")
        numbers = PhoneNumber.objects.order_by("number")
        if options["number"]:
            try:
                wanted = [to_e164(n, strict=False) for n in options["number"]]
            except InvalidPhoneNumber as exc:
                raise CommandError(str(exc)) from exc
            numbers = numbers.filter(number__in=wanted)
            missing = set(wanted) - {str(n.number) for n in numbers}
            if missing:
                raise CommandError(f"Not set up here (run setup_org first): {', '.join(sorted(missing))}")
        drift = 0
        for number in numbers:
            try:
                found = client.list_numbers(phone_number=str(number.number))
            except client.TwilioSendError as exc:
                raise CommandError(f"Twilio could not be asked about {number.number}: {exc.message}") from exc
            if not found:
                drift += 1
                self.stdout.write(f"{number.number}: not on this Twilio account")
                continue
            remote = found[0]
            if remote.sid != number.twilio_sid:
                PhoneNumber.objects.filter(pk=number.pk).update(twilio_sid=remote.sid)
            wrong = [
                f"{name} is {have!r}, should be {want!r}"
                for name, have, want in [
                    ("sms_url", remote.sms_url, sms_url),
                    ("sms_method", remote.sms_method.upper(), "POST"),
                    ("status_callback", remote.status_callback, status_url),
                ]
                if have != want
            ]
            if not wrong:
                self.stdout.write(f"{number.number}: up to date")
                continue
            drift += 1
            if options["check"]:
                self.stdout.write(f"{number.number}: " + "; ".join(wrong))
                continue
            try:
                client.update_number_webhooks(sid=remote.sid, sms_url=sms_url, status_callback=status_url)
            except client.TwilioSendError as exc:
                raise CommandError(f"Updating {number.number} failed: {exc.message}") from exc
            self.stdout.write(f"{number.number}: webhooks set to {sms_url} and {status_url}")
        if options["check"] and drift:
            raise CommandError(f"{drift} number(s) need configuring: run without --check.")
