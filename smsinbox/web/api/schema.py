"""The OpenAPI schema (drf-spectacular): components named after their API class, camelCase
properties as on the wire, the path ``id`` parameter, and the schemas of a list and of a read by id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from smsinbox.web.api.casing import to_camel
from smsinbox.web.api.errors import error_responses
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS


class ApiSchema(AutoSchema):
    """Name each API class's nested serializers after the class: ``ContactCreateApi.InputSerializer``
    is the component ``ContactCreateInput``; module-level serializers keep their own name."""

    def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
        owner, _, name = type(serializer).__qualname__.rpartition(".")
        if owner and "<locals>" not in owner:
            return owner.removesuffix("Api") + name.removesuffix("Serializer")
        return type(serializer).__name__


def id_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=description)


def list_schema(
    *, operation_id: str, tags: list[str], filters: type[serializers.Serializer], output: Any
) -> Callable[[Any], Any]:
    """The schema of a ``GET`` of a page of an organization's rows: ``filters`` and the organization
    in the query; ``output``, or 400, 401, 403 or 404."""
    return extend_schema(
        operation_id=operation_id,
        tags=tags,
        parameters=[filters, *ORGANIZATION_PARAMETERS],
        responses={200: output, **error_responses(400, 401, 403, 404)},
    )


def retrieve_schema(*, operation_id: str, tags: list[str], what: str, output: Any) -> Callable[[Any], Any]:
    """The schema of a ``GET`` of one ``what`` by its path id: ``output``, or 401, 403 or 404."""
    return extend_schema(
        operation_id=operation_id,
        tags=tags,
        parameters=[id_parameter(f"The {what}'s id.")],
        responses={200: output, **error_responses(401, 403, 404)},
    )


def destroy_schema(*, operation_id: str, tags: list[str], what: str) -> Callable[[Any], Any]:
    """The schema of a ``DELETE`` of one ``what`` by its path id: 204, or 401, 403 or 404."""
    return extend_schema(
        operation_id=operation_id,
        tags=tags,
        parameters=[id_parameter(f"The {what}'s id.")],
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(401, 403, 404)},
    )


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
