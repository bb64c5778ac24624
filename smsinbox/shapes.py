"""How payload shapes are declared: once, as a ``TypedDict`` next to the function that builds them.

A shape (``conversations.payloads.ConversationPayload``, ``messaging.payloads.MessagePayload``…)
names each field with its Python type; ``Annotated[…, Field(…)]`` adds what a reader of the
API needs to know (its meaning, its choices, its bounds). The payload builder returns that
shape; live events carry it (``smsinbox.events``) and the REST API's serializers, and so its
OpenAPI schema, are generated from it (``smsinbox.web.api.shapes``). A new field is added in
two places next to each other: the declaration and the builder (a test holds them equal).

Keys are snake_case here, as in all Python; clients read them in camelCase (``smsinbox.casing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NewType, get_type_hints

# A time as ISO 8601 text (``datetime.isoformat()``): what payloads carry instead of a datetime.
Timestamp = NewType("Timestamp", str)


@dataclass(frozen=True)
class Field:
    """What a payload field means, beyond its type: ``Annotated[int, Field("…", min_value=0)]``."""

    help_text: str = ""
    choices: Sequence[tuple[str, str]] | None = None
    min_value: int | None = None
    allow_blank: bool = False


def timestamp(value: datetime) -> Timestamp:
    """A time in ISO 8601."""
    return Timestamp(value.isoformat())


def iso(value: datetime | None) -> Timestamp | None:
    """A time in ISO 8601, or ``None``."""
    return timestamp(value) if value else None


def shape_fields(shape: type) -> dict[str, Any]:
    """The fields of a ``TypedDict`` shape in declaration order, with their ``Annotated`` metadata."""
    return get_type_hints(shape, include_extras=True)
