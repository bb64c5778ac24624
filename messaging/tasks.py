"""Background work, through the django-tasks API (the database backend in production)."""

from __future__ import annotations

from django_tasks import task


@task()
def message_deliver_task(message_id: int, slot: str | None = None) -> str:
    """Hand one stored outbound message to Twilio (see ``message_deliver``)."""
    from messaging.services.delivery import message_deliver

    return message_deliver(message_id=message_id, slot=slot)


@task()
def contact_erasure_twilio_task(erasure_id: int) -> str:
    """Delete an erased contact's messages at Twilio (see ``erasure_twilio_delete``)."""
    from messaging.services.erase import erasure_twilio_delete

    return erasure_twilio_delete(erasure_id=erasure_id)
