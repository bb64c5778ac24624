"""S13, the store-first webhook intake (``WEBHOOK_INTAKE=store-first``), measured against the floor (S9).

A server like the main one but with the store-first intake, and ``manage.py process_webhooks``
beside it (two: ``BENCH_INTAKE_PROCESSORS``; woken by PostgreSQL's NOTIFY), on the same 2 cores:

- **acknowledged**: inbound webhooks and status callbacks answered per second (16 clients, closed loop) while the
  processor applies them, as a ratio to the floor's inbound and status figures of the same run;
- **processed**: posts applied per second over the same load, from the first post's arrival to the last one's
  application (``received_at`` → ``applied_at`` in ``messaging_webhookpost``);
- **half rate**: inbound at half the acknowledged rate (open loop): the answers' p99 and the intake lag's
  (arrival to applied, in the database) p50/p99;
- **burst**: ``burst_posts`` inbound webhooks at an even pace over ``burst_seconds`` (20,000 in 60 s at full
  size): answers that were not 2xx or not answered at all, and how long after the burst's end the last one is
  in its thread.

``python -m tests.bench.intake [--quick]`` runs S9's floor and S13 alone.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import aiohttp

from tests.bench.config import PY, log, pct, ratio
from tests.bench.harness import Proc, Server, seed_sent_outbound
from tests.bench.load import inbound, open_loop, status_callback

INTAKE_ENV = {"WEBHOOK_INTAKE": "store-first", "INTAKE_POLL_SECONDS": "1"}
PROCESSORS = int(os.environ.get("BENCH_INTAKE_PROCESSORS", "2"))  # one per core


def _applied(bench: Any, route: str, since_id: int) -> dict[str, Any]:
    """Posts of ``route`` kept after ``since_id``: how many, how many applied, the span and the lags (ms)."""
    with bench.db.connect() as conn:
        rows = conn.execute(
            "SELECT received_at, applied_at FROM messaging_webhookpost WHERE route = %s AND id > %s",
            (route, since_id),
        ).fetchall()
    applied = [(r, a) for r, a in rows if a is not None]
    if not applied:
        return {"kept": len(rows), "applied": 0}
    first = min(r for r, _ in rows)
    last = max(a for _, a in applied)
    span = (last - first).total_seconds()
    lags = [(a - r).total_seconds() * 1000 for r, a in applied]
    return {
        "kept": len(rows), "applied": len(applied), "span_s": round(span, 2),
        "applied_per_s": round(len(applied) / span, 1) if span > 0 else None,
        "lag_p50_ms": round(pct(lags, 50), 1), "lag_p99_ms": round(pct(lags, 99), 1), "last_applied": last,
    }  # fmt: skip


def _last_id(bench: Any) -> int:
    with bench.db.connect() as conn:
        return conn.execute("SELECT COALESCE(max(id), 0) FROM messaging_webhookpost").fetchone()[0]


async def _drained(bench: Any, timeout: float) -> float | None:
    """Seconds until no post is left unapplied (``None``: not within ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with bench.db.connect() as conn:
            left = conn.execute("SELECT count(*) FROM messaging_webhookpost WHERE applied_at IS NULL").fetchone()[0]
        if not left:
            return round(time.monotonic() - started, 2)
        await asyncio.sleep(0.1)
    return None


async def s13_intake(bench: Any, session: aiohttp.ClientSession) -> None:
    s = bench.sizes
    budget = int((s.duration + s.warmup) * 2500)
    env = bench.env(**INTAKE_ENV)
    server = Server("intake", env, workers=2).start()
    bench.servers.append(server)
    processors = [Proc(f"intake-processor-{i}", [PY, "manage.py", "process_webhooks"], env) for i in range(PROCESSORS)]
    bench.procs.extend(processors)
    await server.ready(session)
    out: dict[str, Any] = {"server": "uvicorn --workers 2, WEBHOOK_INTAKE=store-first", "processors": PROCESSORS}
    drain_timeout = 120 if bench.quick else 300

    log(f"S13 store-first intake: inbound acknowledged while {PROCESSORS} processor(s) apply …")
    since = _last_id(bench)
    ack = await bench.measured(session, server, [inbound(server.url, p) for p in bench.contacts_with_thread(budget)])
    out["drained_after_inbound_s"] = await _drained(bench, drain_timeout)
    out["inbound"] = {"acknowledged": ack, "processed": _applied(bench, "inbound", since)}

    with bench.db.connect() as conn:
        rows = seed_sent_outbound(conn, bench.ids["org"], budget, tag="intake", body="Intake")
    log("S13 store-first intake: status callbacks …")
    since = _last_id(bench)
    st = await bench.measured(session, server, [status_callback(server.url, m, sid, to) for m, sid, to in rows])
    out["drained_after_status_s"] = await _drained(bench, drain_timeout)
    out["status"] = {"acknowledged": st, "processed": _applied(bench, "status", since)}

    half = (ack["rps"] or 0) / 2
    if half:
        log(f"S13 store-first intake: inbound at half that rate ({half:.0f}/s) …")
        since = _last_id(bench)
        more = [inbound(server.url, p) for p in bench.contacts_with_thread(int(half * s.duration) + 1)]
        h = (await open_loop(session, more, half, s.duration)).summary()
        await _drained(bench, drain_timeout)
        out["half_rate"] = {"rate": round(half, 1), "answers": h, "processed": _applied(bench, "inbound", since)}

    rate = s.burst_posts / s.burst_seconds
    log(f"S13 burst: {s.burst_posts} inbound webhooks in {s.burst_seconds:g} s ({rate:.0f}/s) …")
    since = _last_id(bench)
    posts = [inbound(server.url, p) for p in bench.contacts_with_thread(s.burst_posts)]
    burst = await open_loop(session, posts, rate, s.burst_seconds)
    drained = await _drained(bench, drain_timeout)
    summary = burst.summary()
    bad = sum(n for code, n in burst.statuses.items() if not 200 <= code < 300) + burst.errors
    out["burst"] = {
        "posts": s.burst_posts, "seconds": s.burst_seconds, "answers": summary, "not_2xx_or_unanswered": bad,
        "all_in_threads_after_end_s": drained,  # measured from the burst's last answer
        "processed": _applied(bench, "inbound", since),
    }  # fmt: skip
    for processor in processors:
        processor.stop()
    server.stop()
    bench.servers.remove(server)
    for part in ("inbound", "status"):
        out[part]["processed"].pop("last_applied", None)
    for part in ("half_rate", "burst"):
        out.get(part, {}).get("processed", {}).pop("last_applied", None)
    floor = bench.results.get("s9_floor", {})
    f_in = (floor.get("floor_inbound") or {}).get("rps")
    f_st = (floor.get("floor_status") or {}).get("rps")
    out["ratios"] = {
        "inbound_acknowledged_over_floor": ratio(ack["rps"], f_in),
        "inbound_processed_over_floor": ratio(out["inbound"]["processed"].get("applied_per_s"), f_in),
        "status_acknowledged_over_floor": ratio(st["rps"], f_st),
        "status_processed_over_floor": ratio(out["status"]["processed"].get("applied_per_s"), f_st),
    }
    bench.results["s13_intake"] = out


async def _alone(bench: Any) -> None:
    from tests.bench.floor_run import s9_floor

    bench.setup()
    main = Server("main", bench.env(), workers=2, port=bench.main_port).start()
    bench.servers.append(main)
    timeout = aiohttp.ClientTimeout(total=15)  # Twilio's: an answer later than this is a timeout
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256), timeout=timeout) as session:
        await main.ready(session)
        await s9_floor(bench, session, main)
        main.stop()
        bench.servers.remove(main)
        await s13_intake(bench, session)


def main() -> int:
    from tests.bench.alone import run_alone

    return run_alone(_alone, key="s13_intake", name="intake")


if __name__ == "__main__":
    sys.exit(main())
