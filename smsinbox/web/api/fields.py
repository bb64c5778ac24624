"""How the API reads its input: JSON fields that refuse what a lenient parse would convert, and
query strings read as plain values."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from conversations.selectors import SEARCH_MAX_LENGTH
from smsinbox.parsing import MAX_ID


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


class StrictBooleanField(serializers.BooleanField):
    """A boolean field of a JSON body: ``true`` or ``false`` only, never ``"yes"``, ``1`` or ``"true"``."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def search_field(help_text: str) -> serializers.CharField:
    """The ``q`` of a list: optional text, at most ``SEARCH_MAX_LENGTH`` characters."""
    return serializers.CharField(required=False, allow_blank=True, max_length=SEARCH_MAX_LENGTH, help_text=help_text)


def query_values(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The query string, validated by ``serializer_class`` (a ``400`` with ``fields`` when it is not valid)."""
    # A plain dict, not the QueryDict: DRF reads a missing boolean of a QueryDict as "false" (HTML forms).
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


class LabelsField(serializers.ListField):
    """A list of label ids (their organization is checked by the service: another's is a 400)."""

    child = StrictIntegerField(min_value=1, max_value=MAX_ID)

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", "Label ids of the organization; replaces the labels it has.")
        super().__init__(**kwargs)


class OffsetDateTimeField(StrictCharField):
    """An ISO 8601 date-time string that must carry its offset (``2026-12-08T09:00:00-05:00``): a time without
    one is ambiguous (whose 9:00?), so it is refused rather than read in the server's zone."""

    MAX_LENGTH = 64

    def to_internal_value(self, data: Any) -> Any:
        from datetime import datetime

        from django.utils import timezone

        text = super().to_internal_value(data)
        if len(text) > self.MAX_LENGTH:
            raise serializers.ValidationError(f"Write the time in ISO 8601 (at most {self.MAX_LENGTH} characters).")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise serializers.ValidationError("Write the time in ISO 8601, with its offset.") from None
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                "The time needs a time zone offset, for example 2026-12-08T09:00:00-05:00."
            )
        return value
