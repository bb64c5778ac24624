"""Redis killed while inbox clients are connected and texts keep arriving.

Promise: webhooks still answer 2xx and store while Redis is down; within 5 s of its return, every websocket
client has reconnected and resynced (clients wait at most 4 s between attempts, as ``static/js/reconnect.js``);
every message is then on every client's screen (the thread it has open shows each message of that thread,
and its conversation list shows each thread's latest activity).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import aiohttp
import yarl

from .checks import inbound_outcome
from .load import inbound_webhook, redeliver
from .record import Outcome, r
from .sizes import Sizes
from .stack import PASSWORD, SMS_PATH, USERNAME, Stack, log, until
from .wsclient import InboxClient

THREADS = 4
PROMISE_RESYNC_WITHIN = 5.0  # seconds after Redis answers again


def _stale(row: dict[str, Any] | None, latest: datetime) -> bool:
    """Whether a conversation row on screen is older than the thread's last message."""
    shown = (row or {}).get("lastMessageAt")  # as the page hears it (camelCase)
    return not shown or datetime.fromisoformat(shown) < latest


async def login(session: aiohttp.ClientSession, base: str) -> str:
    """Log in through the login form; return the ``Cookie`` header of the session."""
    async with session.get(f"{base}/accounts/login/") as response:
        await response.read()
    csrf = session.cookie_jar.filter_cookies(yarl.URL(base)).get("csrftoken")
    if csrf is None:
        raise RuntimeError("no CSRF cookie on the login page")
    data = {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf.value}
    async with session.post(f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"},
                            allow_redirects=False) as response:  # fmt: skip
        await response.read()
        if response.status != 302:
            raise RuntimeError(f"login answered {response.status}")
    sessionid = session.cookie_jar.filter_cookies(yarl.URL(base)).get("sessionid")
    if sessionid is None:
        raise RuntimeError("no session cookie after login")
    return f"sessionid={sessionid.value}; csrftoken={csrf.value}"


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    out = Outcome(
        key="redis-stop",
        title="Redis killed with inbox clients connected",
        promise="webhooks still 2xx and stored; clients reconnect and resync within 5 s of its return; "
        "nothing missing in any inbox",
    )
    url = stack.url + SMS_PATH
    senders = [f"+16290000{k:03d}" for k in range(THREADS)]
    first = await redeliver(session, url, [inbound_webhook(s, f"chaos redis opening {s}") for s in senders], rate=20)
    with stack.pg.connect() as conn:
        threads = [row[0] for row in conn.execute(
            """SELECT v.id FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
               WHERE c.phone = ANY(%s) ORDER BY c.phone""", (senders,))]  # fmt: skip
    if len(threads) != THREADS:
        raise RuntimeError(f"expected {THREADS} threads, found {len(threads)}")

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        cookie = await login(browser, stack.url)
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout) as browser:
        clients = [InboxClient(stack.url, cookie, stack.ids["org"], threads[i % THREADS], seed=i)
                   for i in range(sizes.redis_clients)]  # fmt: skip
        await asyncio.gather(*(c.load_page(browser) for c in clients))
        tasks = [asyncio.ensure_future(c.run(browser)) for c in clients]
        try:
            if not await until(lambda: all(c.opened for c in clients), timeout=30):
                raise RuntimeError("not every client connected")
            before, during, after = sizes.redis_webhooks

            def batch(n: int, tag: str) -> list[dict[str, str]]:
                return [inbound_webhook(senders[i % THREADS], f"chaos redis {tag} {i}") for i in range(n)]

            loads = [first, await redeliver(session, url, batch(before, "before"), rate=20)]
            await asyncio.sleep(1)
            killed = time.monotonic()
            stack.redis.kill()
            log(f"redis-stop: Redis killed; {during} webhooks while it is down")
            down_load = await redeliver(session, url, batch(during, "during"), rate=max(10.0, during / 4))
            loads.append(down_load)
            await asyncio.sleep(max(0.0, killed + sizes.redis_down - time.monotonic()))
            stack.redis.start()
            back = time.monotonic()
            log("redis-stop: Redis back (empty); waiting for clients to reconnect and resync")
            reconnected = await until(lambda: all(any(t > back for t in c.synced) for c in clients), timeout=90)
            live_from = time.monotonic()
            loads.append(await redeliver(session, url, batch(after, "after"), rate=20))
            with stack.pg.connect() as conn:
                all_sids = [s for load in loads for s in load.sids]
                want = {t: {row[0] for row in conn.execute(
                    "SELECT id FROM messaging_message WHERE conversation_id = %s AND twilio_sid = ANY(%s)",
                    (t, all_sids))} for t in threads}  # fmt: skip
                latest = dict(
                    conn.execute(
                        "SELECT id, last_message_at FROM conversations_conversation WHERE id = ANY(%s)", (threads,)
                    ).fetchall()
                )
            await until(lambda: all(want[c.conversation_id] <= c.seen for c in clients), timeout=15)
            seen_live = time.monotonic() - live_from
        finally:
            for c in clients:
                c.stop()
            await asyncio.gather(*tasks, return_exceptions=True)

    acked = {s for load in loads for s in load.acked}
    with stack.pg.connect() as conn:
        counts = inbound_outcome(conn, all_sids, acked)
    missing_pairs = sum(len(want[c.conversation_id] - c.seen) for c in clients)
    missing_messages = set().union(*(want[c.conversation_id] - c.seen for c in clients))
    stale_rows = sum(1 for c in clients for t in threads if _stale(c.rows.get(t), latest[t]))
    reconnect = [min((t for t in c.opened if t > back), default=None) for c in clients]
    resync = [min((t for t in c.synced if t > back), default=None) for c in clients]
    out.sent, out.stored, out.duplicated = counts["sent"], counts["stored"], counts["duplicated"]
    out.lost = counts["lost"] + len(missing_messages)
    out.http_5xx = sum(load.count_5xx() for load in loads)
    out.notes = {
        "clients": len(clients),
        "down_s": sizes.redis_down,
        "webhooks_before_during_after": [before, during, after],
        "answers_while_down": down_load.statuses(),
        "max_webhook_response_while_down_s": r(max((a.seconds for a in down_load.answers), default=None)),
        "clients_disconnected_by_outage": sum(1 for c in clients if any(killed <= t for t in c.closed)),
        "clients_reconnected_and_resynced": sum(1 for t in resync if t is not None),
        "max_reconnect_after_back_s": r(max((t - back for t in reconnect if t), default=None)),
        "max_resync_after_back_s": r(max((t - back for t in resync if t), default=None)),
        "all_resynced": reconnected,
        "failed_connect_attempts": sum(c.failed_connects for c in clients),
        "messages_missing_on_a_client": len(missing_messages),
        "client_message_pairs_missing": missing_pairs,
        "stale_conversation_rows": stale_rows,
        "after_return_all_seen_within_s": r(seen_live),
        "frames_received": sum(c.frames for c in clients),
        **{k: v for k, v in counts.items() if k in {"acked_not_stored", "never_acked"}},
    }
    if counts["never_acked"] or any(a.status != 200 for a in down_load.answers):
        out.broken.append("a webhook was not answered 2xx at once while Redis was down")
    if not reconnected:
        out.broken.append("not every client reconnected and resynced")
    elif (out.notes["max_resync_after_back_s"] or 0) > PROMISE_RESYNC_WITHIN:
        out.broken.append(f"a client resynced {out.notes['max_resync_after_back_s']} s after Redis returned "
                          f"(promise: {PROMISE_RESYNC_WITHIN:g} s)")  # fmt: skip
    if stale_rows:
        out.broken.append(f"{stale_rows} stale conversation rows on clients")
    return out
