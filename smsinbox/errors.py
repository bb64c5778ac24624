"""The one domain error services raise; views, APIs and commands turn it into a clear 4xx or message.

"Not found" is worded here once for every face: ``not_found_message("Contact")`` is
``"Contact not found."``, whether the API answers it (``smsinbox.web.api.errors.found_or_404``),
a page (``smsinbox.web.pages.found_or_404``) or a service refusing an id of another organization
(``ServiceError.not_found``).
"""

from __future__ import annotations

NOT_FOUND = "not_found"  # the code of a refusal naming nothing the caller may see (the API answers 404)


def not_found_message(what: str) -> str:
    """How every face says that no ``what`` (in the caller's organizations) has that id."""
    return f"{what} not found."


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the person who made it."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    @classmethod
    def not_found(cls, what: str, *, field: str | None = None) -> ServiceError:
        """The refusal of an id, given as the input ``field``, that names no ``what`` of the caller's."""
        return cls(not_found_message(what), code=NOT_FOUND, field=field)
