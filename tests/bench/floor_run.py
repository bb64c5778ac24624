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

from tests.bench.config import AUTH_TOKEN, PY, log, ratio
from tests.bench.harness import Proc, Server, children, seed_sent_outbound
from tests.bench.load import inbound, status_callback


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
    with bench.db.connect() as conn:  # sent messages of its own for the floor's status callbacks
        rows = seed_sent_outbound(conn, bench.ids["org"], budget, tag="floor", body="Floor")
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
