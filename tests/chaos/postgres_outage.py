"""PostgreSQL stopped (``pg_ctl stop -m immediate``) or paused (SIGSTOP) during inbound webhook load.

Promise: webhooks answer 5xx within 5 s while it is away, nothing is half-written; once it is back, the
redelivered messages are stored exactly once and the same server processes serve again (no restart).
A ``task_worker`` runs throughout; whether it is still alive afterwards is recorded.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter

import aiohttp

from tests.bench.config import pct
from tests.bench.harness import children

from .checks import conversation_consistency, inbound_outcome
from .load import Answer, inbound_webhook, post_once, redeliver
from .record import Outcome, r
from .sizes import Sizes
from .stack import SMS_PATH, Stack, log

# The promise's bound. CHAOS_PROMISE_5XX_WITHIN only exists to prove that a broken promise fails the run: with
# it set below what any answer takes (0.001), ``make chaos`` must exit 1 and name the promise.
PROMISE_5XX_WITHIN = float(os.environ.get("CHAOS_PROMISE_5XX_WITHIN", "5.0"))
SENDERS = 20


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes, mode: str) -> Outcome:
    """``mode``: ``stop`` (pg_ctl stop -m immediate, then start) or ``pause`` (SIGSTOP / SIGCONT)."""
    assert stack.server is not None
    assert stack.server.proc is not None
    key = f"postgres-{mode}"
    out = Outcome(
        key=key,
        title=f"PostgreSQL {'stopped' if mode == 'stop' else 'paused'} during webhook load",
        promise=f"5xx within {PROMISE_5XX_WITHIN:g} s while down, nothing half-written; "
        "redelivered messages stored once; no restart",
    )
    region = 7 if mode == "stop" else 8
    senders = [f"+1628{region}{k:06d}" for k in range(SENDERS)]
    webhooks = [inbound_webhook(senders[i % SENDERS], f"chaos {key} {i}") for i in range(sizes.pg_webhooks)]
    server_pids = {stack.server.proc.pid, *children(stack.server.proc.pid)}
    worker = stack.workers(1, key)
    times: dict[str, float] = {}
    url = stack.url + SMS_PATH
    probe = inbound_webhook(f"+1628{region}999998", f"chaos {key} probe")
    probe_answers: list[Answer] = []

    async def fault() -> None:
        await asyncio.sleep(sizes.pg_fault_at)
        if mode == "stop":
            await asyncio.to_thread(stack.pg.stop, "immediate")
        else:
            out.notes["processes_frozen"] = stack.pg.pause()
        times["down"] = time.monotonic()
        log(f"{key}: PostgreSQL {'stopped' if mode == 'stop' else 'paused'} for {sizes.pg_down:g} s")
        try:
            await asyncio.sleep(sizes.pg_down)
        finally:  # back whatever happens, or the next scenarios would find it gone
            times["up"] = time.monotonic()
            if mode == "stop":
                await asyncio.to_thread(stack.pg.start)
            else:
                stack.pg.resume()
            times["back"] = time.monotonic()
        log(f"{key}: PostgreSQL back")
        # How soon the servers store again: one webhook posted every 0.2 s until it is answered 2xx.
        token = str(uuid.uuid4())
        while time.monotonic() - times["back"] < 60:
            answer = await post_once(session, url, probe, token)
            probe_answers.append(answer)
            if answer.status and 200 <= answer.status < 300:
                times["recovered"] = answer.started + answer.seconds
                return
            await asyncio.sleep(0.2)

    load, _ = await asyncio.gather(redeliver(session, url, webhooks, rate=sizes.pg_rate, max_attempts=15), fault())
    down, up = times["down"], times["up"]
    while_down = load.window(down, up)
    first_5xx = min((a.started + a.seconds for a in load.answers if a.started >= down and a.status
                     and a.status >= 500), default=None)  # fmt: skip
    slow = [a for a in while_down if a.seconds > PROMISE_5XX_WITHIN]
    wrong_ok = [a for a in while_down if a.status and 200 <= a.status < 300 and a.started + a.seconds < up]

    # The same server processes still serve: one more webhook after the storm, answered 200.
    check = await redeliver(session, url, [inbound_webhook(f"+1628{region}999999", f"chaos {key} after")],
                            rate=1, max_attempts=1)  # fmt: skip
    same_pids = {stack.server.proc.pid, *children(stack.server.proc.pid)} == server_pids
    with stack.pg.connect() as conn:
        acked = load.acked | ({probe["MessageSid"]} if "recovered" in times else set())
        counts = inbound_outcome(conn, [*load.sids, probe["MessageSid"]], acked)
        consistency = conversation_consistency(conn, senders)
    out.sent, out.stored, out.duplicated, out.lost = (counts[k] for k in ("sent", "stored", "duplicated", "lost"))
    out.http_5xx = load.count_5xx() + sum(1 for a in probe_answers if (a.status or 0) >= 500)
    answered_down = [a.seconds for a in while_down if a.status is not None]
    out.notes = {
        **out.notes,
        "down_s": sizes.pg_down,
        "attempts": len(load.answers),
        "answers": load.statuses(),
        "time_to_first_5xx_s": r(first_5xx - down) if first_5xx else None,
        "attempts_while_down": len(while_down),
        "max_response_while_down_s": r(max((a.seconds for a in while_down), default=None)),
        "p50_response_while_down_s": r(pct(answered_down, 50)),
        "slower_than_5s_while_down": len(slow),
        "no_answer_within_15s": sum(1 for a in load.answers if a.error == "timeout"),
        "2xx_answered_while_down": len(wrong_ok),
        "stores_again_after_back_s": r(times["recovered"] - times["back"]) if "recovered" in times else None,
        "probe_answers_after_back": dict(Counter(str(a.status or a.error) for a in probe_answers)),
        "5xx_after_back": sum(1 for a in load.answers if a.started >= times["back"] and (a.status or 0) >= 500),
        "max_deliveries_of_one_message": max(load.attempts.values(), default=0),
        **{k: v for k, v in counts.items() if k not in {"sent", "stored", "duplicated", "lost"}},
        **consistency,
        "served_after_without_restart": bool(check.acked) and same_pids,
        "worker_alive_after": worker.alive() == 1,
    }
    if slow:
        out.broken.append(f"{len(slow)} answers slower than {PROMISE_5XX_WITHIN:g} s while down "
                          f"(max {out.notes['max_response_while_down_s']} s)")  # fmt: skip
    if any(consistency.values()) or counts["stored_without_received_event"]:
        out.broken.append("half-written rows")
    if not out.notes["served_after_without_restart"]:
        out.broken.append("server did not serve again without a restart")
    if counts["acked_not_stored"]:
        out.broken.append(f"{counts['acked_not_stored']} answered 2xx but not stored")
    worker.stop()
    return out
