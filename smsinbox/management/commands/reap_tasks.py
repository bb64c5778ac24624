"""``manage.py reap_tasks``: mark FAILED the tasks left RUNNING past their lease by killed workers."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from smsinbox.ops.tasks import task_results_reap


class Command(BaseCommand):
    help = "Mark FAILED (LeaseExpired) every task RUNNING for longer than the lease (TASK_LEASE_SECONDS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lease-seconds", type=float, default=None, help="default: TASK_LEASE_SECONDS")

    def handle(self, *args: object, lease_seconds: float | None, **options: object) -> None:
        lease = settings.TASK_LEASE_SECONDS if lease_seconds is None else lease_seconds
        reaped = task_results_reap(lease_seconds=lease)
        self.stdout.write(f"{reaped} task(s) reaped (lease {lease:g} s)")
