"""Web Push runs as a task (django-tasks), off the request that caused the notification."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def web_push_task(user_ids: list[int], payload: dict[str, Any]) -> dict[str, int]:
    """Push one notification to the users' subscribed browsers (``push.web_push_deliver``)."""
    from smsinbox.notifications.push import web_push_deliver

    return web_push_deliver(user_ids=user_ids, payload=payload)
