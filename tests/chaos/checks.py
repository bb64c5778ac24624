"""What the database and the emulator hold after a fault: stored, duplicated, lost, half-written.

Inbound: each MessageSid the load generator sent must be stored exactly once, with its ``received`` event,
and every conversation's unread count must equal its inbound messages (nobody reads during a run).
Outbound: each message the API accepted must end ``delivered`` or failed *with a reason*; the emulator
(Twilio) must hold at most one copy of it, and exactly one when we say Twilio took it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg

FINAL = ("delivered", "undelivered", "failed", "read", "partially_delivered", "canceled")
FAILED = ("undelivered", "failed")


def inbound_outcome(conn: psycopg.Connection, sids: list[str], acked: set[str]) -> dict[str, Any]:
    """Counts for the inbound webhooks ``sids`` (``acked``: the ones answered 2xx)."""
    rows = conn.execute(
        "SELECT twilio_sid, count(*) FROM messaging_message WHERE twilio_sid = ANY(%s) GROUP BY twilio_sid", (sids,)
    ).fetchall()
    stored = {sid: n for sid, n in rows}
    events = dict(conn.execute(
        """SELECT m.twilio_sid, count(e.id) FROM messaging_message m
           LEFT JOIN messaging_messageevent e ON e.message_id = m.id AND e.event_type = 'received'
           WHERE m.twilio_sid = ANY(%s) GROUP BY m.twilio_sid""", (sids,)).fetchall())  # fmt: skip
    lost = [s for s in sids if s not in stored]
    return {
        "sent": len(sids),
        "stored": len(stored),
        "duplicated": sum(1 for n in stored.values() if n > 1),
        "lost": len(lost),
        "acked_not_stored": sum(1 for s in lost if s in acked),
        "never_acked": sum(1 for s in sids if s not in acked),
        "stored_without_received_event": sum(1 for s in stored if events.get(s, 0) != 1),
    }


def conversation_consistency(conn: psycopg.Connection, phones: list[str]) -> dict[str, int]:
    """Half-written traces in the threads of ``phones``: unread counts off their inbound messages, stale times."""
    unread_off = conn.execute(
        """SELECT count(*) FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
           WHERE c.phone = ANY(%s) AND v.unread_count <> (
               SELECT count(*) FROM messaging_message m WHERE m.conversation_id = v.id AND m.direction = 'in')""",
        (phones,),
    ).fetchone()[0]
    stale = conn.execute(
        """SELECT count(*) FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
           WHERE c.phone = ANY(%s) AND v.last_message_at < (
               SELECT max(m.created_at) FROM messaging_message m
               WHERE m.conversation_id = v.id AND m.direction = 'in')""",
        (phones,),
    ).fetchone()[0]
    empty = conn.execute(
        """SELECT count(*) FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
           WHERE c.phone = ANY(%s) AND NOT EXISTS (SELECT 1 FROM messaging_message m WHERE m.conversation_id = v.id)""",
        (phones,),
    ).fetchone()[0]
    return {"unread_count_mismatch": unread_off, "last_message_at_stale": stale, "conversation_without_message": empty}


def outbound_rows(conn: psycopg.Connection, ids: list[int]) -> list[tuple[Any, ...]]:
    """``(id, body, status, twilio_sid, error_code, error_message, send_attempts)`` of our messages ``ids``."""
    return conn.execute(
        """SELECT id, body, status, twilio_sid, error_code, error_message, send_attempts
           FROM messaging_message WHERE id = ANY(%s) ORDER BY id""",
        (ids,),
    ).fetchall()


def unfinished(conn: psycopg.Connection, ids: list[int]) -> int:
    """How many of ``ids`` are not in a final status yet."""
    return conn.execute(
        "SELECT count(*) FROM messaging_message WHERE id = ANY(%s) AND NOT status = ANY(%s)", (ids, list(FINAL))
    ).fetchone()[0]


def outbound_outcome(
    conn: psycopg.Connection, ids: list[int], requested: int, emulator_messages: list[dict[str, Any]]
) -> dict[str, Any]:
    """Counts for outbound messages ``ids`` (``requested`` sends were asked of the API)."""
    rows = outbound_rows(conn, ids)
    copies = Counter(m["body"] for m in emulator_messages)
    sid_of = {m["body"]: m["sid"] for m in emulator_messages}
    status_of = {m["body"]: m["status"] for m in emulator_messages}
    statuses: Counter[str] = Counter()
    lost: list[str] = []
    untruthful: list[str] = []
    for _pk, body, status, sid, _code, reason, _attempts in rows:
        statuses[status] += 1
        at_twilio = copies.get(body, 0)
        if status not in FINAL:
            lost.append(f"{body}: still {status}")
        elif status in FAILED and not reason:
            lost.append(f"{body}: {status} without a reason")
        elif status in FAILED and at_twilio and status_of.get(body) not in FAILED:
            untruthful.append(f"{body}: {status} here, {status_of.get(body)} at Twilio")
        elif status == "delivered" and (not at_twilio or sid != sid_of.get(body)):
            untruthful.append(f"{body}: delivered here, Twilio copies {at_twilio}, SIDs {sid} / {sid_of.get(body)}")
    ours = {r[1] for r in rows}
    duplicated = sum(1 for body in ours if copies.get(body, 0) > 1)
    reasons = Counter((r[5] or "")[:60] for r in rows if r[2] in FAILED)
    return {
        "sent": requested,
        "stored": len(rows),
        "duplicated": duplicated,
        "lost": len(lost) + len(untruthful) + (requested - len(rows)),
        "statuses": dict(statuses),
        "twilio_received_twice": duplicated,
        "twilio_copies_total": sum(copies.get(b, 0) for b in ours),
        "failed_reasons": dict(reasons),
        "max_send_attempts": max((r[6] for r in rows), default=0),
        "examples": (lost + untruthful)[:5],
    }


def send_events(conn: psycopg.Connection, ids: list[int]) -> dict[str, int]:
    """Outcomes of the send attempts recorded for ``ids`` (accepted, retry, unknown, reconciled, failed …)."""
    rows = conn.execute(
        """SELECT payload->>'outcome', count(*) FROM messaging_messageevent
           WHERE message_id = ANY(%s) AND event_type = 'send_attempt' GROUP BY 1""",
        (ids,),
    ).fetchall()
    reconciled = conn.execute(
        "SELECT count(*) FROM messaging_messageevent WHERE message_id = ANY(%s) AND event_type = 'reconciled'", (ids,)
    ).fetchone()[0]
    unrecorded = conn.execute(
        """SELECT count(*) FROM messaging_message m WHERE m.id = ANY(%s) AND NOT EXISTS (
               SELECT 1 FROM messaging_messageevent e WHERE e.message_id = m.id AND e.event_type = 'send_attempt'
               AND e.payload->>'outcome' IN ('accepted', 'reconciled'))""",
        (ids,),
    ).fetchone()[0]
    return {**{str(k): v for k, v in rows}, "status_reconciled": reconciled, "no_accept_recorded": unrecorded}
