"""Reads that check access: a row of another organization is simply not found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from conversations.models import Contact, Conversation
from messaging.models import Message
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.phones import phone_query
from smsinbox.tenancy import organization_ids_for_user

LIST_FILTERS = ("all", "unread", "open", "closed", "mine", "unassigned")


def contact_get_for_user(*, user: AbstractBaseUser, organization: Organization, contact_id: int) -> Contact | None:
    """The contact if it belongs to ``organization`` and the user is a member of it."""
    if organization.pk not in organization_ids_for_user(user):
        return None
    return Contact.objects.filter(pk=contact_id, organization=organization).first()


def conversation_get_for_user(*, user: AbstractBaseUser, conversation_id: int) -> Conversation | None:
    """The conversation if the user is a member of its organization."""
    return (
        Conversation.objects.select_related("contact", "phone_number", "organization", "assignee")
        .filter(pk=conversation_id, organization_id__in=organization_ids_for_user(user))
        .first()
    )


def _name_has_words(text: str, *, prefix: str = "") -> Q:
    """Every word of ``text`` in the first or last name."""
    condition = Q()
    for word in text.split():
        condition &= Q(**{f"{prefix}first_name__icontains": word}) | Q(**{f"{prefix}last_name__icontains": word})
    return condition


def contact_search(queryset: QuerySet[Contact], text: str, *, prefix: str = "") -> QuerySet[Contact]:
    """Contacts whose name has every word of ``text``, or whose number matches it."""
    if not text.split():
        return queryset
    by_name = _name_has_words(text, prefix=prefix)
    phone = phone_query(f"{prefix}phone", text)
    return queryset.filter(by_name | phone if phone else by_name)


def contact_list(*, organization: Organization, q: str = "") -> QuerySet[Contact]:
    """An organization's contacts by name, optionally searched by name or number."""
    return contact_search(Contact.objects.filter(organization=organization), q.strip()).order_by(
        "last_name", "first_name", "id"
    )


def conversation_list(
    *, user: AbstractBaseUser, organization: Organization, filter: str = "all", q: str = ""
) -> QuerySet[Conversation]:
    """An organization's conversations, newest activity first, filtered and searched.

    Search finds a name (every word), a number typed any common way (``(555) 123-4567``
    finds ``+15551234567``) or message text. Ordered by (``last_message_at``, ``id``)
    descending, the keyset of ``conversation_page`` and of the ``inbox_*`` indexes.
    """
    qs = Conversation.objects.filter(organization=organization).select_related("contact", "assignee")
    if filter == "unread":
        qs = qs.filter(unread_count__gt=0)
    elif filter in ("open", "closed"):
        qs = qs.filter(status=filter)
    elif filter == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif filter == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    text = q.strip()
    if text:
        by_text = Exists(Message.objects.filter(conversation=OuterRef("pk"), body__icontains=text))
        condition = _name_has_words(text, prefix="contact__") | by_text
        phone = phone_query("contact__phone", text)
        if phone:
            condition |= phone
        qs = qs.filter(condition)
    return qs.order_by("-last_message_at", "-id")


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str  # "" when this is the last page


def _encode(at: datetime, pk: int) -> str:
    return f"{at.isoformat()}_{pk}"


def _decode(cursor: str) -> tuple[datetime, int] | None:
    # Only what _encode writes: an aware time (a naive one warns and means another moment) and an id.
    try:
        at, pk = cursor.rsplit("_", 1)
        moment, number = datetime.fromisoformat(at), ascii_int(pk)
        if moment.tzinfo is None or number is None:
            return None
        return moment.astimezone(UTC), number  # OverflowError at the very edge of the calendar
    except (ValueError, TypeError, OverflowError):
        return None


def conversation_page(qs: QuerySet[Conversation], *, cursor: str = "", limit: int = 50) -> Page:
    """One page of ``conversation_list`` by keyset (constant cost however deep the page)."""
    after = _decode(cursor) if cursor else None
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, id__lt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode(rows[-1].last_message_at, rows[-1].pk) if more and rows else "")


def message_page(*, conversation: Conversation, before: str = "", limit: int = 50) -> Page:
    """A thread's newest messages (oldest first on the page); ``before`` loads older ones by keyset."""
    qs = Message.objects.filter(conversation=conversation).select_related("sent_by").prefetch_related("media")
    edge = _decode(before) if before else None
    if edge is not None:
        at, pk = edge
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return Page(rows, _encode(rows[0].created_at, rows[0].pk) if more and rows else "")


# --- Reads for the REST API ------------------------------------------------------------


def contact_find_for_user(*, user: AbstractBaseUser, contact_id: int) -> Contact | None:
    """The contact if the user is a member of its organization (whichever of theirs it is)."""
    return Contact.objects.filter(pk=contact_id, organization_id__in=organization_ids_for_user(user)).first()


def _decode_contact_cursor(cursor: str) -> tuple[str, str, int] | None:
    try:
        last, first, pk = json.loads(cursor)
        return str(last), str(first), int(pk)
    except (ValueError, TypeError):
        return None


def contact_page(qs: QuerySet[Contact], *, cursor: str = "", limit: int = 50) -> Page:
    """One page of ``contact_list`` by keyset on (last name, first name, id), the list's order.

    ``cursor`` is the ``next_cursor`` of the page before; one that does not parse starts over.
    """
    after = _decode_contact_cursor(cursor) if cursor else None
    if after is not None:
        last, first, pk = after
        qs = qs.filter(
            Q(last_name__gt=last)
            | Q(last_name=last, first_name__gt=first)
            | Q(last_name=last, first_name=first, id__gt=pk)
        )
    rows = list(qs.order_by("last_name", "first_name", "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last_row = rows[-1] if more and rows else None
    return Page(rows, json.dumps([last_row.last_name, last_row.first_name, last_row.pk]) if last_row else "")


def conversation_search(
    *,
    user: AbstractBaseUser,
    organization: Organization,
    status: str | None = None,
    unread: bool | None = None,
    assigned: str | int | None = None,
    q: str = "",
) -> QuerySet[Conversation]:
    """``conversation_list`` with its filters combined, as the API offers them.

    ``status``: ``open`` / ``closed``; ``unread``: only threads with (``True``) or without
    (``False``) unread messages; ``assigned``: ``"me"``, ``"unassigned"`` or a user id;
    ``q``: name, number in any format, or message text. Newest activity first (keyset order
    of ``conversation_page``).
    """
    qs = conversation_list(user=user, organization=organization, q=q)
    if status is not None:
        qs = qs.filter(status=status)
    if unread is True:
        qs = qs.filter(unread_count__gt=0)
    elif unread is False:
        qs = qs.filter(unread_count=0)
    if assigned == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif assigned == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif assigned is not None:
        qs = qs.filter(assignee_id=int(assigned))
    return qs


def message_get_for_user(*, user: AbstractBaseUser, message_id: int) -> Message | None:
    """The message, with its media and events, if the user is a member of its organization."""
    return (
        Message.objects.select_related("sent_by")
        .prefetch_related("media", "events")
        .filter(pk=message_id, organization_id__in=organization_ids_for_user(user))
        .first()
    )
