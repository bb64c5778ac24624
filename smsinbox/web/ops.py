"""``GET /healthz``, ``GET /readyz`` and ``GET /metrics`` (README "Operations").

- ``/healthz``: the process is up and serving; touches nothing else. Always ``200 ok``.
- ``/readyz``: ``200 ready`` when the database, Redis (when configured) and the task table answer and
  the task backlog is below ``READY_MAX_TASK_BACKLOG`` (``smsinbox.ops.health``), else ``503 not
  ready``. Both are public and unauthenticated, and say nothing else: which check failed is in the log.
- ``/metrics``: Prometheus' text format (``smsinbox.ops.metrics``) plus the state read from the
  database now (``DatabaseCollector``), for a request bearing ``METRICS_TOKEN`` or coming from
  ``METRICS_ALLOWED_ADDRESSES``; anyone else (and everyone when neither is set) gets a plain 404.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from messaging.models import Direction, Message
from messaging.statuses import MessageStatus
from messaging.tasks import message_deliver_task
from smsinbox.deadline import database_deadline
from smsinbox.ops.health import failed_checks
from smsinbox.ops.metrics import exposition


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return _plain("ok\n")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    if failed_checks():
        return _plain("not ready\n", status=503)
    return _plain("ready\n")


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether the request bears the metrics token or comes from an allowed address (neither set: nobody)."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_ADDRESSES)


class DatabaseCollector(Collector):
    """State read from the database at scrape time, the same whichever process answers."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ready = DBTaskResult.objects.ready()
        tasks = GaugeMetricFamily("smsinbox_tasks", "Tasks in the task table by state (ready: due).", labels=["state"])
        tasks.add_metric(["ready"], ready.count())
        tasks.add_metric(["running"], DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count())
        yield tasks
        yield GaugeMetricFamily(
            "smsinbox_send_queue_depth", "Sends due now and not yet taken by a worker.",
            value=ready.filter(task_path=message_deliver_task.module_path).count(),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "smsinbox_outbound_pending", "Outbound messages stored and not yet accepted by Twilio.",
            value=Message.objects.filter(direction=Direction.OUTBOUND, status=MessageStatus.PENDING).count(),
        )  # fmt: skip


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        raise Http404
    collectors: list[Collector] = [DatabaseCollector()]
    try:
        with database_deadline(settings.READY_CHECK_SECONDS):
            body = exposition(*collectors)
    except DatabaseError:  # the database's figures are missing; the processes' own still count
        body = exposition()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
