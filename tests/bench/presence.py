"""S8, presence (issue 15): fan-out latency and the cost of heartbeats, over real websockets and Redis.

* **Fan-out**: a second member of staff types in a thread (``{"type": "presence", …, "state": "typing"}`` on
  their websocket, on the 2-worker server); ``clients`` websockets of the first member (half on the 2-worker
  server, half on the second server) hear ``presence.changed``. Latency: from the frame sent to its arrival at
  each client; p50 / p99 / max over every (round, client). Rounds are spaced past the consumer's repeat filter.
* **Heartbeats**: ``staff`` websockets (two members, alternating) each say "viewing" every heartbeat
  (``smsinbox.presence.HEARTBEAT_MS``, staggered) for ``seconds``; Redis commands per second (``INFO stats``,
  minus an idle window of the same length with the same websockets connected: the Redis is shared) and the
  servers' CPU (every uvicorn process, in % of one core), and the presence frames delivered per second
  (a heartbeat is published only every ``REFRESH_PUBLISH_MS``; each reaches the other member's websockets).

``python -m tests.bench.presence`` runs S8 alone (own database and servers, as ``make bench``; writes
``bench-results/presence.json``); ``make bench`` runs it after S4.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis
import websockets
import yarl

from smsinbox.presence import HEARTBEAT_MS, MIN_FRAME_INTERVAL_MS
from tests.bench.alone import run_alone
from tests.bench.config import PASSWORD, USERNAME, log, pct
from tests.bench.harness import Server, children, cpu_seconds

TYPIST = "bench-typist"


def add_typist(bench: Any) -> int:
    """A second member of the organization (presence is not sent back to its own user); their user id."""
    code = (
        "from smsinbox.models import Organization, User\n"
        "from smsinbox.services import membership_create\n"
        f"user = User.objects.create_user(username={TYPIST!r}, password={PASSWORD!r})\n"
        f"membership_create(organization=Organization.objects.get(pk={bench.ids['org']}), user=user)\n"
        "print(user.pk)\n"
    )
    return int(bench.manage("shell", "-c", code).strip().splitlines()[-1])


async def login(server: Server, username: str) -> str:
    """A session cookie for ``username`` (a session of its own: its own cookie jar)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{server.url}/accounts/login/") as response:
            await response.read()
        csrf = session.cookie_jar.filter_cookies(yarl.URL(server.url))["csrftoken"].value
        data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        headers = {"Referer": f"{server.url}/accounts/login/"}
        async with session.post(
            f"{server.url}/accounts/login/", data=data, headers=headers, allow_redirects=False
        ) as response:
            await response.read()
            if response.status != 302:
                raise RuntimeError(f"login as {username} answered {response.status}")
        return session.cookie_jar.filter_cookies(yarl.URL(server.url))["sessionid"].value


async def open_socket(server: Server, organization: int, sessionid: str) -> Any:
    return await websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws/inbox/?organization={organization}",
        additional_headers={"Cookie": f"sessionid={sessionid}", "Origin": server.url},
        open_timeout=20,
        max_queue=None,
    )


async def open_many(servers: list[Server], organization: int, sessions: list[str], n: int) -> list[Any]:
    """``n`` websockets, alternating servers and sessions, connected in batches of 50."""
    sockets: list[Any] = []
    for start in range(0, n, 50):
        batch = range(start, min(n, start + 50))
        sockets += await asyncio.gather(
            *(open_socket(servers[i % len(servers)], organization, sessions[i % len(sessions)]) for i in batch)
        )
    return sockets


def conversation_ids(bench: Any, n: int) -> list[int]:
    with bench.db.connect() as conn:
        rows = conn.execute(
            "SELECT id FROM conversations_conversation WHERE organization_id = %s ORDER BY id LIMIT %s",
            (bench.ids["org"], n),
        ).fetchall()
    return [row[0] for row in rows]


def frame(conversation_id: int, state: str) -> str:
    return json.dumps({"type": "presence", "conversationId": conversation_id, "state": state})


async def fan_out(bench: Any, main: Server, other: Server, *, clients: int, rounds: int) -> dict[str, Any]:
    organization = bench.ids["org"]
    typist_id = bench.ids.get("typist") or add_typist(bench)
    bench.ids["typist"] = typist_id
    watcher_session, typist_session = await login(main, USERNAME), await login(main, TYPIST)
    conversation = conversation_ids(bench, 1)[0]
    receivers = await open_many([main, other], organization, [watcher_session], clients)
    typist = await open_socket(main, organization, typist_session)
    arrivals: list[list[float]] = [[] for _ in receivers]

    async def reader(i: int, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                now = time.perf_counter()
                data = json.loads(text)
                payload = data.get("payload") or {}
                ours = payload.get("userId") == typist_id and payload.get("state") == "typing"
                if data.get("type") == "presence.changed" and ours:
                    arrivals[i].append(now)

    readers = [asyncio.ensure_future(reader(i, ws)) for i, ws in enumerate(receivers)]
    await asyncio.sleep(0.3)
    latencies, same, cross, missing = [], [], [], 0
    for k in range(rounds):
        t0 = time.perf_counter()
        await typist.send(frame(conversation, "typing"))
        deadline = time.perf_counter() + 5
        while any(len(seen) <= k for seen in arrivals) and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
        for i, seen in enumerate(arrivals):
            if len(seen) <= k:
                missing += 1
                seen.append(float("nan"))  # keep rounds aligned
                continue
            ms = (seen[k] - t0) * 1000
            latencies.append(ms)
            (same if i % 2 == 0 else cross).append(ms)
        await asyncio.sleep(max(0.0, MIN_FRAME_INTERVAL_MS / 1000 + 0.1 - (time.perf_counter() - t0)))
    await typist.close()
    for ws in receivers:
        await ws.close()
    for task in readers:
        task.cancel()
    return {
        "clients": clients, "rounds": rounds,
        "p50_ms": _r(pct(latencies, 50)), "p99_ms": _r(pct(latencies, 99)), "max_ms": _r(max(latencies or [0])),
        "p99_on_typists_server_ms": _r(pct(same, 99)), "p99_on_other_server_ms": _r(pct(cross, 99)),
        "missing_frames": missing, "target_p99_ms": 150,
    }  # fmt: skip


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _redis_commands(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


def _server_pids(servers: list[Server]) -> list[int]:
    pids = []
    for server in servers:
        assert server.proc is not None
        pids += [server.proc.pid, *children(server.proc.pid)]
    return pids


async def heartbeats(bench: Any, main: Server, other: Server, *, staff: int, seconds: float) -> dict[str, Any]:
    organization = bench.ids["org"]
    if "typist" not in bench.ids:
        bench.ids["typist"] = add_typist(bench)
    sessions = [await login(main, USERNAME), await login(main, TYPIST)]
    threads = conversation_ids(bench, 50)
    sockets = await open_many([main, other], organization, sessions, staff)
    received = [0]

    async def reader(ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                if '"presence.changed"' in text:
                    received[0] += 1

    readers = [asyncio.ensure_future(reader(ws)) for ws in sockets]
    pids = _server_pids([main, other])

    async def window(beating: bool) -> tuple[float, float, int]:
        commands, cpu, frames = _redis_commands(bench.redis_url), cpu_seconds(pids), received[0]
        started = time.perf_counter()
        if beating:
            period = HEARTBEAT_MS / 1000

            async def beat(i: int, ws: Any) -> None:
                await asyncio.sleep(period * i / len(sockets))  # staggered, as pages opened over time are
                while time.perf_counter() - started < seconds:
                    await ws.send(frame(threads[i % len(threads)], "viewing"))
                    await asyncio.sleep(period)

            await asyncio.gather(*(beat(i, ws) for i, ws in enumerate(sockets)))
        await asyncio.sleep(max(0.0, seconds - (time.perf_counter() - started)))
        elapsed = time.perf_counter() - started
        return (
            (_redis_commands(bench.redis_url) - commands) / elapsed,
            (cpu_seconds(pids) - cpu) / elapsed * 100,
            round((received[0] - frames) / elapsed),
        )

    idle_ops, idle_cpu, _ = await window(beating=False)
    ops, cpu, frames_per_s = await window(beating=True)
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    return {
        "staff": staff, "seconds": seconds, "heartbeat_ms": HEARTBEAT_MS,
        "heartbeats_per_s": round(staff / (HEARTBEAT_MS / 1000), 1),
        "redis_ops_per_s": round(ops), "redis_ops_per_s_idle": round(idle_ops),
        "redis_ops_per_s_for_presence": round(ops - idle_ops),
        "server_cpu_pct_of_one_core": round(cpu, 1), "server_cpu_pct_idle": round(idle_cpu, 1),
        "presence_frames_delivered_per_s": frames_per_s,
        "note": "Redis is shared with whatever else runs: idle window subtracted",
    }  # fmt: skip


async def s8_presence(bench: Any, main: Server, other: Server) -> None:
    quick = bench.quick
    log("S8 presence fan-out to 100 clients on two server processes …")
    fan = await fan_out(bench, main, other, clients=100, rounds=10 if quick else 40)
    log(f"S8 presence heartbeats of {'40' if quick else '200'} connected staff …")
    cost = await heartbeats(bench, main, other, staff=40 if quick else 200, seconds=3 if quick else 10)
    loadavg = Path("/proc/loadavg").read_text().split()[:3]  # the machine may be shared: read the CPU figures with it
    bench.results["s8_presence"] = {"fan_out": fan, "heartbeats": cost, "loadavg_at_end": loadavg}


async def _alone(bench: Any) -> None:
    bench.setup()
    main = Server("main", bench.env(), workers=2, port=bench.main_port).start()
    other = Server("second", bench.env(), workers=1).start()
    bench.servers += [main, other]
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(main.ready(session), other.ready(session))
    await s8_presence(bench, main, other)


def main() -> int:
    return run_alone(_alone, key="s8_presence", name="presence", small=True)  # S8 needs the small seed only


if __name__ == "__main__":
    sys.exit(main())
