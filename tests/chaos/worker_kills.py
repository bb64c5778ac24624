"""A task worker killed with SIGKILL, again and again, while it hands sends to Twilio.

Two ``task_worker`` processes and ``reconcile_messages --loop`` run; the emulator answers each send a little
late (the message exists before the answer), so a kill usually lands between "Twilio took it" and "we
recorded it" — the hard case. Each kill prefers a worker with a task running, and a new worker replaces
it at once, as a process manager would. Promise: none lost, none sent twice (found by reconciliation,
never sent again).
"""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp

from . import outbound
from .load import ApiRun
from .record import Outcome, r
from .sizes import Sizes
from .stack import Stack, log, until

STALL = 0.15  # seconds the emulator holds each answer after creating the message
TAG = "kill"
SETTLE = 180.0  # a request cut by a kill is looked up only after delivery's in-flight grace (at least 60 s)


def handed_over(stack: Stack) -> int:
    """How many of this scenario's sends have left ``pending``."""
    with stack.pg.connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM messaging_message WHERE direction = 'out' AND body LIKE %s AND status <> 'pending'",
            (f"chaos {TAG} %",),
        ).fetchone()[0]


def running_workers(stack: Stack) -> set[str]:
    """Worker ids that have a task running right now (django-tasks' database backend)."""
    with stack.pg.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT worker_ids->>-1 FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
        )
        return {w for (w,) in rows if w}


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    assert stack.emulator is not None
    out = Outcome(
        key="worker-sigkill",
        title=f"Task worker SIGKILLed {sizes.kills} times during {sizes.kill_sends} sends",
        promise="none lost, none sent twice: cut sends are reconciled, never resent",
    )
    rng = random.Random(11)
    pool = stack.workers(2, "kill")
    reconciler = stack.reconciler()
    stack.emulator.faults(fail_next=10**6, stall_seconds=STALL)
    kills: list[dict[str, object]] = []
    sending: asyncio.Future[tuple[list[int], ApiRun]] | None = None
    try:
        contacts = outbound.Contacts(stack.contact_ids[-sizes.kill_sends :])
        sending = asyncio.ensure_future(outbound.send(stack, session, contacts.take(sizes.kill_sends), TAG))
        t0 = time.monotonic()
        for k in range(sizes.kills):
            # The k-th kill once (k + ½) / kills of the sends are past "pending", into a worker mid-task.
            threshold = sizes.kill_sends * (k + 0.5) / sizes.kills
            await until(lambda t=threshold: handed_over(stack) >= t, timeout=120, every=0.05)
            busy: list[str] = []
            deadline = time.monotonic() + 2
            while not busy and time.monotonic() < deadline:
                busy = sorted(running_workers(stack) & set(pool.procs))
                await asyncio.sleep(0.02)
            victim = rng.choice(busy or sorted(pool.procs))
            pool.kill(victim)
            kills.append({"at_s": r(time.monotonic() - t0, 1), "worker": victim, "was_running_a_task": bool(busy)})
        log(f"worker-sigkill: {len(kills)} kills done; waiting for every send to settle")
        ids, api = await sending
        stack.emulator.faults(fail_next=0)
        final, waited = await outbound.settle(stack, ids, timeout=SETTLE)
        counts = outbound.outcome(stack, ids, sizes.kill_sends)
        with stack.pg.connect() as conn:
            left_running = conn.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
                "AND NOT (worker_ids->>-1) = ANY(%s)", (list(pool.procs),)).fetchone()[0]  # fmt: skip
    finally:
        if sending is not None and not sending.done():
            sending.cancel()
        stack.emulator.faults(fail_next=0)
        pool.stop()
        reconciler.stop()
    out.sent, out.stored, out.duplicated, out.lost = (counts[k] for k in ("sent", "stored", "duplicated", "lost"))
    out.http_5xx = api.count_5xx()
    out.notes = {
        "kills": len(kills),
        "kills_during_a_task": sum(1 for k in kills if k["was_running_a_task"]),
        "final_statuses": counts["statuses"],
        "failed_reasons": counts["failed_reasons"],
        "twilio_received_twice": counts["twilio_received_twice"],
        "attempt_outcomes": counts["attempt_outcomes"],
        "tasks_left_running_by_killed_workers": left_running,
        "all_final": final,
        "settled_after_sends_s": r(waited, 1),
        "examples": counts["examples"],
        "kill_log": kills,
    }
    if not final:
        out.broken.append("not every send was final in time")
    return out
