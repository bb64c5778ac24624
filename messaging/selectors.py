"""Reads of messages, and of conversations searched by what their messages say; access checked.

A row of another organization is simply not found. The conversation list lives here, not in
``conversations``, because its search reaches into message text.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.lookups import In

from conversations.models import Conversation, ConversationEvent, ConversationLabel, Note, NoteMention, SavedView
from conversations.selectors import (
    Page,
    activity_list,
    keyset_decode,
    keyset_encode,
    name_has_words,
    note_list,
)
from messaging.models import Direction, Message, MessageMedia
from messaging.statuses import FAILURE_STATUSES
from smsinbox.models import Organization
from smsinbox.phones import phone_query
from smsinbox.tenancy import organization_ids_for_user


def with_messages(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Only conversations that have a message: one started from a contact ("Open conversation") stays out
    of everyone's inbox until something is sent (a preview means a message; an empty one is checked). The inbox
    page and its sync use it; the API lists every conversation, as it always did."""
    has_message = Exists(Message.objects.filter(conversation=OuterRef("pk")))
    return conversations.filter(Q(last_message_preview__gt="") | has_message)


def conversation_list(
    *,
    user: AbstractBaseUser,
    organization: Organization,
    status: str | None = None,
    unread: bool | None = None,
    assigned: str | int | None = None,
    failed: bool | None = None,
    mentioned: bool | None = None,
    label: int | None = None,
    q: str = "",
) -> QuerySet[Conversation]:
    """An organization's conversations, newest activity first, filtered and searched.

        ``status``: ``open`` / ``closed``; ``unread``: only threads with (``True``) or without
        (``False``) unread messages; ``assigned``: ``"me"``, ``"unassigned"`` or a user id;
        ``q``: a name (every word), a number typed any common way (``(555) 123-4567`` finds
        ``+15551234567``) or message text; ``failed``: only threads whose last sent message failed or was
        undelivered; ``label``: only threads with that label (an id; another organization's finds nothing);
        ``mentioned``: only threads with a note that mentions the user, each row carrying
    ``mention_note_id``, the newest such note (the list links to it). Every row carries ``last_outbound_failed``
    (the list marks it). Ordered by
        (``last_message_at``, ``id``) descending, the keyset of ``conversation_page`` and of the ``inbox_*`` indexes.
    """
    qs = (
        Conversation.objects.filter(organization=organization)
        .select_related("contact", "assignee")
        .prefetch_related("labels")  # one query per page, however many labels (the rows show them)
        .annotate(last_outbound_failed=_last_outbound_failed())
    )
    if label is not None:
        qs = qs.filter(Exists(ConversationLabel.objects.filter(conversation=OuterRef("pk"), label_id=label)))
    if failed is True:
        qs = qs.filter(last_outbound_failed=True)
    if mentioned is True:
        mentions = NoteMention.objects.filter(user_id=user.pk, note__conversation=OuterRef("pk")).order_by("-note_id")
        qs = qs.annotate(mention_note_id=Subquery(mentions.values("note_id")[:1])).filter(mention_note_id__isnull=False)
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
    text = q.strip()
    if text:
        by_text = Exists(Message.objects.filter(conversation=OuterRef("pk"), body__icontains=text))
        condition = name_has_words(text, prefix="contact__") | by_text
        phone = phone_query("contact__phone", text, region=organization.region)
        if phone:
            condition |= phone
        qs = qs.filter(condition)
    return qs.order_by("-last_message_at", "-id")


def conversations_changed_since(*, organization: Organization, since: datetime, limit: int = 200) -> list[Conversation]:
    """What an inbox that missed its live events since ``since`` must redraw, newest activity first.

    A conversation changed, its contact changed (a rename, an opt-out), or one of its sent messages failed
    since then: a failure updates the message, not the conversation, yet it marks the row and moves it into
    the Failed filter. Each row carries ``last_outbound_failed`` as ``conversation_list``'s do. Only
    conversations that have a message (``with_messages``).
    """
    changed_contacts = organization.contacts.filter(updated_at__gte=since).values("pk")
    newly_failed = Message.objects.filter(
        organization=organization,
        direction=Direction.OUTBOUND,
        status__in=sorted(FAILURE_STATUSES),
        updated_at__gte=since,
    ).values("conversation_id")
    changed = Q(updated_at__gte=since) | Q(contact__in=changed_contacts) | Q(pk__in=newly_failed)
    qs = (
        with_messages(Conversation.objects.filter(changed, organization=organization))
        .select_related("contact", "assignee")
        .prefetch_related("labels")
        .annotate(last_outbound_failed=_last_outbound_failed())
        .order_by("-last_message_at", "-id")
    )
    return list(qs[:limit])


def _last_outbound_failed() -> Case:
    """Whether a conversation's newest sent message failed or was undelivered: per row, one step down
    ``thread_idx`` (the thread's messages newest first) to its first outbound message."""
    last_status = Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.OUTBOUND)
        .order_by("-created_at", "-id")
        .values("status")[:1]
    )
    return Case(
        When(In(last_status, sorted(FAILURE_STATUSES)), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


# Within one moment, a thread shows its messages, then its notes, then its activity events (each kind's rank, in
# the keyset), and each kind's position has its own mark (a message's none, as before the others existed).
_MESSAGE, _NOTE, _EVENT = 0, 1, 2
_MARKS = {_MESSAGE: "", _NOTE: "n", _EVENT: "e"}


def thread_keyset_encode(at: datetime, rank: int, pk: int) -> str:
    """A thread position: a message's is ``keyset_encode``'s (``<time>_<id>``), a note's ``<time>_n<id>``, an
    activity event's ``<time>_e<id>``."""
    return keyset_encode(at, pk) if rank == _MESSAGE else f"{at.isoformat()}_{_MARKS[rank]}{pk}"


def thread_keyset_decode(position: str) -> tuple[datetime, int, int] | None:
    """``(time, rank, id)`` of a ``thread_keyset_encode`` position; ``None`` for anything else."""
    rank = _MESSAGE
    at, _, tail = position.rpartition("_")
    for kind, mark in _MARKS.items():
        if mark and tail.startswith(mark):
            rank, position = kind, f"{at}_{tail[1:]}"
    edge = keyset_decode(position)
    return None if edge is None else (edge[0], rank, edge[1])


def _before(qs: QuerySet, rank: int, edge: tuple[datetime, int, int]) -> QuerySet:
    """The items of one kind (``rank``) before a thread position."""
    at, edge_rank, pk = edge
    if rank < edge_rank:
        return qs.filter(created_at__lte=at)
    if rank == edge_rank:
        return qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    return qs.filter(created_at__lt=at)


def thread_page(*, conversation: Conversation, before: str = "", limit: int = 50) -> Page:
    """A thread's newest items, messages, private notes and activity events merged in time order (oldest first
    on the page); ``before`` loads older ones. Notes are items with ``is_note`` set (``conversations.models.Note``),
    events items with ``is_event`` set (``ConversationEvent``).

    One keyset over three tables: the items are ordered by (``created_at``, kind, ``id``), a message before a
    note before an event of the same moment. Each table is read by its own index (``thread_idx``,
    ``note_thread_idx``, ``conversation_event_idx``) for at most ``limit + 1`` rows before the position; the three
    are merged and cut, so a page costs the same (five queries: messages, their media, notes, their mentions,
    events) however long the thread. A position is the last item's key; a message's is written by
    ``keyset_encode`` as before notes existed, so its cursors stay valid.
    """
    tables = [
        (
            _MESSAGE,
            Message.objects.filter(conversation=conversation).select_related("sent_by").prefetch_related("media"),
        ),
        (_NOTE, note_list(conversation=conversation)),
        (_EVENT, activity_list(conversation=conversation)),
    ]
    edge = thread_keyset_decode(before) if before else None
    rows: list = []
    for rank, qs in tables:
        if edge is not None:
            qs = _before(qs, rank, edge)
        rows += list(qs.order_by("-created_at", "-id")[: limit + 1])
    rows = sorted(rows, key=_thread_key, reverse=True)[: limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return Page(rows, thread_keyset_encode(*_thread_key(rows[0])) if more and rows else "")


def _thread_key(item: Message | Note | ConversationEvent) -> tuple[datetime, int, int]:
    """An item's place in its thread: (time, kind's rank, id)."""
    rank = _NOTE if getattr(item, "is_note", False) else _EVENT if getattr(item, "is_event", False) else _MESSAGE
    return item.created_at, rank, item.pk


def message_get_for_user(*, user: AbstractBaseUser, message_id: int) -> Message | None:
    """The message, with its media and events, if the user is a member of its organization."""
    return (
        Message.objects.select_related("sent_by")
        .prefetch_related("media", "events")
        .filter(pk=message_id, organization_id__in=organization_ids_for_user(user))
        .first()
    )


def message_media_get_for_user(*, user: AbstractBaseUser, message_id: int, position: int) -> MessageMedia | None:
    """One media item of a message, with its message, if the user is a member of its organization."""
    return (
        MessageMedia.objects.select_related("message")
        .filter(message_id=message_id, position=position, message__organization_id__in=organization_ids_for_user(user))
        .first()
    )


def saved_view_counts(*, user: AbstractBaseUser, organization: Organization, views: list[SavedView]) -> dict[int, int]:
    """How many conversations of the inbox each view shows now (one COUNT query per view, whatever its filters)."""
    return {
        view.pk: with_messages(conversation_list(user=user, organization=organization, **view.list_filters()))
        .order_by()
        .count()
        for view in views
    }


# --- The Failed page -----------------------------------------------------------------------------


def _failed_outbound(organization: Organization) -> QuerySet[Message]:
    """An organization's failed and undelivered sends (the ``failed_outbound_idx`` partial index)."""
    return Message.objects.filter(
        organization=organization, direction=Direction.OUTBOUND, status__in=sorted(FAILURE_STATUSES)
    )


def failed_message_page(
    *, organization: Organization, code: int | None = None, cursor: str = "", limit: int = 50
) -> Page:
    """One page of the organization's failed sends, newest first, optionally of one error ``code`` (0: none);
    ``cursor`` (``<time>_<id>`` of the last row) loads the next, older page. One query, however many rows:
    each row carries its conversation and contact, and ``retried`` (a retry of it exists)."""
    qs = (
        _failed_outbound(organization)
        .select_related("conversation__contact")
        .annotate(retried=Exists(Message.objects.filter(retry_of=OuterRef("pk"))))
    )
    if code is not None:
        qs = qs.filter(error_code=code) if code else qs.filter(error_code__isnull=True)
    edge = keyset_decode(cursor) if cursor else None
    if edge is not None:
        at, pk = edge
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, keyset_encode(rows[-1].created_at, rows[-1].pk) if more and rows else "")


def failed_code_counts(*, organization: Organization) -> list[tuple[int | None, int]]:
    """How many failed sends the organization has per error code (``None``: no code), most first: one query."""
    rows = (
        _failed_outbound(organization)
        .order_by()
        .values_list("error_code")
        .annotate(n=Count("id"))
        .order_by("-n", F("error_code").asc(nulls_last=True))
    )
    return [(code, n) for code, n in rows]
