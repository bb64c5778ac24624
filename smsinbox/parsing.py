"""Read numbers and URLs out of untrusted text: form fields, query strings, headers, webhook posts.

The one place these rules live. ``str.isdigit()`` is true for "²" and "٧" (which ``int()`` refuses,
or reads as another digit), and ``urlsplit()`` raises ``ValueError`` on "http://[x": neither is used
on untrusted text anywhere else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_ID = 2**63 - 1  # the largest id a BigAutoField holds; larger numbers name nothing (SQLite would overflow)
MAX_URL_LENGTH = 1000  # MessageMedia.url's max_length


def ascii_int(text: object, *, max_value: int = MAX_ID) -> int | None:
    """Return ``text`` as an int if it is only ASCII digits 0-9 and at most ``max_value``, else ``None``.

    No sign, no spaces, no "²" or "٧": callers strip first where they mean to. Never raises.
    """
    if not isinstance(text, str) or not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(max_value)):  # never int() thousands of digits
        return None
    value = int(digits)
    return value if value <= max_value else None


def is_http_url(value: str) -> bool:
    """Whether ``value`` is an absolute http(s) URL we can store (at most 1000 characters, no NUL)."""
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH or "\x00" in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[x": an invalid IPv6 host
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def clean_text(value: object) -> str:
    """Text safe for every database: no NUL bytes, no lone surrogates."""
    text = str(value or "").replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


class IdConverter:
    """``<id:name>`` in a URL: ASCII digits naming an id a row can have (up to ``MAX_ID``); else a 404."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = ascii_int(value)
        if number is None:
            raise ValueError(f"{value[:30]!r} is not a database id")  # Django: this pattern does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)
