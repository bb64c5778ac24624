"""The task worker that outlives a database outage: django-tasks' database worker, restarted in place.

django-tasks-db's ``db_worker`` ends on the first connection error (a PostgreSQL restart stops
every outbound send until something restarts the process). ``run_task_worker`` runs the same
worker, and after an error logs it, drops the broken connections and starts it again with a
backoff, so sends resume as soon as the database is back. ``manage.py task_worker`` (production)
and the embedded default's in-process worker both run it.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker

from smsinbox.ops.tasks import task_results_reap

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0


class _Worker(Worker):
    """The library's worker, also stopped by ``stop`` (for threads, which get no signals), reaping
    expired task leases (``smsinbox.ops.tasks``) at most once per ``TASK_REAP_INTERVAL_SECONDS``, and
    running the periodic sweeps of ``TASK_WORKER_SWEEPS`` (the scheduled-message sweep) at their intervals.

    The library's loop reads ``running`` once per turn (between tasks, never during one): that read is
    our hook for the reaper and the sweeps, as the loop has no other.
    """

    def __init__(self, *, stop: threading.Event | None, **options: object) -> None:
        self._stop = stop
        self._next_reap = 0.0
        self._next_sweep: dict[str, float] = {}
        super().__init__(**options)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def running(self) -> bool:
        going = self._running and not (self._stop is not None and self._stop.is_set())
        if going and not getattr(self, "running_task", False):
            self._reap_if_due()
            self._sweep_if_due()
        return going

    def _sweep_if_due(self) -> None:
        """Run each sweep whose interval has passed. A sweep is idempotent and safe in parallel (each
        settles races with conditional UPDATEs), so a sweep every worker runs is done once per row."""
        now = time.monotonic()
        for path, interval_setting in settings.TASK_WORKER_SWEEPS.items():
            if now < self._next_sweep.get(path, 0.0):
                continue
            self._next_sweep[path] = now + float(getattr(settings, interval_setting))
            try:
                import_string(path)()
            except DatabaseError:  # the loop's own next query meets the outage and restarts the worker
                logger.warning("sweep %s could not run", path, exc_info=True)
            except Exception:
                logger.exception("sweep %s failed", path)

    def _reap_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_reap:
            return
        self._next_reap = now + settings.TASK_REAP_INTERVAL_SECONDS
        try:
            task_results_reap(lease_seconds=settings.TASK_LEASE_SECONDS)
        except DatabaseError:  # the loop's own next query meets the outage and restarts the worker
            logger.warning("task lease reaper could not run", exc_info=True)

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value


def run_task_worker(
    *,
    worker_id: str,
    interval: float = 0.2,
    queue_names: tuple[str, ...] = ("default",),
    stop: threading.Event | None = None,
    handle_signals: bool = False,
) -> None:
    """Run tasks until stopped (SIGTERM/SIGINT with ``handle_signals``, or ``stop``); survive errors.

    State: running → (error) → backing off (1 s, doubling to 30 s; reset by a clean run of
    a minute) → running. A task interrupted by the error is left to the delivery state machine
    (``messaging.services.delivery``): its message is reconciled, never sent blindly again.
    """
    backoff = BACKOFF_FIRST_SECONDS
    while not (stop is not None and stop.is_set()):
        worker = _Worker(
            stop=stop, queue_names=list(queue_names), interval=interval, batch=False, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id=worker_id, excluded_queue_names=[],
        )  # fmt: skip
        if handle_signals:
            worker.configure_signals()
        started = time.monotonic()
        try:
            worker.run()
            return  # asked to stop
        except Exception:
            logger.exception("task worker %s stopped by an error; starting again in %.0f s", worker_id, backoff)
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
            connection.close()
        if time.monotonic() - started > 60:
            backoff = BACKOFF_FIRST_SECONDS
        if stop is not None:
            stop.wait(backoff)
        else:
            time.sleep(backoff)
        backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
