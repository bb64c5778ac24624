"""Key casing on the wire, in one place: Python speaks snake_case, every client reads camelCase.

The REST API's renderer and parser (``smsinbox.web.api.casing``), the live events
(``smsinbox.events.publish_on_commit``), the inbox's resync answer and its page configuration
all convert keys with these functions, so a payload reads the same wherever it is heard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def to_camel(key: str) -> str:
    """``last_message_at`` → ``lastMessageAt``."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_snake(key: str) -> str:
    """``lastMessageAt`` → ``last_message_at``."""
    return _CAMEL_BOUNDARY.sub(r"_\1", key).lower()


def convert_keys(data: Any, convert_key: Callable[[str], str]) -> Any:
    """``data`` with every string key of every nested dict converted; values are left alone."""
    if isinstance(data, dict):
        return {convert_key(k) if isinstance(k, str) else k: convert_keys(v, convert_key) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [convert_keys(item, convert_key) for item in data]
    return data


def camelize(data: Any) -> Any:
    """``data`` with camelCase keys, as clients read it."""
    return convert_keys(data, to_camel)
