"""``messages_reconcile``: find outbound messages whose delivery or status went quiet, and settle them.

Twilio suggests reconciling because callbacks can be lost. Two kinds of quiet message:

- still ``pending`` (our side): its task died with a worker, or was lost. It is enqueued
  again; ``message_deliver`` then looks it up at Twilio before any resend, so this never
  sends twice.
- accepted by Twilio but with no final status: the Message resource is fetched and its
  status applied like a callback (forward-only, recorded as a ``reconciled`` event).

Each message checked is touched (``updated_at``), so it is looked at again only after
another quiet period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from messaging.models import Message, MessageEvent
from messaging.services.status import message_status_update
from messaging.statuses import MessageStatus
from messaging.twilio import client

logger = logging.getLogger(__name__)

S = MessageStatus
OPEN_AT_TWILIO = [S.ACCEPTED, S.SCHEDULED, S.QUEUED, S.SENDING, S.SENT]
MAX_AGE = timedelta(days=3)  # older unfinished messages are left as they are (carriers without receipts)
BATCH = 200


@dataclass
class ReconcileResult:
    """How many messages one run requeued, fetched from Twilio, moved forward, or could not fetch."""

    requeued: int = 0
    fetched: int = 0
    advanced: int = 0
    errors: int = 0


def _max_retry_delay() -> timedelta:
    return timedelta(seconds=min(settings.SEND_RETRY_BASE_SECONDS * 2**settings.SEND_MAX_ATTEMPTS, 600) * 1.2)


def messages_reconcile(*, now: datetime | None = None) -> ReconcileResult:
    """Requeue stuck pending messages and refresh quiet ones from Twilio; return the counts."""
    from messaging.tasks import message_deliver_task

    now = now or timezone.now()
    result = ReconcileResult()
    quiet = now - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    in_flight_dead = now - timedelta(seconds=settings.TWILIO_HTTP_TIMEOUT + 5)
    waiting_dead = quiet - _max_retry_delay()

    # A scheduled message written weeks ago is as fresh as its hand-over (``send_at``) once it is pending.
    recent = Q(created_at__gte=now - MAX_AGE) | Q(send_at__gte=now - MAX_AGE)
    pending = Message.objects.filter(recent, direction="out", status=S.PENDING)
    stuck = list(
        (
            pending.filter(dispatch_started_at__lt=in_flight_dead, updated_at__lt=in_flight_dead)
            | pending.filter(dispatch_started_at__isnull=True, updated_at__lt=waiting_dead)
        ).values_list("pk", flat=True)[:BATCH]
    )
    for pk in stuck:
        with transaction.atomic():
            if Message.objects.filter(pk=pk, status=S.PENDING).update(updated_at=now):
                message_deliver_task.enqueue(pk)
                result.requeued += 1
                logger.warning("message %s was stuck pending: delivery enqueued again", pk)

    quiet_at_twilio = Message.objects.filter(
        direction="out",
        status__in=OPEN_AT_TWILIO,
        twilio_sid__isnull=False,
        updated_at__lt=quiet,
        created_at__gte=now - MAX_AGE,
    ).values_list("pk", "twilio_sid")[:BATCH]
    for pk, sid in list(quiet_at_twilio):
        Message.objects.filter(pk=pk).update(updated_at=now)
        try:
            found = client.fetch_message(sid)
        except client.TwilioSendError as exc:
            result.errors += 1
            logger.warning("reconcile: fetching %s failed: %s", sid, exc.message)
            continue
        result.fetched += 1
        report = found.report(source=MessageEvent.Type.RECONCILED)
        if message_status_update(report=report, source=MessageEvent.Type.RECONCILED).changed:
            result.advanced += 1
    return result
