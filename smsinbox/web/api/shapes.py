"""The API's output serializers of the domain's payload shapes, generated from their declarations.

A shape is declared once, as a ``TypedDict`` beside its builder (``smsinbox.shapes``). Its
serializer here declares one DRF field per entry (for the OpenAPI schema and for reading the
code) and represents an object by calling the builder, keeping the shape's fields: the API and
the live events give the same keys and values, and a field added to a shape is in the schema.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin, is_typeddict

from rest_framework import serializers

from smsinbox.shapes import Field, Timestamp, shape_fields


def _serializer_name(shape: type) -> str:
    return shape.__name__.removesuffix("Payload") + "Serializer"


def _field(hint: Any) -> serializers.Field:
    """The DRF field of one entry of a shape."""
    meta = Field()
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        meta = next((extra for extra in extras if isinstance(extra, Field)), meta)
    kwargs: dict[str, Any] = {}
    if get_origin(hint) in (Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            raise TypeError(f"a payload field has one type, or one type and None: {hint!r}")
        hint, kwargs["allow_null"] = options[0], True
    if meta.help_text:
        kwargs["help_text"] = meta.help_text
    if get_origin(hint) is list and is_typeddict(get_args(hint)[0]):
        return shape_serializer(get_args(hint)[0])(many=True, **kwargs)
    if is_typeddict(hint):
        return shape_serializer(hint)(**kwargs)
    if get_origin(hint) is list and get_args(hint) == (str,):
        return serializers.ListField(child=serializers.CharField(), **kwargs)
    if get_origin(hint) is dict:
        return serializers.DictField(**kwargs)
    if meta.choices is not None:
        return serializers.ChoiceField(choices=meta.choices, allow_blank=meta.allow_blank, **kwargs)
    if meta.min_value is not None:
        kwargs["min_value"] = meta.min_value
    if hint is Timestamp:
        return serializers.DateTimeField(**kwargs)
    if hint is bool:
        return serializers.BooleanField(**kwargs)
    if hint is int:
        return serializers.IntegerField(**kwargs)
    if hint is str:
        return serializers.CharField(allow_blank=meta.allow_blank, **kwargs)
    raise TypeError(f"no API field for a payload field of type {hint!r}")


_serializers: dict[type, type[serializers.Serializer]] = {}


def shape_serializer(shape: type, build: Callable[[Any], dict[str, Any]] | None = None) -> type[serializers.Serializer]:
    """The serializer of ``shape`` (``ConversationPayload`` → ``ConversationSerializer``).

    With ``build`` (the shape's payload builder), it represents an object by ``build(object)``,
    keeping the serializer's fields (a subclass may add some, given by its ``more(object)``);
    without it, it only describes a shape nested in another (``MessagePayload.media``).
    """
    if build is None and shape in _serializers:
        return _serializers[shape]
    fields: dict[str, Any] = {name: _field(hint) for name, hint in shape_fields(shape).items()}
    name = _serializer_name(shape)
    attributes: dict[str, Any] = {**fields, "__doc__": shape.__doc__, "__module__": __name__, "__qualname__": name}
    if build is not None:

        def to_representation(self: serializers.Serializer, instance: Any) -> dict[str, Any]:
            data = {**build(instance), **self.more(instance)}
            return {name: data[name] for name in self.fields}

        def more(self: serializers.Serializer, instance: Any) -> dict[str, Any]:
            """Fields a subclass adds to the shape's."""
            return {}

        attributes.update(to_representation=to_representation, more=more)
    serializer = type(name, (serializers.Serializer,), attributes)
    if build is None:
        _serializers[shape] = serializer
    return serializer
