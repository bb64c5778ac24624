"""``webhook_deliver``: one attempt at one delivery, by a task worker — at-least-once, never blocking anyone.

State machine of a delivery (``WebhookDelivery``)::

    pending ─claim: lease (CAS), attempts+1, under the endpoint's row lock─▶ in flight
        in flight ─2xx─▶ delivered (the endpoint's failing streak ends)
        in flight ─anything else─▶ pending, next attempt after backoff (and a task enqueued in the same
            transaction), or failed once past ``retry_until`` (a day after the event or the redelivery)
        in flight, worker killed ─▶ pending with a lease that expires; ``webhook_deliveries_sweep`` enqueues
            it again: the receiver may hear the event twice, with the same event id (deduplicate by it).
    pending, endpoint at its concurrency limit ─▶ enqueued again a moment later (``deferred``)
    pending, endpoint paused or deleted ─▶ left as is (a resume enqueues it again); a test event goes out anyway

Concurrency: at most ``WEBHOOK_CONCURRENCY`` leases per endpoint at once, counted under the endpoint's row
lock (``SELECT … FOR UPDATE``), so two workers cannot both take the last slot. Backoff: 30 s doubling, capped
at an hour, jittered. An endpoint failing without a success for ``WEBHOOK_PAUSE_AFTER_SECONDS`` (a day) is
paused, and its organization's admins are emailed.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from smsinbox.integrations import http, signing
from smsinbox.integrations.catalog import TEST_EVENT
from smsinbox.integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from smsinbox.integrations.outbox import enqueue_delivery
from smsinbox.models import Membership

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    DONE = "done"  # nothing to do (delivered, failed, gone, endpoint paused)
    BUSY = "busy"  # another attempt holds the lease
    DEFERRED = "deferred"  # the endpoint is at its concurrency limit
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


def event_body(event: WebhookEvent) -> bytes:
    """What is POSTed: the same bytes for every attempt of the event."""
    envelope = {
        "id": str(event.id),
        "type": event.type,
        "createdAt": event.created_at.isoformat().replace("+00:00", "Z"),
        "organizationId": event.organization_id,
        "data": event.data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 1)  # connect, send, read: each may time out


def backoff(attempt: int) -> timedelta:
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** max(attempt - 1, 0))
    return timedelta(seconds=min(base, 3600) * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not crypto


def claim(delivery_id: int, *, now: datetime | None = None) -> tuple[Outcome, WebhookDelivery | None]:
    """Take the delivery's lease (one attempt), or say why not."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.filter(pk=delivery_id).select_related("event", "endpoint").first()
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return Outcome.DONE, None
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).first()
        if endpoint is None or not (endpoint.active or delivery.event.type == TEST_EVENT):
            return Outcome.DONE, None
        in_flight = WebhookDelivery.objects.filter(
            endpoint_id=endpoint.pk, status=WebhookDelivery.Status.PENDING, leased_until__gt=now
        )
        if in_flight.filter(pk=delivery_id).exists():
            return Outcome.BUSY, None
        if in_flight.count() >= settings.WEBHOOK_CONCURRENCY:
            enqueue_delivery(delivery_id, at=now + timedelta(seconds=1))
            return Outcome.DEFERRED, None
        taken = (
            WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .exclude(leased_until__gt=now)
            .update(leased_until=now + _lease(), last_attempt_at=now, attempts=delivery.attempts + 1)
        )
        if not taken:
            return Outcome.BUSY, None
        delivery.attempts += 1
        delivery.endpoint = endpoint
        return Outcome.DELIVERED, delivery


def send(delivery: WebhookDelivery) -> http.PostResult:
    """POST the event, signed now, to the endpoint (no database work)."""
    body = event_body(delivery.event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "smsinbox-webhooks/1",
        signing.EVENT_ID_HEADER: str(delivery.event_id),
        signing.EVENT_TYPE_HEADER: delivery.event.type,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
    }
    return http.post(delivery.endpoint.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


@transaction.atomic
def record(delivery: WebhookDelivery, result: http.PostResult) -> Outcome:
    """Store the attempt's answer; schedule the next attempt (in this transaction), fail, or pause the endpoint."""
    now = timezone.now()
    fields: dict[str, object] = {
        "leased_until": None,
        "response_status": result.status,
        "duration_ms": result.duration_ms,
        "response_excerpt": result.excerpt,
        "error": result.error,
    }
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).first()
    if result.ok:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            **fields, status=WebhookDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None
        )
        if endpoint is not None and endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return Outcome.DELIVERED
    outcome = Outcome.FAILED
    at = now + backoff(delivery.attempts)
    if at <= delivery.retry_until:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields, next_attempt_at=at)
        enqueue_delivery(delivery.pk, at=at)
        outcome = Outcome.RETRY
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            **fields, status=WebhookDelivery.Status.FAILED, next_attempt_at=None
        )
    if endpoint is not None:
        _failing(endpoint, now=now)
    return outcome


def _failing(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Start the endpoint's failing streak, or pause it once the streak is a day long (and tell its admins)."""
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
        return
    if not endpoint.active or now - endpoint.failing_since < timedelta(seconds=settings.WEBHOOK_PAUSE_AFTER_SECONDS):
        return
    reason = f"Paused automatically: every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC."
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, paused_reason=reason)
    admins = list(
        Membership.objects.filter(organization_id=endpoint.organization_id, role=Membership.Role.ADMIN)
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("user__email", flat=True)
    )
    logger.warning("webhook endpoint %s paused after a day of failures", endpoint.pk)
    if admins:
        subject = "smsinbox: a webhook endpoint was paused"
        text = (
            f"{reason}\n\nEndpoint: {endpoint.url}\n\nResume it on the Integrations page once it answers again; "
            "deliveries still within their day of retries go out then."
        )
        transaction.on_commit(lambda: send_mail(subject, text, None, admins, fail_silently=True), robust=True)


def webhook_deliver(*, delivery_id: int) -> str:
    """One attempt at a delivery: claim, POST (outside any transaction), record."""
    outcome, delivery = claim(delivery_id)
    if delivery is None:
        return outcome
    result = send(delivery)
    outcome = record(delivery, result)
    logger.info("webhook delivery %s attempt %s: %s (%s)", delivery.pk, delivery.attempts, outcome, result.status)
    return outcome


def webhook_deliveries_sweep(*, now: datetime | None = None) -> int:
    """Enqueue again pending deliveries of active endpoints that are due and hold no lease: their task died
    with a worker (killed mid-delivery) or was lost. A duplicate task is harmless (the claim is a CAS)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING,
        endpoint__active=True,
        next_attempt_at__lte=now - timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS),
    ).exclude(leased_until__gt=now)
    count = 0
    with transaction.atomic():
        for pk in due.values_list("pk", flat=True)[:1000]:
            enqueue_delivery(pk)
            count += 1
    return count
