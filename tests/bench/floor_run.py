"""S9, the floor (``tests/bench/floor.py``): the same durable work with no framework, measured in this run.

Every inbound and status figure is reported as a ratio to the floor and to the bare Django view,
each measured here back to back on the same machine (the floor server has 2 workers, as the main one).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from tests.bench.config import AUTH_TOKEN, NUMBER, PY, log, ratio
from tests.bench.harness import Proc, Server, children
from tests.bench.load import inbound, status_callback


def seed_floor_outbound(bench: Any, n: int) -> list[tuple[int, str, str]]:
    """``n`` more outbound messages in 'sent' for the floor's status callbacks (their own SIDs)."""
    with bench.db.connect() as conn:
        return conn.execute(
            """
            WITH convs AS (
                SELECT v.id, c.phone, row_number() OVER (ORDER BY v.id) - 1 AS k
                FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
                WHERE v.organization_id = %(org)s ORDER BY v.id LIMIT 100
            )
            INSERT INTO messaging_message (organization_id, conversation_id, direction, twilio_sid, from_number,
                to_number, body, status, num_segments, encoding, num_media, price, price_unit, error_code,
                error_message, geo, sent_by_id, idempotency_key, created_at, updated_at, sent_at, delivered_at,
                send_attempts, dispatch_started_at, needs_lookup)
            SELECT %(org)s, convs.id, 'out', 'SM' || md5('floor' || i), %(to)s, convs.phone, 'Floor ' || i,
                   'sent', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, now(), now(), now(), NULL, 1, NULL,
                   false
            FROM generate_series(1, %(n)s::int) AS i JOIN convs ON convs.k = i %% 100
            RETURNING id, twilio_sid, to_number
            """,
            {"org": bench.ids["org"], "to": NUMBER, "n": n},
        ).fetchall()


class FloorServer(Server):
    def start(self) -> FloorServer:
        env = {**self.env, "FLOOR_DATABASE_URL": self.env["DATABASE_URL"], "FLOOR_REDIS_URL": self.env["REDIS_URL"],
               "FLOOR_AUTH_TOKEN": AUTH_TOKEN}  # fmt: skip
        args = [PY, "-m", "uvicorn", "tests.bench.floor:app", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--no-access-log", "--timeout-graceful-shutdown", "3"]  # fmt: skip
        self.proc = Proc(f"server-{self.label}", args, env)
        return self

    async def ready(self, session: aiohttp.ClientSession, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline and self.proc.proc.poll() is None:
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                async with session.post(f"{self.url}/floor/bare") as response:
                    if response.status == 200 and len(children(self.proc.pid)) >= self.workers:
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"floor server did not start:\n{self.proc.tail()}")


async def s9_floor(bench: Any, session: aiohttp.ClientSession, main: Server) -> None:
    s = bench.sizes
    budget = int((s.duration + s.warmup) * 1500)
    floor = FloorServer("floor", bench.env(), workers=2).start()
    bench.servers.append(floor)
    await floor.ready(session)
    rows = seed_floor_outbound(bench, budget)
    log("S9 the floor (raw ASGI, one statement, one publish) vs bare view, inbound and status …")
    bare = await bench.measured(session, main, [inbound(main.url, p, path="/bench/bare")
                                                for p in bench.contacts_with_thread(budget)])  # fmt: skip
    fin = await bench.measured(session, floor, [inbound(floor.url, p, path="/floor/sms-incoming")
                                                for p in bench.contacts_with_thread(budget)])  # fmt: skip
    fst = await bench.measured(session, floor, [status_callback(floor.url, mid, sid, to, path="/floor/sms-status")
                                                for mid, sid, to in rows])  # fmt: skip
    floor.stop()
    bench.servers.remove(floor)
    s1, s2 = bench.results.get("s1_inbound", {}), bench.results.get("s2_status", {})
    inbound_rps = (s1.get("inbound") or {}).get("rps")
    status_rps = (s2.get("status") or {}).get("rps")
    bench.results["s9_floor"] = {
        "bare": bare, "floor_inbound": fin, "floor_status": fst,
        "floor_inbound_over_bare": ratio(fin["rps"], bare["rps"]),
        "inbound_over_floor": ratio(inbound_rps, fin["rps"]), "inbound_over_bare": ratio(inbound_rps, bare["rps"]),
        "status_over_floor": ratio(status_rps, fst["rps"]), "status_over_bare": ratio(status_rps, bare["rps"]),
        "what": "tests/bench/floor.py: raw ASGI, HMAC check, one SQL statement, one Redis publish, 2 workers",
    }  # fmt: skip
