"""A broadcast while its task workers are SIGKILLed, again and again (``broadcast-sigkill``).

One broadcast (``POST /api/broadcasts/``) to ``Sizes.broadcast_recipients`` seeded contacts, each text unique
(``{{contact.name}}``: the seeded last names are numbered) so the emulator's copies can be counted per message.
Two ``task_worker`` processes run it; each kill (once ``(k + ½) / kills`` of the recipients are handed over)
prefers a worker with a task running, and a new worker replaces it at once. The kick sweep
(``broadcasts_kick``, with a short staleness here) restarts the broadcast whose run died. Promise: every
recipient texted exactly once — none lost, none sent twice (``broadcast:<id>:<recipient>`` idempotency keys).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import aiohttp

from . import outbound
from .record import Outcome, r
from .sizes import Sizes
from .stack import Stack, log, until
from .worker_kills import running_workers

TAG = "bcast"
SETTLE = 180.0


def handed_over(stack: Stack, broadcast_id: int) -> int:
    with stack.pg.connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM messaging_broadcastrecipient WHERE broadcast_id = %s AND status <> 'queued'",
            (broadcast_id,),
        ).fetchone()[0]


def state(stack: Stack, broadcast_id: int) -> str:
    with stack.pg.connect() as conn:
        return conn.execute("SELECT state FROM messaging_broadcast WHERE id = %s", (broadcast_id,)).fetchone()[0]


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    assert stack.emulator is not None
    n = sizes.broadcast_recipients
    out = Outcome(
        key="broadcast-sigkill",
        title=f"Task worker SIGKILLed {sizes.kills} times during a broadcast to {n} contacts",
        promise="every recipient texted exactly once: none lost, none sent twice",
    )
    rng = random.Random(17)
    contacts = stack.contact_ids[:n]
    body = f"chaos {TAG} {uuid.uuid4().hex[:8]} {{{{contact.name}}}}"
    async with session.post(
        f"{stack.url}/api/broadcasts/",
        json={"message": body, "contactIds": contacts},
        headers={"Authorization": f"Token {stack.token}"},
    ) as answer:
        created = await answer.json()
        if answer.status != 201:
            out.error = f"POST /api/broadcasts/ answered {answer.status}: {created}"
            return out
    broadcast_id = created["id"]
    # A run killed mid-way is restarted by the kick once its heartbeat is 3 s old (production: 30 s).
    pool = stack.workers(2, TAG, BROADCAST_STALE_SECONDS="3", BROADCAST_KICK_SECONDS="1")
    reconciler = stack.reconciler()
    kills: list[dict[str, object]] = []
    t0 = time.monotonic()
    try:
        for k in range(sizes.kills):
            threshold = n * (k + 0.5) / sizes.kills
            await until(lambda t=threshold: handed_over(stack, broadcast_id) >= t, timeout=180, every=0.05)
            busy: list[str] = []
            deadline = time.monotonic() + 2
            while not busy and time.monotonic() < deadline:
                busy = sorted(running_workers(stack) & set(pool.procs))
                await asyncio.sleep(0.02)
            victim = rng.choice(busy or sorted(pool.procs))
            pool.kill(victim)
            kills.append({"at_s": r(time.monotonic() - t0, 1), "worker": victim, "was_running_a_task": bool(busy)})
        log(f"broadcast-sigkill: {len(kills)} kills done; waiting for the broadcast to finish")
        finished = await until(lambda: state(stack, broadcast_id) == "done", timeout=SETTLE, every=0.5)
        with stack.pg.connect() as conn:
            ids = [row[0] for row in conn.execute(
                "SELECT message_id FROM messaging_broadcastrecipient WHERE broadcast_id = %s "
                "AND message_id IS NOT NULL", (broadcast_id,))]  # fmt: skip
            per_recipient = conn.execute(
                "SELECT count(*) FROM messaging_message WHERE idempotency_key LIKE %s",
                (f"broadcast:{broadcast_id}:%",),
            ).fetchone()[0]
        final, waited = await outbound.settle(stack, ids, timeout=SETTLE)
        counts = outbound.outcome(stack, ids, n)
    finally:
        pool.stop()
        reconciler.stop()
    out.sent, out.stored, out.duplicated, out.lost = (counts[k] for k in ("sent", "stored", "duplicated", "lost"))
    out.notes = {
        "broadcast_done": finished,
        "messages_stored_for_the_broadcast": per_recipient,
        "kills": len(kills),
        "kills_during_a_task": sum(1 for k in kills if k["was_running_a_task"]),
        "final_statuses": counts["statuses"],
        "twilio_received_twice": counts["twilio_received_twice"],
        "all_final": final,
        "settled_after_s": r(waited, 1),
        "examples": counts["examples"],
        "kill_log": kills,
    }
    if not finished:
        out.broken.append("the broadcast did not finish in time")
    if per_recipient != n:
        out.broken.append(f"{per_recipient} messages stored for {n} recipients")
    if not final:
        out.broken.append("not every text was final in time")
    return out
