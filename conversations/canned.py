"""How a canned reply's body is read and filled in: the one place the variable syntax is defined.

Syntax (plain text; nothing here is HTML):

- ``{{contact.first_name}}`` — a variable, filled from the open conversation's contact, the staff member
  who inserts it, or the organization (``VARIABLES``). Spaces inside the braces are allowed.
- ``{{contact.first_name|there}}`` — with a fallback: the text after ``|`` is used when the value is empty
  (a contact with no first name gets "Hi there"). Without ``|``, an empty value is an empty text.
  A fallback holds no braces, no ``|`` and no line break.
- ``[[time]]`` — a placeholder staff type by hand: left as is by rendering; the composer selects each one in
  turn and refuses to send while one inserted from a reply is still there (``PLACEHOLDER``).

An unknown variable (``{{contact.age}}``) is refused when a reply is saved (``body_problems``), with the list
of known ones; should one reach ``render_body`` anyway, it is left as written, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

from conversations.models import CannedReply
from conversations.payloads import user_name
from smsinbox.errors import ServiceError
from smsinbox.shapes import Field, Timestamp, timestamp

# {{ name }} or {{ name|fallback }}: the name is dotted lower-case words.
VARIABLE = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)*)\s*(?:\|([^{}|\n]*))?\}\}")
# Anything that opens a variable, to tell a broken one ("{{contact.first_name" or "{{ }}") from text.
VARIABLE_OPENING = re.compile(r"\{\{")
# [[what to type]]: 1 to 40 characters, no brackets, no line break. Written so that Python and JavaScript read
# it alike: the page hands this source to the composer (``canned_config``), which keeps no copy.
PLACEHOLDER = re.compile(r"\[\[[^\[\]\n]{1,40}\]\]")

VARIABLES: dict[str, str] = {
    "contact.first_name": "The contact's first name.",
    "contact.last_name": "The contact's last name.",
    "contact.name": "The contact's full name (first and last).",
    "user.first_name": "Your first name (the staff member inserting the reply).",
    "user.name": "Your full name, else your username.",
    "organization.name": "The organization's name.",
}


def render_body(body: str, values: Mapping[str, str]) -> str:
    """``body`` with each known variable replaced by its value (or its fallback when the value is empty).

    Pure: no database, no request. Unknown variables stay exactly as written; placeholders are untouched.
    """

    def fill(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        if name not in values:
            return match.group(0)
        value = values[name].strip()
        return value or (fallback.strip() if fallback is not None else "")

    return VARIABLE.sub(fill, body)


def placeholders(text: str) -> list[str]:
    """The ``[[…]]`` placeholders of ``text``, in order (repeats included)."""
    return PLACEHOLDER.findall(text)


def unfilled_placeholder_check(text: str) -> None:
    """Refuse a text to send that still holds a ``[[…]]`` placeholder (a canned reply's, never filled in): the
    server's half of the composer's rule, so an API client or a page without JavaScript cannot send one either."""
    found = placeholders(text)
    if found:
        raise ServiceError(
            f"Fill in {found[0]} before sending: it is a placeholder of a canned reply.",
            code="placeholder",
            field="message",
        )


def body_problems(body: str) -> str | None:
    """Why a reply's body cannot be saved (an unknown or broken variable), or ``None``."""
    unknown = sorted({m.group(1) for m in VARIABLE.finditer(body) if m.group(1) not in VARIABLES})
    if unknown:
        known = ", ".join("{{" + name + "}}" for name in VARIABLES)
        return f"Unknown variable {', '.join('{{' + n + '}}' for n in unknown)}. Known variables: {known}."
    if len(VARIABLE_OPENING.findall(body)) != len(VARIABLE.findall(body)):
        return (
            "A variable is not written right: use {{contact.first_name}}, or {{contact.first_name|fallback}} "
            "(the fallback has no braces, | or line break)."
        )
    return None


def variable_values(*, contact: Any, user: Any, organization: Any) -> dict[str, str]:
    """What each variable means for this contact, staff member and organization."""
    return {
        "contact.first_name": contact.first_name,
        "contact.last_name": contact.last_name,
        "contact.name": contact.full_name,
        "user.first_name": getattr(user, "first_name", "") or "",
        "user.name": user_name(user),
        "organization.name": organization.name,
    }


class CannedReplyPayload(TypedDict):
    """A canned reply, as the API lists it."""

    id: int
    organization_id: int
    name: str
    shortcut: Annotated[str, Field("Typed after / in the composer: lower-case letters, digits, - and _.")]
    body: Annotated[str, Field("As written, with its {{variables}} and [[placeholders]]; plain text.")]
    shared: Annotated[bool, Field("True: the organization's (managed by its admins); false: the caller's own.")]
    owner_id: Annotated[int | None, Field("The member whose personal reply it is; null when shared.")]
    placeholders: Annotated[list[str], Field("The [[placeholders]] staff must type before sending, in order.")]
    created_at: Timestamp
    updated_at: Timestamp


def canned_reply_payload(reply: CannedReply) -> CannedReplyPayload:
    return {
        "id": reply.pk,
        "organization_id": reply.organization_id,
        "name": reply.name,
        "shortcut": reply.shortcut,
        "body": reply.body,
        "shared": reply.is_shared,
        "owner_id": reply.owner_id,
        "placeholders": placeholders(reply.body),
        "created_at": timestamp(reply.created_at),
        "updated_at": timestamp(reply.updated_at),
    }
