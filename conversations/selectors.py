"""Reads that check access: a row of another organization is simply not found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F, Q, QuerySet

from conversations.models import (
    NOTE_MENTIONS,
    CannedReply,
    Contact,
    ContactImport,
    ContactLabel,
    Conversation,
    ConversationEvent,
    Label,
    Note,
    SavedView,
)
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.phones import phone_country, phone_query
from smsinbox.tenancy import organization_ids_for_user


def contact_get_for_user(
    *, user: AbstractBaseUser, contact_id: int, organization: Organization | None = None
) -> Contact | None:
    """The contact if the user is a member of its organization (and it is ``organization``'s, when named)."""
    contacts = Contact.objects.filter(
        pk=contact_id, organization_id__in=organization_ids_for_user(user)
    ).prefetch_related("labels")
    if organization is not None:
        contacts = contacts.filter(organization=organization)
    return contacts.first()


def conversation_get_for_user(*, user: AbstractBaseUser, conversation_id: int) -> Conversation | None:
    """The conversation if the user is a member of its organization."""
    return (
        Conversation.objects.select_related("contact", "phone_number", "organization", "assignee")
        .prefetch_related("labels")
        .filter(pk=conversation_id, organization_id__in=organization_ids_for_user(user))
        .first()
    )


def name_has_words(text: str, *, prefix: str = "") -> Q:
    """Every word of ``text`` in the first or last name."""
    condition = Q()
    for word in text.split():
        condition &= Q(**{f"{prefix}first_name__icontains": word}) | Q(**{f"{prefix}last_name__icontains": word})
    return condition


# The longest search text the faces take: the API refuses a longer ``q``, the pages cut it there.
SEARCH_MAX_LENGTH = 200


def contact_search(
    queryset: QuerySet[Contact], text: str, *, prefix: str = "", region: str | None = None
) -> QuerySet[Contact]:
    """Contacts whose name has every word of ``text``, or whose number matches it (typed as in ``region``)."""
    if not text.split():
        return queryset
    by_name = name_has_words(text, prefix=prefix)
    phone = phone_query(f"{prefix}phone", text, region=region)
    return queryset.filter(by_name | phone if phone else by_name)


def contact_list(*, organization: Organization, q: str = "") -> QuerySet[Contact]:
    """An organization's contacts by name, optionally searched by name or number."""
    contacts = Contact.objects.filter(organization=organization).prefetch_related("labels")
    return contact_search(contacts, q.strip(), region=organization.region).order_by("last_name", "first_name", "id")


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str  # "" when this is the last page


def keyset_encode(at: datetime, pk: int) -> str:
    return f"{at.isoformat()}_{pk}"


def keyset_decode(cursor: str) -> tuple[datetime, int] | None:
    # Only what keyset_encode writes: an aware time (a naive one warns and means another moment) and an id.
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
    after = keyset_decode(cursor) if cursor else None
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, id__lt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, keyset_encode(rows[-1].last_message_at, rows[-1].pk) if more and rows else "")


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


def note_list(*, conversation: Conversation) -> QuerySet[Note]:
    """A thread's notes, oldest first, with what their payload shows (the caller found the conversation
    through ``conversation_get_for_user``, which checked access)."""
    return (
        Note.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related(NOTE_MENTIONS)
        .order_by("created_at", "id")
    )


def activity_list(*, conversation: Conversation) -> QuerySet[ConversationEvent]:
    """A thread's activity events, oldest first (the caller checked access, as for ``note_list``). An event
    carries the names its sentence needs (``data``), so listing them joins nothing."""
    return ConversationEvent.objects.filter(conversation=conversation).order_by("created_at", "id")


@dataclass(frozen=True)
class ContactProfile:
    """What the thread's contact panel shows besides the contact: their number's country, their opt-outs and
    opt-ins (the thread's ``opted_out``/``opted_in`` events, oldest first), first and last contact, and the ids of
    their labels."""

    country: str
    opt_out_history: list[ConversationEvent]
    first_contact: datetime
    last_contact: datetime
    label_ids: frozenset[int]


def contact_profile(*, conversation: Conversation) -> ContactProfile:
    """The contact panel of a thread the caller found through ``conversation_get_for_user`` (two queries)."""
    history = list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind__in=[ConversationEvent.Kind.OPTED_OUT, ConversationEvent.Kind.OPTED_IN]
        ).order_by("created_at", "id")
    )
    return ContactProfile(
        country=phone_country(conversation.contact.phone),
        opt_out_history=history,
        first_contact=conversation.created_at,
        last_contact=conversation.last_message_at,
        label_ids=frozenset(
            ContactLabel.objects.filter(contact_id=conversation.contact_id).values_list("label_id", flat=True)
        ),
    )


def note_list_for_user(*, user: AbstractBaseUser, conversation_id: int) -> QuerySet[Note] | None:
    """The notes of a conversation of one of the user's organizations; ``None`` when there is no such one."""
    conversation = conversation_get_for_user(user=user, conversation_id=conversation_id)
    return None if conversation is None else note_list(conversation=conversation)


def note_page(*, conversation: Conversation, before: str = "", limit: int = 50) -> Page:
    """A thread's newest notes (oldest first on the page); ``before`` loads older ones by keyset."""
    qs = note_list(conversation=conversation)
    edge = keyset_decode(before) if before else None
    if edge is not None:
        at, pk = edge
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return Page(rows, keyset_encode(rows[0].created_at, rows[0].pk) if more and rows else "")


def label_list(*, organization: Organization) -> list[Label]:
    """An organization's labels by name, whatever the case."""
    return sorted(Label.objects.filter(organization=organization), key=lambda label: (label.name.lower(), label.pk))


def label_get_for_user(*, user: AbstractBaseUser, label_id: int) -> Label | None:
    """The label if the user is a member of its organization."""
    return Label.objects.filter(pk=label_id, organization_id__in=organization_ids_for_user(user)).first()


def saved_view_list(*, user: AbstractBaseUser, organization: Organization) -> QuerySet[SavedView]:
    """The views the user sees in an organization: their own and those shared with it, by name."""
    return (
        SavedView.objects.filter(organization=organization)
        .filter(Q(owner_id=user.pk) | Q(shared=True))
        .select_related("label")
        .order_by("name", "id")
    )


def saved_view_get_for_user(*, user: AbstractBaseUser, view_id: int) -> SavedView | None:
    """A view the user sees (their own, or shared in one of their organizations)."""
    return (
        SavedView.objects.filter(pk=view_id, organization_id__in=organization_ids_for_user(user))
        .filter(Q(owner_id=user.pk) | Q(shared=True))
        .first()
    )


def canned_reply_list_for_user(*, user: AbstractBaseUser, organization: Organization) -> QuerySet[CannedReply]:
    """The canned replies ``user`` may insert in ``organization``: its shared ones and their own, by shortcut
    (a personal reply before a shared one with the same shortcut). None when they are not a member."""
    if organization.pk not in organization_ids_for_user(user):
        return CannedReply.objects.none()
    return (
        CannedReply.objects.filter(organization=organization)
        .filter(Q(owner__isnull=True) | Q(owner_id=user.pk))
        .order_by("shortcut", F("owner_id").asc(nulls_last=True), "id")
    )


def canned_reply_get_for_user(*, user: AbstractBaseUser, reply_id: int) -> CannedReply | None:
    """A canned reply the user may see: a shared one of their organizations, or their own."""
    return (
        CannedReply.objects.filter(pk=reply_id, organization_id__in=organization_ids_for_user(user))
        .filter(Q(owner__isnull=True) | Q(owner_id=user.pk))
        .select_related("organization")
        .first()
    )


def contact_import_get(*, organization: Organization, import_id: int) -> ContactImport | None:
    """One of the organization's contact imports (another organization's id finds nothing)."""
    return ContactImport.objects.filter(organization=organization, pk=import_id).select_related("created_by").first()


def contact_import_list(*, organization: Organization, limit: int = 10) -> list[ContactImport]:
    """The organization's latest imports, newest first (without their files)."""
    return list(
        ContactImport.objects.filter(organization=organization)
        .defer("data", "error_rows")
        .select_related("created_by")[:limit]
    )
