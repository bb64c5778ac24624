"""Staff pages: the inbox (list + thread) and contacts."""

from __future__ import annotations

from typing import TypeVar

from django.http import Http404

from smsinbox.errors import not_found_message

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
