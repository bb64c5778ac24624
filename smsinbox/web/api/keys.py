"""Organization API keys on the REST API: ``Authorization: Bearer smsk_…``, each operation's scope, the audit.

- ``ApiKeyAuthentication`` sits beside token and session authentication; an unknown, revoked or expired key
  is a 401 saying which.
- ``ApiKeyScopes`` (a default permission) lets a key through only with the scope its operation needs
  (``SCOPES``, by route name and method): a key without it gets a 403 naming the scope. Operations that act
  as a staff member (personal saved views and replies, notes, snoozes) are not open to keys (``None``).
  Users (token or session) are not concerned.
- ``ApiKeyAuditMiddleware`` records every write made with a key (``ApiKeyAction``): method, path, answer.
- The OpenAPI schema names the scheme (``apiKey``) and each operation's scope (``x-api-key-scope``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from smsinbox.integrations.catalog import Scope
from smsinbox.integrations.keys import KeyPrincipal, KeyRefused, api_key_authenticate, key_of
from smsinbox.integrations.models import ApiKeyAction

# The scope each operation needs, by route name and method; ``None``: not open to API keys. Every /api/
# operation is listed (tests/web/api/test_api_keys.py checks the schema against this table).
SCOPES: dict[tuple[str, str], Scope | None] = {
    ("api-sms-send", "POST"): Scope.MESSAGES_SEND,
    ("api-contacts", "GET"): Scope.CONTACTS_READ,
    ("api-contacts", "POST"): Scope.CONTACTS_WRITE,
    ("api-contact", "GET"): Scope.CONTACTS_READ,
    ("api-contact", "PATCH"): Scope.CONTACTS_WRITE,
    ("api-contact", "DELETE"): None,  # an erasure: the organization's admins only, audited by name
    ("api-contact-merge", "POST"): None,  # audited as a staff member's
    ("api-contact-erase", "POST"): None,  # the organization's admins only
    ("api-conversations", "GET"): Scope.CONVERSATIONS_READ,
    ("api-conversation", "GET"): Scope.CONVERSATIONS_READ,
    ("api-conversation", "PATCH"): Scope.CONVERSATIONS_WRITE,
    ("api-conversation-read", "POST"): Scope.CONVERSATIONS_WRITE,
    ("api-conversation-messages", "GET"): Scope.MESSAGES_READ,
    ("api-conversation-messages", "POST"): Scope.MESSAGES_SEND,
    ("api-conversation-notes", "GET"): Scope.CONVERSATIONS_READ,
    ("api-conversation-notes", "POST"): None,  # a note has a staff author
    ("api-labels", "GET"): Scope.CONVERSATIONS_READ,
    ("api-labels", "POST"): None,
    ("api-label", "PATCH"): None,
    ("api-label", "DELETE"): None,
    ("api-views", "GET"): None,  # saved views and canned replies are a staff member's
    ("api-views", "POST"): None,
    ("api-view", "PATCH"): None,
    ("api-view", "DELETE"): None,
    ("api-conversation-snooze", "POST"): None,  # a snooze wakes its staff member
    ("api-conversation-snooze", "DELETE"): None,
    ("api-canned-replies", "GET"): None,
    ("api-canned-replies", "POST"): None,
    ("api-canned-reply", "GET"): None,
    ("api-canned-reply", "PATCH"): None,
    ("api-canned-reply", "DELETE"): None,
    ("api-messages-retry", "POST"): Scope.MESSAGES_SEND,
    ("api-messages-failed", "GET"): Scope.MESSAGES_READ,
    ("api-message", "GET"): Scope.MESSAGES_READ,
    ("api-message", "PATCH"): Scope.MESSAGES_SEND,  # a scheduled message: move or reword it
    ("api-message", "DELETE"): Scope.MESSAGES_SEND,  # a scheduled message: cancel it
    ("api-reports-summary", "GET"): Scope.REPORTS_READ,
    ("api-reports-timeseries", "GET"): Scope.REPORTS_READ,
    # Broadcasts are an admin's act (their creator, audited as them): not open to keys.
    ("api-broadcasts", "POST"): None,
    ("api-broadcast", "GET"): None,
    ("api-broadcast-pause", "POST"): None,
    ("api-broadcast-resume", "POST"): None,
    ("api-broadcast-cancel", "POST"): None,
}
STAFF_ONLY = "API keys cannot use this operation: it acts as a staff member. Use a staff member's token."


def scope_for(url_name: str | None, method: str) -> Scope | bool | None:
    """The scope of an operation; ``None`` when keys may not use it; ``False`` when it is not in the table."""
    method = "GET" if method in ("HEAD", "OPTIONS") else method
    return SCOPES.get((url_name or "", method), False)


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer smsk_…``: an organization API key (other bearer tokens are not ours)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, Any] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            principal = api_key_authenticate(parts[1].decode("ascii", "replace"))
        except KeyRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        if principal is None:
            return None
        request._request.api_key = principal.api_key  # type: ignore[attr-defined] - for the audit middleware
        return principal, principal.api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScopes(BasePermission):
    """A key may use an operation only with its scope; users are not concerned."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = key_of(request.user)
        if key is None:
            return True
        match = request._request.resolver_match
        scope = scope_for(match.url_name if match else None, request.method or "")
        if scope is None or scope is False:
            self.message = STAFF_ONLY
            return False
        if scope.value not in key.scopes:
            self.message = f"This API key lacks the scope {scope.value}."
            return False
        return True


class ApiKeyAuditMiddleware:
    """Record every write made with an API key (after the answer, whatever it was)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        key = getattr(request, "api_key", None)
        if key is not None and request.method not in SAFE_METHODS:
            ApiKeyAction.objects.create(
                key=key, method=request.method or "", path=request.path[:300], status_code=response.status_code
            )
        return response


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "smsinbox.web.api.keys.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "smsk_…",
            "description": "An organization API key (Integrations page). Each operation names the scope it "
            "needs (`x-api-key-scope`); a key without it gets a 403 naming the scope.",
        }


def document_scopes(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: each operation's API key scope (or that keys may not use it)."""
    for path, operations in result.get("paths", {}).items():
        try:
            match = resolve(path.replace("{id}", "1"))
        except Resolver404:
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            scope = scope_for(match.url_name, method.upper())
            if scope is False:
                continue
            operation["x-api-key-scope"] = scope.value if scope else None
            note = f"API key scope: `{scope.value}`." if scope else "Not open to API keys (acts as a staff member)."
            operation["description"] = (operation.get("description", "") + "\n\n" + note).strip()
            if not scope:
                operation["security"] = [s for s in operation.get("security", []) if "apiKey" not in s]
    return result


def staff_member(request: Request) -> Any:
    """The staff member behind a request, for services that record one (``sent_by``); ``None`` for a key."""
    return None if key_of(request.user) is not None else request.user
