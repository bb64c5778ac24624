"""Check what a storm left behind — rows, counts, audit trail, live events — against what was sent."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from conversations.models import Contact, Conversation
from messaging.models import Direction, Message, MessageEvent, MessageMedia
from messaging.statuses import FAILURE_STATUSES, STATUS_RANK
from smsinbox import events

if TYPE_CHECKING:
    from tests.reliability.plan import Plan
    from tests.reliability.storm import StormResult

MAX_PROBLEMS = 20


def _problem(result: StormResult, text: str) -> None:
    if len(result.problems) < MAX_PROBLEMS:
        result.problems.append(text)


def check_inbound(plan: Plan, result: StormResult) -> dict[int, int]:
    """Count stored, lost and duplicated inbound messages and wrong unread counts; return message → conversation."""
    org = plan.organization
    rows = list(
        Message.objects.filter(organization=org, direction=Direction.INBOUND).values_list(
            "pk", "twilio_sid", "conversation_id", "from_number"
        )
    )
    by_sid = Counter(sid for _, sid, _, _ in rows)
    result.stored = sum(1 for sid in plan.inbound if sid in by_sid)
    result.lost = len(plan.inbound) - result.stored
    result.duplicated = sum(n - 1 for n in by_sid.values()) + sum(1 for sid in by_sid if sid not in plan.inbound)
    for sid in [sid for sid in plan.inbound if sid not in by_sid][:5]:
        _problem(result, f"inbound {sid} from {plan.inbound[sid]} was never stored")
    for sid, n in by_sid.items():
        if n > 1 or sid not in plan.inbound:
            _problem(result, f"inbound {sid} stored {n} times")

    arrived = Counter(plan.inbound.values())
    seen: Counter[str] = Counter()
    for pk, phone, unread in Conversation.objects.filter(organization=org).values_list(
        "pk", "contact__phone", "unread_count"
    ):
        seen[str(phone)] += 1
        if unread != arrived.get(str(phone), 0):
            result.unread_wrong += 1
            _problem(result, f"conversation {pk} with {phone}: unread {unread}, {arrived.get(str(phone), 0)} arrived")
    for phone in plan.contacts:
        if seen[phone] != 1:
            result.unread_wrong += 1
            _problem(result, f"{phone} has {seen[phone]} conversations")
    contacts = Counter(str(p) for p in Contact.objects.filter(organization=org).values_list("phone", flat=True))
    for phone, n in contacts.items():
        if n != 1 or phone not in plan.contacts:
            result.audit_wrong += 1
            _problem(result, f"{n} contacts with {phone}")

    received = Counter(
        MessageEvent.objects.filter(
            message__organization=org, message__direction=Direction.INBOUND, event_type=MessageEvent.Type.RECEIVED
        ).values_list("message_id", flat=True)
    )
    media = Counter(
        MessageMedia.objects.filter(message__organization=org, message__direction=Direction.INBOUND).values_list(
            "message_id", flat=True
        )
    )
    for pk, sid, _, from_number in rows:
        if received[pk] != 1 or media[pk] != plan.inbound_media.get(sid) or from_number != plan.inbound.get(sid):
            result.audit_wrong += 1
            _problem(result, f"inbound {sid}: {received[pk]} received events, {media[pk]} media, from {from_number}")
    return {pk: conversation_id for pk, _, conversation_id, _ in rows}


def _chain_is_forward(steps: list[tuple[str, str]]) -> bool:
    """Whether committed changes form one forward path from ``pending``."""
    previous = "pending"
    for old, new in steps:
        if old != previous or STATUS_RANK[new] <= STATUS_RANK[old]:
            return False
        previous = new
    return True


def check_outbound(plan: Plan, result: StormResult, changes: list[tuple[int, str, str]]) -> None:
    """Every outbound message in its true final status, SID, error code; its trail one event per status."""
    ids = [m.message_id for m in plan.outbound]
    rows = {
        row["pk"]: row
        for row in Message.objects.filter(pk__in=ids).values("pk", "status", "twilio_sid", "error_code", "delivered_at")
    }
    trail: dict[int, Counter[str]] = defaultdict(Counter)
    for message_id, status in MessageEvent.objects.filter(
        message_id__in=ids, event_type=MessageEvent.Type.STATUS_CALLBACK
    ).values_list("message_id", "status"):
        trail[message_id][status] += 1
    steps: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for message_id, old, new in changes:
        steps[message_id].append((old, new))

    for expected in plan.outbound:
        row = rows[expected.message_id]
        code = expected.error_code if expected.final in FAILURE_STATUSES else None
        actual = (row["status"], row["twilio_sid"], row["error_code"], row["delivered_at"] is not None)
        if actual != (expected.final, expected.sid, code, expected.final == "delivered"):
            result.wrong_final_status += 1
            _problem(
                result,
                f"message {expected.message_id} ({' → '.join(expected.statuses)}, code {code}): "
                f"status {actual[0]}, sid {actual[1]}, code {actual[2]}, delivered_at set {actual[3]}",
            )
        if trail[expected.message_id] != Counter(set(expected.statuses)):
            result.audit_wrong += 1
            _problem(result, f"message {expected.message_id}: callback events {dict(trail[expected.message_id])}")
        if not _chain_is_forward(steps[expected.message_id]):
            result.audit_wrong += 1
            _problem(result, f"message {expected.message_id}: committed changes {steps[expected.message_id]}")


def _event_key(event: dict[str, Any]) -> tuple[str, Any]:
    kind, payload = event.get("type", ""), event.get("payload") or {}
    if kind == events.Event.MESSAGE_CREATED and payload.get("direction") == Direction.INBOUND:
        return kind, payload.get("id")
    if kind == events.Event.CONVERSATION_UPDATED:
        return kind, payload.get("id")
    if kind == events.Event.MESSAGE_STATUS_CHANGED:
        return kind, (payload.get("id"), payload.get("status"))
    return kind or "?", repr(payload)[:120]


def check_events(
    plan: Plan,
    result: StormResult,
    received: list[dict[str, Any]],
    stored: dict[int, int],
    changes: list[tuple[int, str, str]],
) -> None:
    """Exactly one live event per real change: per stored message, per conversation touch, per committed move."""
    expected: dict[str, Counter[Any]] = {
        events.Event.MESSAGE_CREATED: Counter(stored.keys()),
        events.Event.CONVERSATION_UPDATED: Counter(stored.values()),
        events.Event.MESSAGE_STATUS_CHANGED: Counter((message_id, new) for message_id, _, new in changes),
    }
    got: dict[str, Counter[Any]] = defaultdict(Counter)
    highest_unread: dict[int, int] = {}
    # What an open inbox shows: the rows it applied by the client's rule (static/js/list.js, and
    # ``conversation_payload``): a row replaces the shown one unless its version is strictly older.
    shown: dict[int, tuple[int, int]] = {}  # conversation id -> (version, unread count)
    for event in received:
        kind, key = _event_key(event)
        got[kind][key] += 1
        if kind == events.Event.CONVERSATION_UPDATED:
            unread, version = int(event["payload"].get("unreadCount") or 0), int(event["payload"]["version"])
            if key not in shown or version >= shown[key][0]:
                shown[key] = (version, unread)
            highest_unread[key] = max(highest_unread.get(key, 0), unread)
    last_unread = {key: unread for key, (_, unread) in shown.items()}
    result.events_expected = {kind: sum(counts.values()) for kind, counts in expected.items()}
    result.events_received = {kind: sum(got[kind].values()) for kind in expected}
    for kind, counts in got.items():
        wanted = expected.get(kind, Counter())
        for key, n in counts.items():
            if key not in wanted:
                result.events_unexpected += n
                _problem(result, f"unexpected live event {kind} {key} ×{n}")
            elif n > wanted[key]:
                result.events_duplicated += n - wanted[key]
                _problem(result, f"live event {kind} {key} heard {n} times, {wanted[key]} expected")
    for kind, wanted in expected.items():
        for key, n in wanted.items():
            if got[kind][key] < n:
                result.events_missing += n - got[kind][key]
                _problem(result, f"live event {kind} {key} heard {got[kind][key]} times, {n} expected")

    final = dict(Conversation.objects.filter(organization=plan.organization).values_list("pk", "unread_count"))
    for conversation_id, unread in highest_unread.items():
        if unread != final.get(conversation_id):
            result.unread_wrong += 1
            _problem(
                result,
                f"live inboxes never saw conversation {conversation_id} at its {final.get(conversation_id)} unread "
                f"(at most {unread})",
            )
    for conversation_id, unread in last_unread.items():
        if unread != final.get(conversation_id):
            result.live_unread_stale += 1
            _problem(
                result,
                f"live inboxes, applying rows by version, show conversation {conversation_id} at {unread} unread, "
                f"it has {final.get(conversation_id)}",
            )
