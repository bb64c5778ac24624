"""camelCase on the wire: JSON keys are camelCase in every body, snake_case in the code behind them.

``CamelCaseJSONRenderer`` and ``CamelCaseJSONParser`` are REST framework's defaults (settings), so
no serializer or view converts keys itself; the conversion itself is ``smsinbox.casing``'s, which
the live events use too. DRF's views import this module as they load: it must
not import them back.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from smsinbox.casing import convert_keys as _convert
from smsinbox.casing import to_camel, to_snake

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
