"""The embedded default's background work, inside the server process.

The in-memory channel layer reaches only the process that publishes, so with it the task
worker (and periodic reconciliation and the snooze sweep) run as a thread of the ASGI server, and events they
publish are handed to the server's event loop. Production runs ``manage.py task_worker``
processes and the Redis layer instead (``TASKS_IN_SERVER_PROCESS=0``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from smsinbox import events

logger = logging.getLogger(__name__)

_started = threading.Event()

ASGIApp = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]


def _run_worker() -> None:
    from smsinbox.workers import run_task_worker  # imports task models: only once apps are ready

    run_task_worker(worker_id="embedded", interval=0.2)


def _run_reconciler(every: float) -> None:
    from messaging.services.reconcile import messages_reconcile
    from smsinbox.integrations.delivery import webhook_deliveries_sweep

    while True:
        time.sleep(every)
        try:
            messages_reconcile()
            webhook_deliveries_sweep()  # outgoing webhooks whose worker died mid-delivery
        except Exception:
            logger.exception("embedded reconciliation failed")
        finally:
            close_old_connections()


def _run_intake_processor() -> None:
    from messaging.intake.processor import run_intake_processor

    run_intake_processor()


SNOOZE_SWEEP_SECONDS = 15.0  # a snoozed conversation comes back at most this late


def _run_snooze_sweeper(every: float) -> None:
    from conversations.snooze import conversations_wake_due

    while True:
        time.sleep(every)
        try:
            conversations_wake_due()
        except Exception:
            logger.exception("embedded snooze sweep failed")
        finally:
            close_old_connections()


def start_in_server(loop: asyncio.AbstractEventLoop) -> None:
    """Start the worker, reconciler and snooze-sweeper threads once, and route live events to ``loop``."""
    if _started.is_set():
        return
    _started.set()
    events.set_server_loop(loop)
    threading.Thread(target=_run_worker, name="embedded-task-worker", daemon=True).start()
    threading.Thread(
        target=_run_reconciler,
        args=(max(settings.RECONCILE_AFTER_SECONDS / 2, 5),),
        name="embedded-reconciler",
        daemon=True,
    ).start()
    threading.Thread(
        target=_run_snooze_sweeper, args=(SNOOZE_SWEEP_SECONDS,), name="embedded-snooze-sweeper", daemon=True
    ).start()
    if settings.WEBHOOK_INTAKE == "store-first":
        threading.Thread(target=_run_intake_processor, name="embedded-intake-processor", daemon=True).start()
    logger.info("task worker running inside the server process (embedded default)")


class EmbeddedWorkerMiddleware:
    """ASGI middleware: on the first connection, start the in-process worker on this server's loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not _started.is_set() and scope["type"] in {"http", "websocket", "lifespan"}:
            start_in_server(asyncio.get_running_loop())
        await self.app(scope, receive, send)
