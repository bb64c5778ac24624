"""The task lease and its reaper: tasks of killed workers do not stay ``RUNNING`` forever.

django-tasks-db marks a task ``RUNNING`` when a worker claims it and ``SUCCESSFUL``/``FAILED`` when
it ends; a worker killed in between (SIGKILL, OOM, a lost machine) leaves the row ``RUNNING`` for
ever, which misleads operators (our messages themselves are settled by reconciliation:
``messaging.services.reconcile``).

The lease: a claim holds a task for ``TASK_LEASE_SECONDS`` from its ``started_at``. Every task we
run is bounded far below that (a send: Twilio's timeout, the rate-limit wait, a few statements), so
a task still ``RUNNING`` past its lease belongs to a worker that is gone. ``task_results_reap`` marks
such rows ``FAILED`` with ``LeaseExpired`` in one ``UPDATE … WHERE status = 'RUNNING' AND started_at
< cutoff``: the database settles a race with a worker finishing at that moment (whichever write comes
last wins, and both say the task ended). The task is not run again: the delivery state machine
already retries or reconciles the message it was about.

Run by every task worker's loop at most once per ``TASK_REAP_INTERVAL_SECONDS``
(``smsinbox.workers``) and by ``manage.py reap_tasks``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

LEASE_EXPIRED = "smsinbox.ops.tasks.LeaseExpired"


class LeaseExpired(Exception):
    """Recorded on a task whose worker stopped without finishing it (never raised)."""


@transaction.atomic
def task_results_reap(*, lease_seconds: float) -> int:
    """Mark ``FAILED`` every task ``RUNNING`` for longer than ``lease_seconds``; return how many."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds)
    reaped = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=LEASE_EXPIRED,
        traceback=f"{LEASE_EXPIRED}: still RUNNING {lease_seconds:g} s after it was claimed; its worker is gone",
        return_value=None,
    )
    if reaped:
        logger.warning("reaped %s task(s) left RUNNING past their %g s lease", reaped, lease_seconds)
    return reaped
