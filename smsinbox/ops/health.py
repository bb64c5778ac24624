"""Readiness checks behind ``GET /readyz``: each answers within a bound and says only ok or not.

- **database**: ``SELECT 1`` on the default connection (bounded by ``smsinbox.deadline``);
- **redis** (only when ``REDIS_URL`` is set): ``PING`` on the cache's client;
- **tasks**: the task table answers, and the ready backlog (tasks due now and not yet claimed) is
  below ``READY_MAX_TASK_BACKLOG``; counted with ``LIMIT threshold + 1``, so a huge backlog costs
  no more than a small one;
- **intake** (added by ``messaging``): the webhook posts kept and not yet applied are at most
  ``READY_MAX_INTAKE_BACKLOG`` (``messaging.intake.services.check_intake``).

Which check failed and why is logged (for operators), never answered (``/readyz`` is public).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tasks_db.models import DBTaskResult

from smsinbox.deadline import database_deadline

logger = logging.getLogger(__name__)


def check_database() -> None:
    with database_deadline(settings.READY_CHECK_SECONDS), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    if not settings.REDIS_URL:
        return
    client = cache._cache.get_client(write=False)  # type: ignore[attr-defined]
    client.ping()


def task_backlog(limit: int) -> int:
    """Tasks due now and not yet claimed, counted up to ``limit`` (one bounded query)."""
    return DBTaskResult.objects.ready()[:limit].count()


def check_backlog(*, what: str, count: Callable[[int], int], threshold: int) -> None:
    """Not ready when ``count`` (called with a ``LIMIT``, so a huge backlog costs no more) is above ``threshold``."""
    with database_deadline(settings.READY_CHECK_SECONDS):
        backlog = count(threshold + 1)
    if backlog > threshold:
        raise RuntimeError(f"{what} backlog above {threshold}")


def check_tasks() -> None:
    check_backlog(what="task", count=task_backlog, threshold=settings.READY_MAX_TASK_BACKLOG)


# Apps above this one add theirs from their ``AppConfig.ready`` (messaging: "intake", the webhook posts not applied).
CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "redis": check_redis, "tasks": check_tasks}


def failed_checks() -> list[str]:
    """Names of the checks that failed (each logged with its reason); empty when ready."""
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log only
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            failed.append(name)
    return failed
