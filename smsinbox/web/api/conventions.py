"""Conventions shared by every API: camelCase on the wire, ``{"error": …}`` errors, the caller's organization,
cursor pages, one class per method on a path, and the OpenAPI schema's naming."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.core.signing import BadSignature, Signer
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from smsinbox.casing import convert_keys as _convert
from smsinbox.casing import to_camel, to_snake
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.parsing import MAX_ID

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a Python str, any of these stands alone


def _without_lone_surrogates(data: Any) -> Any:
    if isinstance(data, str):
        return _LONE_SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_without_lone_surrogates(item) for item in data]
    return data


class CamelCaseJSONRenderer(JSONRenderer):
    """Render snake_case keys as camelCase, once for the whole API."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        data = _convert(data, to_camel)
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:  # a lone surrogate, e.g. echoed by an error ('"\ud800" is not a valid choice.')
            return super().render(_without_lone_surrogates(data), accepted_media_type, renderer_context)


class CamelCaseJSONParser(JSONParser):
    """Parse camelCase keys into snake_case for the serializers."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return _convert(super().parse(stream, media_type, parser_context), to_snake)
        except RecursionError:  # "[[[[…": json.loads (or _convert) runs out of stack, which DRF would let through
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None


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
        code = {"not_found": status.HTTP_404_NOT_FOUND, "opted_out": status.HTTP_409_CONFLICT}.get(
            exc.code, status.HTTP_400_BAD_REQUEST
        )
        body: dict[str, Any] = {"error": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=code)
    from rest_framework.views import exception_handler  # not at import time: DRF's views import this module

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
    raw = requested_id
    if raw is None:  # named but empty is a 400, like any value that is not a number
        raw = request.query_params.get("organizationId", request.headers.get("X-Organization"))
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("organization")
    if raw is not None:
        try:
            wanted = int(raw)
        except (TypeError, ValueError):
            raise ServiceError("organizationId must be a number.", field="organizationId") from None
        if not 0 < wanted <= MAX_ID:  # out of the database's range: no such organization (SQLite would overflow)
            raise ServiceError("Organization not found.", code="not_found", field="organizationId")
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


class StrictCharField(serializers.CharField):
    """A string field of a JSON body: refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer field that refuses text and booleans (``"5"``, ``true``) instead of converting them."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- One path, one API class per method -------------------------------------------------


def method_route(**views: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve one path with one API class per HTTP method.

    ``method_route(get=ContactListApi.as_view(), post=ContactCreateApi.as_view())``. A method no
    class answers (and ``OPTIONS``) goes to the first class, so it is answered as DRF answers it
    (``405`` as ``{"error": …}``), with an ``Allow`` header naming every method of the path.
    ``expand_method_routes`` shows each class to drf-spectacular as its own operation.
    """
    handlers = {method.upper(): view for method, view in views.items()}
    first = next(iter(handlers.values()))
    allow = ", ".join([*handlers, *(["HEAD"] if "GET" in handlers else []), "OPTIONS"])

    @csrf_exempt  # like every APIView: token calls carry no CSRF token; session calls are checked by DRF
    def route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = "GET" if request.method == "HEAD" else request.method
        view = handlers.get(method or "")
        if view is not None:
            return view(request, *args, **kwargs)
        response = first(request, *args, **kwargs)
        response["Allow"] = allow
        return response

    from rest_framework.views import APIView  # not at import time: DRF's views import this module

    # What schema generators look for on a view: an APIView class answering these methods.
    route.cls = type("MethodRoute", (APIView,), {method.lower(): _never_called for method in handlers})  # type: ignore[attr-defined]
    route.initkwargs = {}  # type: ignore[attr-defined]
    route.views_by_method = handlers  # type: ignore[attr-defined]
    return route


def _never_called(*args: Any, **kwargs: Any) -> HttpResponse:  # pragma: no cover - method_route dispatches first
    raise AssertionError("method_route dispatches to the API class of each method")


def expand_method_routes(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """drf-spectacular preprocessing hook: document each method of a ``method_route`` by its own class."""
    expanded = []
    for path, path_regex, method, callback in endpoints:
        views = getattr(callback, "views_by_method", None)
        expanded.append((path, path_regex, method, views[method] if views else callback))
    return expanded


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/: a JSON 404 like the API's own, not an HTML page."""
    return JsonResponse({"error": "Not found."}, status=status.HTTP_404_NOT_FOUND)


# --- Cursor pagination ------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _cursor_signer(kind: str) -> Signer:
    return Signer(salt=f"smsinbox.web.api.conventions.cursor.{kind}")


def cursor_dump(kind: str, position: str) -> str | None:
    """The opaque cursor handed to clients for a selector's keyset position (``None`` at the end)."""
    return _cursor_signer(kind).sign_object(position) if position else None


def cursor_load(kind: str, cursor: str) -> str:
    """The keyset position of a cursor we handed out; anything else is a ``400``, never a guess."""
    if not cursor:
        return ""
    try:
        position = _cursor_signer(kind).unsign_object(cursor)
    except (BadSignature, ValueError, UnicodeError):
        position = None
    if not isinstance(position, str):
        raise exceptions.ValidationError({"cursor": ["Invalid cursor: pass the nextCursor of the previous page."]})
    return position


class PageQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="The `nextCursor` of the previous page."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Items per page (1 to {MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}).",
    )


def page_serializer(item: type[serializers.Serializer], description: str) -> type[serializers.Serializer]:
    """The envelope of one page of ``item``s: ``results``, ``nextCursor`` and ``next`` (its URL)."""
    name = f"{item.__name__.removesuffix('Serializer')}Page"
    fields = {
        "results": item(many=True, help_text=description),
        "next_cursor": serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; `null` on the last page."
        ),
        "next": serializers.CharField(allow_null=True, help_text="The next page's URL; `null` on the last page."),
    }
    page = type(name, (serializers.Serializer,), fields)
    page.__qualname__ = name
    return page


def page_response(request: Request, *, kind: str, page: Any, serializer: type[serializers.Serializer]) -> Response:
    """Render a selector's ``Page`` with an opaque cursor for the next one."""
    next_cursor = cursor_dump(kind, page.next_cursor)
    next_url = replace_query_param(request.build_absolute_uri(), "cursor", next_cursor) if next_cursor else None
    return Response({"results": serializer(page.items, many=True).data, "next_cursor": next_cursor, "next": next_url})


# --- OpenAPI (drf-spectacular) ----------------------------------------------------------


@functools.cache
def _api_schema_class() -> type:
    from drf_spectacular.openapi import AutoSchema

    class ApiSchema(AutoSchema):
        """Name each API class's nested serializers after the class: ``ContactCreateApi.InputSerializer``
        is the component ``ContactCreateInput``; module-level serializers keep their own name."""

        def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
            owner, _, name = type(serializer).__qualname__.rpartition(".")
            if owner and "<locals>" not in owner:
                return owner.removesuffix("Api") + name.removesuffix("Serializer")
            return type(serializer).__name__

    ApiSchema.__module__ = __name__
    return ApiSchema


def __getattr__(name: str) -> Any:
    # ``ApiSchema`` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) is built on first use: drf-spectacular's
    # AutoSchema imports DRF's views, and those import this module's renderer and parser as they load.
    if name == "ApiSchema":
        return _api_schema_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    403: "Not a member of any organization, or a session call without its CSRF token.",
    404: "No such object in your organizations (an id of another organization is not found either).",
    409: "Refused: the contact has opted out of messages.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, all shaped as ``Error``."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code]) for code in codes}


ORGANIZATION_PARAMETERS = [
    OpenApiParameter(
        "organizationId",
        int,
        OpenApiParameter.QUERY,
        required=False,
        description="For members of several organizations: the one to act for (or send `X-Organization`).",
    ),
    OpenApiParameter(
        "X-Organization",
        int,
        OpenApiParameter.HEADER,
        required=False,
        description="The organization to act for, like `organizationId`.",
    ),
]


def id_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=description)


def _camelize_object(schema: Any) -> None:
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            schema["properties"] = {to_camel(name): value for name, value in properties.items()}
        if isinstance(schema.get("required"), list):
            schema["required"] = [to_camel(name) for name in schema["required"]]
        for value in schema.values():
            _camelize_object(value)
    elif isinstance(schema, list):
        for item in schema:
            _camelize_object(item)


def camelize_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the schema names properties and query parameters in camelCase,
    as ``CamelCaseJSONRenderer`` / ``CamelCaseJSONParser`` put them on the wire."""
    _camelize_object(result.get("components", {}).get("schemas", {}))
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["name"] = to_camel(parameter["name"])
            _camelize_object(operation.get("requestBody"))
            _camelize_object(operation.get("responses"))
    return result
