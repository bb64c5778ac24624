"""``outbox_record``: the outgoing events of a change, written in the change's own transaction.

Called by ``smsinbox.events.publish_on_commit`` (the one function services already call to announce a
change), inside the service's transaction: the event rows, one delivery row per subscribed active
endpoint and the delivery tasks (django-tasks' database backend inserts them in this same transaction)
commit with the change or roll back with it — no event without the change, no change without its events.
An organization with no endpoint subscribed to the type pays one indexed query and writes nothing.
Nothing here talks to the network: delivery is the task workers' (``smsinbox.integrations.delivery``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

# ``outbox_endpoints_read_once``: the organization's active endpoints, read once for many changes.
_endpoints: ContextVar[tuple[int, list[WebhookEndpoint]] | None] = ContextVar("outbox_endpoints", default=None)


@contextlib.contextmanager
def outbox_endpoints_read_once(*, organization_id: int) -> Iterator[None]:
    """Within the block, ``outbox_record`` reads the organization's active endpoints once, not once a change:
    for a service that records many changes in one transaction (``message_send_many``), which sees the
    endpoints as they were when it began, as a single change does."""
    token = _endpoints.set((organization_id, list(_active_endpoints(organization_id))))
    try:
        yield
    finally:
        _endpoints.reset(token)


def _active_endpoints(organization_id: int) -> list[WebhookEndpoint]:
    known = _endpoints.get()
    if known is not None and known[0] == organization_id:
        return known[1]
    return list(WebhookEndpoint.objects.filter(organization_id=organization_id, active=True))


def enqueue_delivery(delivery_id: int, *, at: Any = None) -> None:
    """The delivery's task, in the caller's transaction (an outbox: the database task backend)."""
    from smsinbox.integrations.tasks import webhook_deliver_task

    task = webhook_deliver_task.using(run_after=at) if at is not None else webhook_deliver_task
    task.enqueue(delivery_id)


def deliveries_create(*, event: WebhookEvent, endpoints: Collection[WebhookEndpoint]) -> list[WebhookDelivery]:
    """One pending delivery of ``event`` per endpoint, each enqueued."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=e, next_attempt_at=now, retry_until=until) for e in endpoints]
    )
    if not deliveries or deliveries[0].pk is None:  # backends that return no ids from a bulk insert
        deliveries = list(WebhookDelivery.objects.filter(event=event))
    for delivery in deliveries:
        enqueue_delivery(delivery.pk)
    return deliveries


def outbox_record(
    *, organization_id: int, types: Collection[str], data: Callable[[], dict[str, Any]]
) -> list[WebhookEvent]:
    """Store the events ``types`` with ``data()`` (camelCase, the REST API's shape; built only when an endpoint
    is subscribed) for every endpoint of the organization subscribed to them, in the current transaction.
    Returns the events written."""
    wanted = [WebhookEventType(t).value for t in types]
    if not wanted:
        return []
    endpoints = _active_endpoints(organization_id)
    if not endpoints:
        return []
    written: list[WebhookEvent] = []
    built: dict[str, Any] | None = None
    with transaction.atomic():
        for type_ in wanted:
            subscribed = [e for e in endpoints if type_ in e.event_types]
            if not subscribed:
                continue
            if built is None:
                built = data()
            event = WebhookEvent.objects.create(organization_id=organization_id, type=type_, data=built)
            deliveries_create(event=event, endpoints=subscribed)
            written.append(event)
    return written
