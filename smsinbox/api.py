"""Conventions shared by every API: camelCase on the wire, ``{"error": …}`` errors, the caller's organization."""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler

from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def to_camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_snake(key: str) -> str:
    return _CAMEL_BOUNDARY.sub(r"_\1", key).lower()


def _convert(data: Any, convert_key: Any) -> Any:
    if isinstance(data, dict):
        return {convert_key(k) if isinstance(k, str) else k: _convert(v, convert_key) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_convert(item, convert_key) for item in data]
    return data


class CamelCaseJSONRenderer(JSONRenderer):
    """Render snake_case keys as camelCase, once for the whole API."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return super().render(_convert(data, to_camel), accepted_media_type, renderer_context)


class CamelCaseJSONParser(JSONParser):
    """Parse camelCase keys into snake_case for the serializers."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return _convert(super().parse(stream, media_type, parser_context), to_snake)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            return message if key in ("non_field_errors", "detail") else f"{to_camel(key)}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as ``{"error": "…"}`` (plus ``fields`` for validation), never a 500 for bad input."""
    if isinstance(exc, ServiceError):
        code = {"not_found": status.HTTP_404_NOT_FOUND, "opted_out": status.HTTP_409_CONFLICT}.get(
            exc.code, status.HTTP_400_BAD_REQUEST
        )
        body: dict[str, Any] = {"error": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=code)
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


def organization_for_request(request: Request, requested_id: Any = None) -> Organization:
    """The organization an API call acts for: the caller's only one, or the one they name.

    A user in several organizations names one with ``organizationId`` (body or query) or the
    ``X-Organization`` header; naming one they do not belong to is a 404, like any foreign id.
    """
    raw = requested_id or request.query_params.get("organizationId") or request.headers.get("X-Organization")
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("organization")
    if raw not in (None, ""):
        try:
            wanted = int(raw)
        except (TypeError, ValueError):
            raise ServiceError("organizationId must be a number.", field="organizationId") from None
        membership = memberships.filter(organization_id=wanted).first()
        if membership is None:
            raise ServiceError("Organization not found.", code="not_found", field="organizationId")
        return membership.organization
    found = list(memberships[:2])
    if not found:
        raise exceptions.PermissionDenied("You are not a member of any organization.")
    if len(found) > 1:
        raise ServiceError("You belong to several organizations: pass organizationId.", field="organizationId")
    return found[0].organization
