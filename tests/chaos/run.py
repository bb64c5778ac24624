"""``make chaos``: faults injected into real processes, each scenario counting sent / stored / duplicated / lost / 5xx.

    python -m tests.chaos.run [--quick] [--lenient] [--only KEY[,KEY…]] [--out chaos-results/latest.json]

Starts its own PostgreSQL and Redis (never the machine's shared ones), one uvicorn server with 2 workers
in production settings, the Twilio emulator (``manage.py twilio_emulator``), and per scenario the task
workers and reconciler it needs; runs the scenarios in order, prints one line each, writes the JSON
results, and removes everything it started, also on Ctrl-C or failure. ``python -m tests.chaos.report``
then turns the JSON into ``docs/reliability.md``. Exit status 1 when any scenario lost or duplicated a
message, failed to run, or broke any other promise it checks (such as answering within 5 s); the
report names each broken promise. ``--lenient`` / ``CHAOS_STRICT=0`` fails only on lost or duplicated
messages (to explore, never to judge a change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from tests.bench.report import machine

from . import (
    broadcast_kills,
    intake_kills,
    pgbouncer,
    postgres_outage,
    redis_outage,
    storm_hook,
    twilio_faults,
    worker_kills,
)
from .procs import RESULTS
from .record import Outcome
from .sizes import FULL, QUICK, Sizes
from .stack import Stack, log

ScenarioFn = Callable[[Stack, aiohttp.ClientSession, Sizes], Awaitable[Outcome]]


def _postgres(mode: str) -> ScenarioFn:
    async def scenario(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
        return await postgres_outage.run(stack, session, sizes, mode)

    return scenario


SCENARIOS: list[tuple[str, ScenarioFn]] = [
    ("postgres-stop", _postgres("stop")),
    ("postgres-pause", _postgres("pause")),
    ("redis-stop", redis_outage.run),
    ("twilio-faults", twilio_faults.run),
    ("worker-sigkill", worker_kills.run),
    ("broadcast-sigkill", broadcast_kills.run),  # tests/chaos/broadcast_kills.py: a broadcast under SIGKILLs
    ("intake-sigkill", intake_kills.run),  # tests/chaos/intake_kills.py: the store-first intake under SIGKILLs
    ("pgbouncer", pgbouncer.run),  # tests/chaos/pgbouncer.py: the same faults through PgBouncer, transaction mode
    # ---- HOOK: the large retry storm (2,000 inbound × 3 copies + 1,000 outbound with duplicated, shuffled
    # callbacks) lives in tests/reliability/storm.py (``run_storm``), written by another engineer; storm_hook
    # runs it when that module exists and records "skipped" otherwise. ----
    ("retry-storm", storm_hook.run),
]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


async def run_all(stack: Stack, sizes: Sizes, only: set[str]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await stack.up(session)
        for key, scenario in SCENARIOS:
            if only and key not in only:
                continue
            log(f"--- {key} ---")
            started = time.perf_counter()
            try:
                outcome = await scenario(stack, session, sizes)
            except Exception as exc:  # one scenario's crash is reported; the others still run
                traceback.print_exc()
                outcome = Outcome(key=key, title=key, promise="", error=f"{type(exc).__name__}: {exc}")
            outcome.seconds = round(time.perf_counter() - started, 1)
            outcomes.append(outcome)
            log(outcome.line())
            if stack.server is not None and not stack.server.alive():
                log("the server died: the remaining scenarios cannot run")
                break
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("CHAOS_QUICK", "") not in {"", "0"})
    parser.add_argument("--only", default="", help="Comma-separated scenario keys (default: all).")
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    parser.add_argument(
        "--lenient",
        dest="strict",
        action="store_false",
        default=os.environ.get("CHAOS_STRICT", "1").strip() not in {"0", "false", "no", "off"},
        help="Exit 1 only on lost or duplicated messages, not on other broken promises (CHAOS_STRICT=0).",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    only = {k.strip() for k in args.only.split(",") if k.strip()}
    unknown = only - {k for k, _ in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; known: {', '.join(k for k, _ in SCENARIOS)}")
    signal.signal(signal.SIGTERM, _interrupt)
    RESULTS.mkdir(exist_ok=True)
    for old in RESULTS.glob("*.log"):  # each run's process logs start empty
        old.unlink()
    started = time.perf_counter()
    loadavg_start = Path("/proc/loadavg").read_text().split()[:3]
    stack = Stack(contacts=sizes.contacts)
    outcomes: list[Outcome] = []
    error: str | None = None
    try:
        outcomes = asyncio.run(run_all(stack, sizes, only))
    except (Exception, KeyboardInterrupt) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {error}")
        if not isinstance(exc, KeyboardInterrupt):
            traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        stack.down()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log("stopped every process and removed the throwaway PostgreSQL and Redis")
    elapsed = round(time.perf_counter() - started, 1)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "quick" if args.quick else "full",
        "elapsed_s": elapsed,
        "machine": {**machine(), "loadavg_at_start": loadavg_start},
        "sizes": sizes.__dict__,
        "error": error,
        "scenarios": [o.as_dict() for o in outcomes],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nsmsinbox chaos ({report['mode']}): {elapsed} s\n")
    for o in outcomes:
        verdict = "ok" if o.ok or o.skipped else "FAILED" if not o.safe else "PROMISE BROKEN"
        print(f"{verdict:<15} {o.line()}")
    print(f"\nwrote {out}")
    failed = error is not None or not outcomes or any(not o.safe for o in outcomes)
    broken = any(o.broken for o in outcomes)
    return 1 if failed or (args.strict and broken) else 0


if __name__ == "__main__":
    sys.exit(main())
