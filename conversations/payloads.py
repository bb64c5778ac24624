"""The shape of a conversation-list row, for live inboxes and the API alike: declared once, built once."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from django.urls import reverse
from django.utils import formats, timezone

from conversations.models import LABEL_COLORS, Contact, Conversation, Label, Note, SavedView
from smsinbox.shapes import Field, Timestamp, iso, timestamp


def user_name(user: Any) -> str:
    """How staff are named in payloads: their full name, else their username."""
    return user.get_full_name() or user.get_username()


# How a moment is written for people, everywhere the server writes one (bubbles, rows, contacts, reasons).
PEOPLE_DATETIME = "M j, Y, g:i A"


class OptOutReasonParts(TypedDict):
    """``opt_out_reason`` around its time, for a page that writes the time in its viewer's zone:
    ``before`` + the time ``at`` + ``after`` (a live event is built in the server's zone)."""

    before: str
    at: Timestamp
    after: str


def opt_out_reason_parts(contact: Contact) -> OptOutReasonParts | None:
    """Why nobody may text this contact, cut around when they opted out; None when they may be texted."""
    if not contact.is_opted_out:
        return None
    how = {
        Contact.OptOutMethod.KEYWORD: f"by replying {contact.opt_out_keyword or 'STOP'}",
        Contact.OptOutMethod.ERROR_21610: "(Twilio reported them unsubscribed, error 21610)",
        Contact.OptOutMethod.STAFF: "(marked by staff)",
    }.get(contact.opt_out_method, "")
    return {
        "before": f"{contact.display_name} opted out on ",
        "at": timestamp(contact.opted_out_at),
        "after": f" {how}. They must text START to this number before they can be messaged again.",
    }


def opt_out_reason(contact: Contact) -> str:
    """Why nobody may text this contact, citing when and how they opted out; empty when they may be texted.

    The time is written in the current time zone (the viewer's on a page; the server's in a live event,
    whose ``opt_out_reason_parts`` let the page write it in its own).
    """
    parts = opt_out_reason_parts(contact)
    if parts is None:
        return ""
    when = formats.date_format(timezone.localtime(contact.opted_out_at), PEOPLE_DATETIME)
    return f"{parts['before']}{when}{parts['after']}"


class LabelPayload(TypedDict):
    """A label as rows, threads and contacts show it: its colour is a key of the fixed palette."""

    id: int
    name: str
    color: Annotated[str, Field("A key of the palette.", choices=[(k, v["label"]) for k, v in LABEL_COLORS.items()])]


def label_payload(label: Label) -> LabelPayload:
    return {"id": label.pk, "name": label.name, "color": label.color}


def labels_payload(labels: Any) -> list[LabelPayload]:
    """Labels by name, whatever their case (prefetched or not: the list is sorted here, not by a query)."""
    return [label_payload(label) for label in sorted(labels, key=lambda label: (label.name.lower(), label.pk))]


class LabelChangedPayload(TypedDict):
    """What ``label.changed`` carries: the label as it now is, or ``deleted`` with its last name."""

    id: int
    organization_id: int
    name: str
    color: str
    deleted: bool


def label_changed_payload(label: Label, *, deleted: bool = False, pk: int | None = None) -> LabelChangedPayload:
    return {
        "id": pk if pk is not None else label.pk,
        "organization_id": label.organization_id,
        "name": label.name,
        "color": label.color,
        "deleted": deleted,
    }


class SavedViewPayload(TypedDict):
    """A saved combination of the conversation list's filters."""

    id: int
    name: str
    shared: Annotated[bool, Field("Shown to every member of the organization, not only its owner.")]
    owner_id: int
    status: Annotated[str, Field("`open`, `closed`, or empty for any.")]
    assigned: Annotated[str, Field("`me`, `unassigned`, or empty for anyone.")]
    label_id: int | None
    unread: Annotated[bool, Field("Only conversations with unread messages.")]
    q: str


def saved_view_payload(view: SavedView) -> SavedViewPayload:
    return {
        "id": view.pk,
        "name": view.name,
        "shared": view.shared,
        "owner_id": view.owner_id,
        "status": view.status,
        "assigned": view.assigned,
        "label_id": view.label_id,
        "unread": view.unread,
        "q": view.q,
    }


class ContactPayload(TypedDict):
    """A contact, as the REST API gives it (``ContactSerializer``) and outgoing webhooks carry it."""

    id: int
    organization_id: int
    phone: str
    phone_display: str
    first_name: str
    last_name: str
    display_name: str
    notes: str
    opted_out: bool
    opted_out_at: str | None
    opt_out_method: str
    created_at: str | None
    updated_at: str | None
    labels: list[LabelPayload]


def contact_payload(contact: Contact) -> ContactPayload:
    return {
        "id": contact.pk,
        "organization_id": contact.organization_id,
        "phone": str(contact.phone),
        "phone_display": contact.display_name_number,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "display_name": contact.display_name,
        "notes": contact.notes,
        "opted_out": contact.is_opted_out,
        "opted_out_at": iso(contact.opted_out_at),
        "opt_out_method": contact.opt_out_method,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
        "labels": labels_payload(contact.labels.all()),
    }


class ConversationPayload(TypedDict):
    """A conversation: the row the inbox lists, as ``conversation_payload`` builds it for live inboxes too."""

    id: int
    version: Annotated[
        int,
        Field(
            "Raised on every change of the conversation: of two copies of one conversation, the one with the "
            "lower version is older. Equal versions may differ in the contact's name or opt-out.",
            min_value=0,
        ),
    ]
    organization_id: int
    phone_number_id: Annotated[
        int, Field("The organization's number the conversation texts from: the one the customer last texted.")
    ]
    contact_id: int
    contact_name: str
    contact_phone: Annotated[str, Field("E.164.")]
    contact_phone_display: str
    opted_out: bool
    opt_out_reason: Annotated[
        str, Field("Why the contact may not be texted (when and how they opted out); empty unless opted out.")
    ]
    opt_out_reason_parts: Annotated[
        OptOutReasonParts | None,
        Field("The reason cut around its time (before, at, after), to write it in another zone; else null."),
    ]
    status: Annotated[str, Field(choices=Conversation.Status.choices)]
    assignee_id: int | None
    assignee_name: Annotated[str, Field("Empty when nobody is assigned.")]
    unread_count: Annotated[int, Field(min_value=0)]
    last_message_at: Annotated[Timestamp, Field("Newest activity; orders the list.")]
    last_message_preview: str
    labels: Annotated[list[LabelPayload], Field("The conversation's labels, by name.")]
    snoozed_until: Annotated[Timestamp | None, Field("While snoozed until a time: when it comes back. Null otherwise.")]
    snooze_until_reply: Annotated[bool, Field("Snoozed until the customer texts again.")]


def conversation_payload(conversation: Conversation) -> ConversationPayload:
    """A conversation-list row, with the ``version`` of the conversation it was built from.

    Rows of one conversation are published after their transactions commit, and may arrive in
    any order. A client applies a row whose ``version`` is at least the one it shows, and drops
    only a strictly older one (``static/js/list.js``, ``shouldApply``): every update of the
    conversation raises the version (a database trigger), so an older version is an older row.
    Equal versions are applied, last heard wins: a change the row shows without updating the
    conversation (the contact renamed, opted out or back in) is announced with the version the
    conversation already had, and must not be dropped. So the contact's part of the row is
    ordered only as far as the conversation's version goes: a contact change racing an update
    of the conversation may leave the old name or opt-out shown until the row changes again.
    """
    contact = conversation.contact
    return {
        "id": conversation.pk,
        "version": conversation.version,
        "organization_id": conversation.organization_id,
        "phone_number_id": conversation.phone_number_id,
        "contact_id": contact.pk,
        "contact_name": contact.display_name,
        "contact_phone": str(contact.phone),
        "contact_phone_display": contact.display_name_number,
        "opted_out": contact.is_opted_out,
        "opt_out_reason": opt_out_reason(contact),
        "opt_out_reason_parts": opt_out_reason_parts(contact),
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "assignee_name": user_name(conversation.assignee) if conversation.assignee_id else "",
        "unread_count": conversation.unread_count,
        "last_message_at": timestamp(conversation.last_message_at),
        "last_message_preview": conversation.last_message_preview,
        "labels": labels_payload(conversation.labels.all()),
        "snoozed_until": iso(conversation.snoozed_until),
        "snooze_until_reply": conversation.snooze_until_reply,
    }


class NoteMentionPayload(TypedDict):
    user_id: int
    username: Annotated[str, Field("What follows the `@` in the note's body.")]
    name: str


class NotePayload(TypedDict):
    """A private note in a thread: staff only, never sent to the contact, never counted unread."""

    id: int
    kind: Annotated[
        str, Field("Always `note` (the thread listing mixes notes and messages).", choices=[("note", "note")])
    ]
    organization_id: int
    conversation_id: int
    author_id: Annotated[int | None, Field("The staff member who wrote it; null once their account is deleted.")]
    author_name: str
    body: Annotated[str, Field("Plain text, as written (never HTML).")]
    created_at: Timestamp
    mentions: list[NoteMentionPayload]


def note_payload(note: Note) -> NotePayload:
    """A note as the thread shows it, for live inboxes and the API (``mention_rows__user`` prefetched or not)."""
    mentioned = sorted((row.user for row in note.mention_rows.all()), key=lambda user: user.get_username())
    return {
        "id": note.pk,
        "kind": "note",
        "organization_id": note.organization_id,
        "conversation_id": note.conversation_id,
        "author_id": note.author_id,
        "author_name": user_name(note.author) if note.author_id else "",
        "body": note.body,
        "created_at": timestamp(note.created_at),
        "mentions": [{"user_id": u.pk, "username": u.get_username(), "name": user_name(u)} for u in mentioned],
    }


class MentionPayload(TypedDict):
    """What a mentioned staff member's inboxes hear (``mention.created``, live only)."""

    note_id: int
    organization_id: int
    conversation_id: int
    author_name: str
    contact_name: str
    excerpt: str
    url: str  # the thread, at the note


MENTION_EXCERPT = 80


def mention_payload(note: Note) -> MentionPayload:
    text = " ".join(note.body.split())
    return {
        "note_id": note.pk,
        "organization_id": note.organization_id,
        "conversation_id": note.conversation_id,
        "author_name": user_name(note.author) if note.author_id else "",
        "contact_name": note.conversation.contact.display_name,
        "excerpt": text if len(text) <= MENTION_EXCERPT else text[: MENTION_EXCERPT - 1] + "…",
        "url": reverse("inbox-thread", args=[note.conversation_id]) + f"#note-{note.pk}",
    }
