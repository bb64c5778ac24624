"""``manage.py prune_audit``: delete audit entries older than their organization's retention period.

Run it daily (cron, a scheduler). The one routine delete of the audit log (``smsinbox.audit.services.audit_prune``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from smsinbox.audit.services import audit_prune


class Command(BaseCommand):
    help = "Delete audit log entries older than each organization's audit_retention_days."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = audit_prune()
        self.stdout.write(f"{removed} audit entries older than their retention period deleted.")
