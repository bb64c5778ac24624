"""The activity log: one stored ``ConversationEvent`` per change of a conversation, and how it reads.

Invariant: an event is written by ``activity_record`` only, called by the services that change a conversation
(assign, close/reopen, labels, snooze and wake, opt-out and opt-in), in their own transaction and only when
their conditional UPDATE says the state actually changed. A repeated request or a retried webhook changes
nothing, so it writes no event; a rolled-back change leaves none. Once committed, the organization's open
inboxes hear ``activity.created`` and show the row in the thread.

The sentence is written here once, for the page, the live event and the API alike: ``activity_parts`` cuts it
around a time (a snooze's end) so each viewer reads that time in their own zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypedDict

from django.contrib.auth import get_user_model
from django.utils import formats, timezone

from conversations.models import Conversation, ConversationEvent
from conversations.payloads import PEOPLE_DATETIME, user_name
from smsinbox import events
from smsinbox.shapes import Field, Timestamp, iso, timestamp

Kind = ConversationEvent.Kind


def actor_name(actor_id: int | None) -> str:
    """The staff member's name as events store it (empty for the system or the contact)."""
    if actor_id is None:
        return ""
    user = get_user_model().objects.filter(pk=actor_id).first()
    return user_name(user) if user is not None else ""


def activity_record(
    *, conversation: Conversation, kind: str, actor_id: int | None = None, data: dict[str, Any] | None = None
) -> ConversationEvent:
    """Store one event of ``conversation`` (the caller's transaction; the caller saw the change happen) and
    announce it to the organization's inboxes after commit. ``data`` is the sentence's facts (the model's
    docstring); the actor's name is added as ``by``."""
    facts = dict(data or {})
    if actor_id is not None:
        facts.setdefault("by", actor_name(actor_id))
    event = ConversationEvent.objects.create(
        organization_id=conversation.organization_id,
        conversation_id=conversation.pk,
        kind=Kind(kind),
        actor_id=actor_id,
        data=facts,
    )
    events.publish_on_commit(
        organization_id=event.organization_id, event=events.Event.ACTIVITY_CREATED, payload=activity_payload(event)
    )
    return event


class ActivityParts(TypedDict):
    """An event's sentence around its time, if it has one: ``before`` + the time ``at`` + ``after``."""

    before: str
    at: Timestamp | None
    after: str


def _quoted(data: dict[str, Any], key: str) -> str:
    return f"“{data.get(key) or '?'}”"


def activity_sentence(event: ConversationEvent) -> tuple[str, datetime | None, str]:
    data = event.data or {}
    by = data.get("by") or ""
    kind = event.kind
    if kind == Kind.ASSIGNED:
        to = data.get("assignee_name") or "a former member"
        if by and data.get("assignee_id") == event.actor_id:
            return f"{by} assigned this to themselves", None, ""
        return (f"{by} assigned this to {to}" if by else f"Assigned to {to}"), None, ""
    if kind == Kind.UNASSIGNED:
        was = data.get("assignee_name")
        if by:
            return (f"{by} unassigned {was}" if was else f"{by} unassigned this"), None, ""
        return (f"Unassigned from {was}" if was else "Unassigned"), None, ""
    if kind == Kind.CLOSED:
        return (f"{by} closed this" if by else "Closed"), None, ""
    if kind == Kind.REOPENED:
        if by:
            return f"{by} reopened this", None, ""
        return "Reopened: the customer texted", None, ""
    if kind == Kind.LABELLED:
        return (f"{by} added the label {_quoted(data, 'label_name')}" if by else
                f"Label {_quoted(data, 'label_name')} added"), None, ""  # fmt: skip
    if kind == Kind.UNLABELLED:
        return (f"{by} removed the label {_quoted(data, 'label_name')}" if by else
                f"Label {_quoted(data, 'label_name')} removed"), None, ""  # fmt: skip
    if kind == Kind.SNOOZED:
        who = by or "Someone"
        until = data.get("until")
        if until:
            return f"{who} snoozed this until ", datetime.fromisoformat(until), ""
        return f"{who} snoozed this until the customer replies", None, ""
    if kind == Kind.WOKEN:
        if by:
            return f"{by} brought this back from snooze", None, ""
        if data.get("reason") == "reply":
            return "Back from snooze: the customer replied", None, ""
        return "Back from snooze: the time came", None, ""
    if kind == Kind.OPTED_OUT:
        method = data.get("method")
        if method == "keyword":
            return f"The customer opted out by replying {data.get('keyword') or 'STOP'}", None, ""
        if method == "error_21610":
            return "The customer opted out: Twilio reported the number unsubscribed (error 21610)", None, ""
        return (f"{by} marked the customer as opted out" if by else "Marked as opted out"), None, ""
    if kind == Kind.OPTED_IN:
        if by:
            return f"{by} opted the customer back in", None, ""
        return f"The customer opted back in by replying {data.get('keyword') or 'START'}", None, ""
    if kind == Kind.SENDER_CHANGED:
        number = data.get("number_label") or "another number"
        if data.get("broadcast_id"):
            who = f"{by}'s broadcast" if by else "A broadcast"
            return f"{who} texted from {number}: replies go from it now", None, ""
        if by:
            return f"{by} switched this conversation to {number}: replies go from it now", None, ""
        return f"The customer texted {number}: replies go from it now", None, ""
    return event.get_kind_display(), None, ""


def activity_parts(event: ConversationEvent) -> ActivityParts:
    before, at, after = activity_sentence(event)
    return {"before": before, "at": timestamp(at) if at else None, "after": after}


def activity_text(event: ConversationEvent) -> str:
    """The whole sentence, its time (if any) in the current zone (the viewer's on a page)."""
    before, at, after = activity_sentence(event)
    when = formats.date_format(timezone.localtime(at), PEOPLE_DATETIME) if at else ""
    return f"{before}{when}{after}"


class ActivityPayload(TypedDict):
    """A stored change of the conversation (assigned, closed, labelled, snoozed, opted out…), as the thread shows it."""

    id: int
    kind: Annotated[
        str,
        Field("Always `event` (the thread listing mixes messages, notes and events).", choices=[("event", "event")]),
    ]
    event: Annotated[str, Field("What happened.", choices=Kind.choices)]
    organization_id: int
    conversation_id: int
    actor_id: Annotated[int | None, Field("The staff member who did it; null for the system or the contact.")]
    actor_name: str
    text: Annotated[str, Field("The one-line sentence, a time in it written in the server's zone.")]
    parts: Annotated[
        ActivityParts, Field("The sentence cut around its time (before, at, after), to write it in a zone.")
    ]
    data: Annotated[dict[str, Any], Field("The facts the sentence is made of (names as they were then).")]
    created_at: Timestamp


def activity_payload(event: ConversationEvent) -> ActivityPayload:
    data = dict(event.data or {})
    return {
        "id": event.pk,
        "kind": "event",
        "event": Kind(event.kind).value,
        "organization_id": event.organization_id,
        "conversation_id": event.conversation_id,
        "actor_id": event.actor_id,
        "actor_name": data.get("by", ""),
        "text": activity_text(event),
        "parts": activity_parts(event),
        "data": data,
        "created_at": timestamp(event.created_at),
    }


def until_data(until: datetime | None) -> dict[str, Any]:
    """A snooze's facts: until a time (ISO), or until the customer replies."""
    return {"until": iso(until)} if until is not None else {"until_reply": True}
