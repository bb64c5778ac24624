"""Background work of the conversations layer, through the django-tasks API."""

from __future__ import annotations

from django_tasks import task


@task()
def contact_import_task(import_id: int) -> str:
    """Run or resume one started contact import (see ``contact_import_process``)."""
    from conversations.import_jobs import contact_import_process

    return contact_import_process(import_id=import_id)
