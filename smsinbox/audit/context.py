"""The request an audited action happens in: who made it and from which address, for ``audit_record``.

``AuditContextMiddleware`` holds the request in a context variable for the duration of the view, so a
service records its entry without every caller passing the request down. Outside a request (commands,
task workers) there is none: the entry has no address, and its actor is whoever the service names.

The address is the socket's (``REMOTE_ADDR``), or, only when ``TRUSTED_PROXY`` is on, the last hop of
``X-Forwarded-For``: the one our proxy appended (whatever a client put before it is its own say-so).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

USER_AGENT_MAX = 200


@dataclass(frozen=True)
class Origin:
    ip_address: str | None
    user_agent: str


def client_address(request: HttpRequest) -> str | None:
    """The client's address (see the module docstring), or ``None`` when it is not an IP address."""
    raw = request.META.get("REMOTE_ADDR", "")
    if settings.TRUSTED_PROXY and request.META.get("HTTP_X_FORWARDED_FOR"):
        raw = request.META["HTTP_X_FORWARDED_FOR"].split(",")[-1]
    try:
        return str(ipaddress.ip_address(str(raw).strip()))
    except ValueError:
        return None


def origin_of(request: HttpRequest | None) -> Origin:
    if request is None:
        return Origin(None, "")
    agent = request.META.get("HTTP_USER_AGENT", "")
    return Origin(client_address(request), agent[:USER_AGENT_MAX] if isinstance(agent, str) else "")


def current_request() -> HttpRequest | None:
    return _request.get()


def request_user(request: HttpRequest | None) -> Any:
    """Whoever the request is authenticated as (DRF writes its user back onto the Django request)."""
    return getattr(request, "user", None) if request is not None else None


class AuditContextMiddleware:
    """Make the request known to ``audit_record`` while its view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
