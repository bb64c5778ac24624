"""Cursor pages: a selector's keyset position handed out signed and opaque, and the page envelope."""

from __future__ import annotations

from typing import Any

from django.core.signing import BadSignature, Signer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _cursor_signer(kind: str) -> Signer:
    # The salt names the module these cursors were first signed in: changing it would refuse every
    # cursor already handed out.
    return Signer(salt=f"smsinbox.api.cursor.{kind}")  # the salt of cursors already handed out: keep it


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
