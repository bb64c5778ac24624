"""Every API error is ``{"error": "…"}``: the exception handler, its schema, and the one "not found".

``api_exception_handler`` is REST framework's ``EXCEPTION_HANDLER``: validation errors add
``fields``, a service's refusal (``ServiceError``) adds ``code`` and ``field``, and bad input
is never a 500. ``found_or_404`` is how every API class says an id names nothing the caller
may see, so an id of another organization is answered exactly like an id of no row at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from smsinbox.errors import NOT_FOUND, ServiceError, not_found_message
from smsinbox.web.api.casing import to_camel

T = TypeVar("T")

_STATUS_OF_CODE = {
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    "opted_out": status.HTTP_409_CONFLICT,
    "landline": status.HTTP_409_CONFLICT,  # messaging.services.lookups: Twilio Lookup said landline (30006)
    "lookup_failed": status.HTTP_503_SERVICE_UNAVAILABLE,  # Twilio Lookup did not answer: try again later
    "conversation_changed": status.HTTP_409_CONFLICT,  # messaging.services.guard
    "assigned_to_other": status.HTTP_409_CONFLICT,
    "not_scheduled": status.HTTP_409_CONFLICT,  # messaging.services.schedule: it already started sending
    "broadcast_state": status.HTTP_409_CONFLICT,  # messaging.broadcasts: its state does not allow the move
    "forbidden": status.HTTP_403_FORBIDDEN,  # a member refused an action of the organization's admins
}

E = TypeVar("E", bound=ServiceError)
_DETAILS: dict[type[ServiceError], Callable[[Any], dict[str, Any]]] = {}


def refusal_details(kind: type[E]) -> Callable[[Callable[[E], dict[str, Any]]], Callable[[E], dict[str, Any]]]:
    """Register what a refusal of type ``kind`` adds to its error body (snake_case keys, camelized on
    the wire), e.g. the newer messages of the send guard's ``conversation_changed``."""

    def register(build: Callable[[E], dict[str, Any]]) -> Callable[[E], dict[str, Any]]:
        _DETAILS[kind] = build
        return build

    return register


def found_or_404(found: T | None, what: str, *, field: str | None = None) -> T:
    """What a selector found, or the API's 404 saying no ``what`` has that id.

    An id in the path: ``{"error": "Contact not found."}``. An id the client sent as the input
    ``field`` (``contactId``, ``organizationId``): the same 404 as a refusal of that input,
    with ``"code": "not_found"`` and ``field``, like every other refusal of an input.
    """
    if found is not None:
        return found
    if field is not None:
        raise ServiceError.not_found(what, field=field)
    raise exceptions.NotFound(not_found_message(what))


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            if key in ("non_field_errors", "detail"):
                return message
            # A list's errors are keyed by position: {"media_urls": {2: ["Ensure …"]}}.
            return f"{to_camel(key)}: {message}" if isinstance(key, str) else f"item {key}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as ``{"error": "…"}`` (plus ``fields`` for validation), never a 500 for bad input."""
    if isinstance(exc, ServiceError):
        body: dict[str, Any] = {"error": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        build = _DETAILS.get(type(exc))
        if build is not None:
            body |= build(exc)
        return Response(body, status=_STATUS_OF_CODE.get(exc.code, status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    body = {"error": _first_message(detail)}
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        body["fields"] = detail
    response.data = body
    return response


class ErrorSerializer(serializers.Serializer):
    """Every error: ``{"error": "…"}``, plus ``fields`` for validation and ``code``/``field`` for refusals."""

    error = serializers.CharField(help_text="What went wrong, fit to show a person.")
    code = serializers.CharField(required=False, help_text="A stable code for refusals, e.g. `duplicate`.")
    field = serializers.CharField(required=False, help_text="The input the refusal is about, in camelCase.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "fields" cannot be a class attribute of a serializer (it is the property listing them).
        fields["fields"] = serializers.DictField(
            required=False, help_text="Validation errors by input name (camelCase), each a list of messages."
        )
        return fields


_ERROR_DESCRIPTIONS = {
    400: "Bad input: a validation error (with `fields`) or a refusal (with `code` and `field`).",
    401: "No valid credentials (send `Authorization: Token …`).",
    403: "Not a member of any organization, a session call without its CSRF token, or an action reserved to "
    "the organization's admins (`code`: `forbidden`).",
    404: "No such object in your organizations (an id of another organization is not found either).",
    409: "Refused: the contact has opted out of messages.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, all shaped as ``Error``."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code]) for code in codes}
