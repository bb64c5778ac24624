"""Staff pages: the inbox (list + thread) and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from django.http import Http404
from django.utils import timezone

from smsinbox.errors import ServiceError, not_found_message

T = TypeVar("T")

# A search box with a NUL is refused (400), as the API refuses it: PostgreSQL cannot search for one.
NUL_IN_SEARCH = "The search must not contain null characters."


def found_or_404(found: T | None, what: str) -> T:
    """What a selector found, or the pages' 404 (Django's ``Http404``) saying no ``what`` has that id.

    The pages' (and the media route's) one "not found"; an id of another organization is not
    found like an id of no row at all.
    """
    if found is None:
        raise Http404(not_found_message(what))
    return found


def posted_moment(raw: str, *, local: bool, field: str = "sendAt") -> datetime | None:
    """A moment a form posted: ``local`` — a ``datetime-local`` value (no offset), read in the viewer's zone (the
    request's current time zone); else ISO 8601 with its offset. Empty: ``None``. Anything else is a
    ``ServiceError`` the page shows (whether the moment is allowed is the service's to say)."""
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw[:40])
    except ValueError as exc:
        raise ServiceError("Choose a date and time to send it.", field=field) from exc
    if timezone.is_naive(when):
        if not local:
            raise ServiceError("The time to send it must carry its offset.", field=field)
        when = timezone.make_aware(when, timezone.get_current_timezone())
    return when
