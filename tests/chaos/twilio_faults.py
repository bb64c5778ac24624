"""Twilio failing or slow: the emulator answers 5xx, 429, too late (after or without creating), or is down.

Each phase arms the emulator's faults for the next create-Message requests (``POST /_emulator/faults``),
sends a batch through the API with 2 ``task_worker`` processes and the reconciler running, and waits until
every message is final. Promise: sends are retried and end delivered, or failed with a reason; none is
lost (left unfinished, or told failed while Twilio has it), none reaches Twilio twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp

from . import outbound
from .record import Outcome, r
from .sizes import Sizes
from .stack import WORKER_ENV, Stack, log

TIMEOUT = float(WORKER_ENV["TWILIO_HTTP_TIMEOUT"])


def phases(sizes: Sizes) -> list[tuple[str, dict[str, Any], str]]:
    """``(name, faults, what it means)``; ``fail_next`` 0 below means "for the outage seconds"."""
    n = sizes.twilio_faults
    late = TIMEOUT + 1.5
    return [
        ("500", {"fail_next": n, "status": 500}, "500: fate unknown, looked up, then sent again"),
        ("503", {"fail_next": n, "status": 503}, "503: fate unknown, looked up, then sent again"),
        ("429", {"fail_next": n, "status": 429}, "rate-limited: not sent, retried with backoff"),
        ("timeout-created", {"fail_next": n, "stall_seconds": late},
         f"answer after our {TIMEOUT:g} s timeout, message created: settled by its callbacks or a lookup, not resent"),
        ("timeout-503", {"fail_next": n, "status": 503, "stall_seconds": late},
         "503 after our timeout, nothing created: looked up, then sent again"),
        ("slow", {"fail_next": n, "stall_seconds": TIMEOUT * 0.6}, "slow answers within the timeout"),
        ("outage-503", {"fail_next": 0, "status": 503},
         f"every create answers 503 for {sizes.twilio_outage:g} s"),
    ]  # fmt: skip


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    assert stack.emulator is not None
    out = Outcome(
        key="twilio-faults",
        title="Twilio failing, slow, timing out, rate-limiting",
        promise="sends retried; each ends delivered or failed with a reason; none lost, none sent twice",
    )
    contacts = outbound.Contacts(stack.contact_ids)
    workers = stack.workers(2, "twilio")
    reconciler = stack.reconciler()
    per_phase: dict[str, Any] = {}
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    api_5xx = 0
    try:
        for name, faults, meaning in phases(sizes):
            outage = faults["fail_next"] == 0
            armed = {**faults, "fail_next": 10**6} if outage else faults
            stack.emulator.faults(**armed)
            started = time.monotonic()
            if outage:
                asyncio.get_running_loop().call_later(sizes.twilio_outage, lambda: stack.emulator.faults(fail_next=0))
            ids, api = await outbound.send(stack, session, contacts.take(sizes.twilio_sends), f"twilio-{name}")
            final, waited = await outbound.settle(stack, ids, timeout=120)
            if outage:
                await asyncio.sleep(max(0.0, started + sizes.twilio_outage - time.monotonic()))
            stack.emulator.faults(fail_next=0)
            counts = outbound.outcome(stack, ids, sizes.twilio_sends)
            api_5xx += api.count_5xx()
            for k in ("sent", "stored", "duplicated", "lost"):
                setattr(out, k, getattr(out, k) + counts[k])
            statuses.update(counts["statuses"])
            reasons.update(counts["failed_reasons"])
            per_phase[name] = {
                "means": meaning, "faults": faults, "statuses": counts["statuses"], "all_final": final,
                "settled_in_s": r(time.monotonic() - started, 1), "max_send_attempts": counts["max_send_attempts"],
                "attempt_outcomes": counts["attempt_outcomes"], "lost": counts["lost"],
                "twilio_received_twice": counts["twilio_received_twice"], "examples": counts["examples"],
            }  # fmt: skip
            log(f"twilio-faults {name}: {counts['statuses']} in {waited:.1f} s, lost {counts['lost']}, "
                f"twice at Twilio {counts['twilio_received_twice']}")  # fmt: skip
    finally:
        stack.emulator.faults(fail_next=0)
        workers.stop()
        reconciler.stop()
    out.http_5xx = api_5xx
    out.notes = {
        "final_statuses": dict(statuses),
        "failed_reasons": dict(reasons),
        "twilio_received_twice": out.duplicated,
        "workers": 2,
        "twilio_http_timeout_s": TIMEOUT,
        "phases": per_phase,
    }
    return out
