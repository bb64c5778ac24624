"""S9, outgoing webhooks (issue 23): their cost on the inbound path, and how fast the task workers deliver them.

* **Inbound cost**: the same closed loop of signed inbound webhooks as S1, first with the organization's one
  endpoint paused (the outbox finds no subscriber: one indexed query), then active and subscribed to
  ``message.received`` (each text also writes its event, its delivery and the delivery's task, in the same
  transaction). Figures: req/s and CPU ms/request of both, and their ratio. No worker runs meanwhile.
* **Delivery throughput**: ``WEBHOOK_WORKERS`` task workers (``manage.py task_worker``) deliver the events the
  second loop wrote to a local receiver that checks every signature; deliveries per second between the first
  and the last arrival, and how many arrived verified.

``python -m tests.bench.webhooks [--quick] [--db NAME]`` runs S9 alone (own database — ``NAME`` if given, dropped
at the end — and servers; writes ``bench-results/webhooks.json``); ``make bench`` runs it after S1.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp

from tests.bench.alone import run_alone
from tests.bench.config import log
from tests.bench.harness import Proc, Server
from tests.bench.load import inbound
from tests.smsinbox.integrations.receiver import Receiver

WEBHOOK_WORKERS = 2
PY = sys.executable


def _endpoint(bench: Any, url: str) -> int:
    with bench.db.connect() as conn:
        return conn.execute(
            """
            INSERT INTO smsinbox_webhookendpoint (organization_id, url, description, event_types, secret, active,
                paused_reason, failing_since, created_at, updated_at)
            VALUES (%s, %s, 'bench receiver', '["message.received"]', 'whsec_bench', false, '', NULL, now(), now())
            RETURNING id
            """,
            (bench.ids["org"], url),
        ).fetchone()[0]


def _set_active(bench: Any, endpoint_id: int, active: bool) -> None:
    with bench.db.connect() as conn:
        conn.execute("UPDATE smsinbox_webhookendpoint SET active = %s WHERE id = %s", (active, endpoint_id))


def _pending(bench: Any) -> int:
    with bench.db.connect() as conn:
        return conn.execute("SELECT count(*) FROM smsinbox_webhookdelivery WHERE status = 'pending'").fetchone()[0]


async def s9_webhooks(bench: Any, session: aiohttp.ClientSession, main: Server) -> None:
    s = bench.sizes
    receiver = Receiver(secret="whsec_bench").start()
    try:
        endpoint_id = _endpoint(bench, receiver.url)
        budget = int((s.duration + s.warmup) * 1500)

        def posts() -> list:
            return [inbound(main.url, p) for p in bench.contacts_with_thread(budget)]

        log("S9 inbound webhook without a subscribed endpoint, then with one …")
        without = await bench.measured(session, main, posts())
        _set_active(bench, endpoint_id, True)
        with_hook = await bench.measured(session, main, posts())
        events = _pending(bench)
        cpu = (without["cpu_ms_per_request"], with_hook["cpu_ms_per_request"])
        inbound_cost = {
            "without": without,
            "with_endpoint": with_hook,
            "ratio_rps": round(with_hook["rps"] / without["rps"], 2) if without["rps"] else None,
            "cpu_ms_per_request_more": round(cpu[1] - cpu[0], 2) if None not in cpu else None,
            "events_written": events,
        }
        log(f"S9 delivering {events} events with {WEBHOOK_WORKERS} workers to a local receiver …")
        env = bench.env(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1")
        procs = [
            Proc(f"worker-webhooks-{w}", [PY, "manage.py", "task_worker", "--interval", "0.1",
                                          "--worker-id", f"bench-webhooks-{w}"], env)
            for w in range(WEBHOOK_WORKERS)
        ]  # fmt: skip
        bench.procs += procs
        deadline = time.monotonic() + (60 if bench.quick else 180)
        try:
            while time.monotonic() < deadline and len(receiver.heard) < events:
                await asyncio.sleep(0.2)
        finally:
            for proc in procs:
                proc.stop()
        times = sorted(h.at for h in receiver.heard)
        span = times[-1] - times[0] if len(times) > 1 else None
        delivery = {
            "events": events,
            "delivered": len(receiver.heard),
            "verified": sum(h.verified for h in receiver.heard),
            "distinct_ids": len({h.event_id for h in receiver.heard}),
            "workers": WEBHOOK_WORKERS,
            "per_s": round((len(times) - 1) / span, 1) if span else None,
        }
        _set_active(bench, endpoint_id, False)
    finally:
        receiver.stop()
    bench.results["s9_webhooks"] = {"inbound": inbound_cost, "delivery": delivery}


async def _alone(bench: Any) -> None:
    bench.setup()
    main = Server("main", bench.env(), workers=2, port=bench.main_port).start()
    bench.servers.append(main)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128)) as session:
        await main.ready(session)
        await s9_webhooks(bench, session, main)


def main() -> int:
    return run_alone(_alone, key="s9_webhooks", name="webhooks")


if __name__ == "__main__":
    sys.exit(main())
