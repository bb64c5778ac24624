"""``manage.py task_worker``: run background tasks, and keep running through database outages."""

from __future__ import annotations

import os
import socket

from django.core.management.base import BaseCommand, CommandParser

from smsinbox.workers import run_task_worker


class Command(BaseCommand):
    help = "Run django-tasks' database worker; after a database error, start it again with a backoff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}"[:64])
        parser.add_argument("--interval", type=float, default=0.2, help="seconds between polls when idle")
        parser.add_argument("--queue-name", default="default", help="comma-separated queues")

    def handle(self, *args: object, worker_id: str, interval: float, queue_name: str, **options: object) -> None:
        run_task_worker(
            worker_id=worker_id, interval=interval, queue_names=tuple(queue_name.split(",")), handle_signals=True
        )
