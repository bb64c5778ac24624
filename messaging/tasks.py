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


@task()
def contact_import_checked_task(import_id: int) -> str:
    """Run a contact import whose numbers are checked with Twilio Lookup after each committed batch."""
    from conversations.import_jobs import contact_import_process
    from messaging.services.lookups import contact_import_line_types_check

    def check(job_id: int, numbers: list[str]) -> None:
        contact_import_line_types_check(import_id=job_id, numbers=numbers)

    return contact_import_process(import_id=import_id, after_batch=check)


@task()
def broadcast_run_task(broadcast_id: int) -> str:
    """Hand a broadcast's recipients to the send pipeline (see ``messaging.broadcasts.sending``)."""
    from messaging.broadcasts.sending import broadcast_run

    return broadcast_run(broadcast_id=broadcast_id)
