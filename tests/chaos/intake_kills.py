"""The store-first intake while its processes are SIGKILLed (``intake-sigkill``).

A second server runs ``WEBHOOK_INTAKE=store-first`` (it keeps each signed post and answers) with two
``manage.py process_webhooks`` beside it. Inbound webhooks arrive at
``pg_rate`` per second, each posted twice (Twilio's duplicate deliveries), redelivered after any failure as
Twilio does. During the load a processor is SIGKILLed ``kills`` times (a new one replaces it at once), and
the server itself is SIGKILLed once and started again. Promise: every message answered 2xx stored exactly
once with its ``received`` event, every kept post applied, the threads' unread counts equal what arrived.
"""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp

from tests.bench.config import free_port

from .checks import conversation_consistency, inbound_outcome
from .load import inbound_webhook, redeliver
from .procs import PY, Proc, Server
from .record import Outcome, r
from .sizes import Sizes
from .stack import SMS_PATH, Stack, log, until

SENDERS = 20
SETTLE = 120.0


def pending_posts(stack: Stack) -> int:
    with stack.pg.connect() as conn:
        return conn.execute("SELECT count(*) FROM messaging_webhookpost WHERE applied_at IS NULL").fetchone()[0]


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    n = sizes.pg_webhooks
    out = Outcome(
        key="intake-sigkill",
        title=f"Store-first intake: processors SIGKILLed {sizes.kills} times and the server once, "
        f"during {n} inbound webhooks each posted twice",
        promise="every message answered 2xx stored exactly once; every kept post applied; unread counts exact",
    )
    rng = random.Random(23)
    env = stack.env(WEBHOOK_INTAKE="store-first", INTAKE_POLL_SECONDS="0.5")
    port = free_port()
    server = Server("intake", env, workers=2, port=port).start()
    await server.ready(session)
    spawned = 0

    def processor() -> Proc:
        nonlocal spawned
        spawned += 1
        proc = Proc(f"intake-processor-{spawned}", [PY, "manage.py", "process_webhooks"], env)
        stack.procs.append(proc)
        return proc

    processors = [processor(), processor()]
    senders = [f"+1628{5}{k:06d}" for k in range(SENDERS)]
    webhooks = [inbound_webhook(senders[i % SENDERS], f"chaos intake {i}") for i in range(n)]
    posted = [w for pair in zip(webhooks, webhooks, strict=True) for w in pair]  # each one twice, back to back
    duration = len(posted) / (2 * sizes.pg_rate)
    kills: list[dict[str, object]] = []
    t0 = time.monotonic()

    async def killer() -> None:
        for k in range(sizes.kills):
            await asyncio.sleep(max(0.0, t0 + duration * (k + 0.5) / sizes.kills - time.monotonic()))
            victim = rng.randrange(len(processors))
            processors[victim].kill()
            processors[victim] = processor()
            kills.append({"at_s": r(time.monotonic() - t0, 1), "what": "processor"})
            if k == sizes.kills // 2:  # and once the server, mid-load
                assert server.proc is not None
                server.proc.kill()
                kills.append({"at_s": r(time.monotonic() - t0, 1), "what": "server"})
                server.start()
                await server.ready(session)

    url = f"http://127.0.0.1:{port}{SMS_PATH}"
    try:
        load, _ = await asyncio.gather(redeliver(session, url, posted, rate=2 * sizes.pg_rate), killer())
        log(f"intake-sigkill: {len(kills)} kills done; waiting for every kept post to be applied")
        applied = await until(lambda: pending_posts(stack) == 0, timeout=SETTLE, every=0.5)
        settled_s = time.monotonic() - t0 - duration
        sids = [w["MessageSid"] for w in webhooks]
        with stack.pg.connect() as conn:
            counts = inbound_outcome(conn, sids, load.acked)
            consistency = conversation_consistency(conn, senders)
            outcomes = dict(conn.execute(
                "SELECT outcome, count(*) FROM messaging_webhookpost WHERE key = ANY(%s) GROUP BY outcome", (sids,)
            ).fetchall())  # fmt: skip
    finally:
        for proc in processors:
            proc.stop()
        server.stop()
    out.sent, out.stored, out.duplicated, out.lost = (counts[k] for k in ("sent", "stored", "duplicated", "lost"))
    out.http_5xx = load.count_5xx()
    out.notes = {
        "answers": load.statuses(),
        "attempts": len(load.answers),
        "max_deliveries_of_one_post": max(load.attempts.values(), default=0),
        "kills": kills,
        "all_applied": applied,
        "applied_after_load_s": r(settled_s, 1),
        "post_outcomes": outcomes,
        **{k: v for k, v in counts.items() if k not in {"sent", "stored", "duplicated", "lost"}},
        **consistency,
    }
    if not applied:
        out.broken.append(f"{pending_posts(stack)} kept posts not applied within {SETTLE:g} s")
    if counts["acked_not_stored"]:
        out.broken.append(f"{counts['acked_not_stored']} answered 2xx but not stored")
    if any(consistency.values()) or counts["stored_without_received_event"]:
        out.broken.append("half-written rows")
    return out
