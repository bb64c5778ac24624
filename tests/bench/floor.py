"""The floor: a raw ASGI app doing the webhooks' durable work with no framework (``make bench`` S9).

    uvicorn tests.bench.floor:app --workers 2   (FLOOR_DATABASE_URL, FLOOR_REDIS_URL, FLOOR_AUTH_TOKEN)

``POST /floor/sms-incoming``: the X-Twilio-Signature check (HMAC-SHA1 over the URL and the sorted
form fields, as Twilio signs), one SQL statement against our own schema and triggers (a CTE that
upserts the contact, upserts the conversation with unread + 1 and the preview, inserts the message
with its unique SID and its ``received`` event), one Redis publish. ``POST /floor/sms-status?m=<id>``:
the same check, one statement (the message's status moved up, its event inserted once), one publish.

What the floor leaves out, and smsinbox does not: opt-out keywords, media, notifications, the live
payloads' shapes, the database deadline, the failure policy. It is a lower bound on the cost of the
same stored result, not a second implementation: nothing outside the bench uses it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

AUTH_TOKEN = os.environ.get("FLOOR_AUTH_TOKEN", "").encode()
_pool: AsyncConnectionPool | None = None
_redis: aioredis.Redis | None = None

INBOUND = """
WITH num AS (SELECT id, organization_id FROM smsinbox_phonenumber WHERE number = %(to)s),
contact AS (
    INSERT INTO conversations_contact (organization_id, phone, first_name, last_name, opted_out_at, opt_out_method,
        opt_out_keyword, opt_out_message_id, notes, created_at, updated_at)
    SELECT organization_id, %(from)s, '', '', NULL, '', '', NULL, '', now(), now() FROM num
    ON CONFLICT (organization_id, phone) DO UPDATE SET updated_at = conversations_contact.updated_at
    RETURNING id, organization_id
),
conv AS (
    INSERT INTO conversations_conversation (organization_id, contact_id, phone_number_id, status, assignee_id,
        last_message_at, last_message_preview, unread_count, version, created_at, updated_at, snooze_until_reply)
    SELECT c.organization_id, c.id, num.id, 'open', NULL, now(), left(%(body)s, 100), 1, 0, now(), now(), false
    FROM contact c, num
    ON CONFLICT (organization_id, contact_id) DO UPDATE SET
        unread_count = conversations_conversation.unread_count + 1, last_message_at = EXCLUDED.last_message_at,
        last_message_preview = EXCLUDED.last_message_preview, updated_at = EXCLUDED.updated_at,
        version = conversations_conversation.version + 1
    RETURNING id, organization_id
),
msg AS (
    INSERT INTO messaging_message (organization_id, conversation_id, direction, twilio_sid, from_number, to_number,
        body, status, num_segments, encoding, num_media, price, price_unit, error_code, error_message, geo,
        sent_by_id, idempotency_key, created_at, updated_at, sent_at, delivered_at, send_attempts,
        dispatch_started_at, needs_lookup, automatic)
    SELECT conv.organization_id, conv.id, 'in', %(sid)s, %(from)s, %(to)s, %(body)s, 'received', 1, 'GSM-7', 0,
        NULL, '', NULL, '', '{}', NULL, NULL, now(), now(), NULL, NULL, 0, NULL, false, false
    FROM conv
    ON CONFLICT (twilio_sid) WHERE twilio_sid IS NOT NULL DO NOTHING
    RETURNING id, organization_id, conversation_id
),
event AS (
    INSERT INTO messaging_messageevent (message_id, event_type, status, error_code, error_message, payload,
        dedupe_key, created_at)
    SELECT id, 'received', 'received', NULL, '', '{}', NULL, now() FROM msg
)
SELECT id, organization_id, conversation_id FROM msg
"""

STATUS = """
WITH m AS (
    UPDATE messaging_message SET status = %(status)s::varchar, updated_at = now(),
        delivered_at = CASE WHEN %(status)s::varchar = 'delivered' THEN now() ELSE delivered_at END
    WHERE id = %(id)s AND twilio_sid = %(sid)s AND status_rank < 40
    RETURNING id, organization_id, conversation_id
),
event AS (
    INSERT INTO messaging_messageevent (message_id, event_type, status, error_code, error_message, payload,
        dedupe_key, created_at)
    SELECT id, 'status_callback', %(status)s::varchar, NULL, '', '{}', 'status:' || %(status)s::varchar || ':', now()
    FROM m
    ON CONFLICT (message_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
)
SELECT id, organization_id, conversation_id FROM m
"""


def signed(url: str, fields: dict[str, str], signature: str) -> bool:
    data = url + "".join(k + fields[k] for k in sorted(fields))
    digest = base64.b64encode(hmac.new(AUTH_TOKEN, data.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(digest, signature)


async def _read(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _answer(send: Any, status: int, body: bytes, content_type: bytes = b"text/xml") -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool, _redis
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                _pool = AsyncConnectionPool(os.environ["FLOOR_DATABASE_URL"], min_size=2, max_size=10, open=False)
                await _pool.open()
                _redis = aioredis.Redis.from_url(os.environ["FLOOR_REDIS_URL"])
                await send({"type": "lifespan.startup.complete"})
        if _pool is not None:
            await _pool.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    assert _pool is not None
    assert _redis is not None
    path, query = scope["path"], scope.get("query_string", b"").decode()
    body = await _read(receive)
    if path == "/floor/bare":
        await _answer(send, 200, b"ok", b"text/plain")
        return
    headers = dict(scope["headers"])
    host = headers.get(b"host", b"").decode()
    url = f"http://{host}{path}" + (f"?{query}" if query else "")
    fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
    if not signed(url, fields, headers.get(b"x-twilio-signature", b"").decode()):
        await _answer(send, 403, b"Invalid Twilio signature.", b"text/plain")
        return
    if path == "/floor/sms-incoming":
        sql, params = INBOUND, {"to": fields["To"], "from": fields["From"], "body": fields["Body"],
                                "sid": fields["MessageSid"]}  # fmt: skip
    elif path == "/floor/sms-status":
        message_id = int(parse_qs(query)["m"][0])
        sql, params = STATUS, {"status": fields["MessageStatus"], "id": message_id, "sid": fields["MessageSid"]}
    else:
        await _answer(send, 404, b"", b"text/plain")
        return
    async with _pool.connection() as conn:
        row = await (await conn.execute(sql, params)).fetchone()
    if row is not None:
        await _redis.publish(f"floor.org.{row[1]}", json.dumps({"message": row[0], "conversation": row[2]}))
    await _answer(send, 200, b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>')
