"""The one domain error services raise; views, APIs and commands turn it into a clear 4xx or message."""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the person who made it."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
