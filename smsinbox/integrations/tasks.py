"""Outgoing webhook deliveries run as tasks (django-tasks), off the request or webhook that caused them."""

from __future__ import annotations

from django_tasks import task


@task()
def webhook_deliver_task(delivery_id: int) -> str:
    """One attempt at one delivery (``delivery.webhook_deliver``)."""
    from smsinbox.integrations.delivery import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)
