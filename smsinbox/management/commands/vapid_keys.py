"""python manage.py vapid_keys — write the Web Push VAPID key file when it is missing (the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from smsinbox.notifications.push import vapid_keys_ensure, vapid_public_key


class Command(BaseCommand):
    help = "Create the VAPID key file (WEB_PUSH_VAPID_KEY_FILE) for Web Push unless it exists or a key is configured."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.WEB_PUSH_VAPID_PRIVATE_KEY.strip():
            self.stdout.write("WEB_PUSH_VAPID_PRIVATE_KEY is set: nothing to do.")
            return
        path = Path(settings.WEB_PUSH_VAPID_KEY_FILE)
        written = vapid_keys_ensure(path)
        self.stdout.write(f"{'Wrote' if written else 'Kept'} {path}; public key {vapid_public_key()}")
