"""The scenarios of ``make bench``, run in order against one set of servers (S8, presence: ``presence.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import time
import uuid
from typing import Any

import aiohttp
import psycopg
import websockets
import yarl

from messaging.twilio.emulator import TwilioEmulator
from tests.bench.broadcasts import s12_broadcasts
from tests.bench.config import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    NUMBER,
    ORG_NAME,
    OUTBOUND_WORKERS,
    PASSWORD,
    PY,
    ROOT,
    SECRET_KEY,
    USERNAME,
    Sizes,
    contact_phone,
    free_port,
    log,
    pct,
    ratio,
)
from tests.bench.floor_run import s9_floor
from tests.bench.harness import (
    Database,
    Proc,
    Server,
    children,
    cpu_seconds,
    rss_mb,
    seed_contacts,
    seed_conversations,
    seed_thread_and_outbound,
)
from tests.bench.intake import s13_intake
from tests.bench.load import closed_loop, inbound, open_loop, post_once, round2, status_callback
from tests.bench.presence import s8_presence
from tests.bench.webhooks import s9_webhooks

# --- the run -------------------------------------------------------------------------------


class Bench:
    def __init__(self, sizes: Sizes, quick: bool) -> None:
        self.sizes, self.quick = sizes, quick
        self.results: dict[str, Any] = {}
        self.rng = random.Random(7)
        admin = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
        self.db = Database(admin)
        self.redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        self.emulator_port = free_port()
        self.procs: list[Proc] = []
        self.servers: list[Server] = []
        self.ids: dict[str, int] = {}
        self.conversations = 0  # contacts 1..conversations have a thread
        # Where the emulator posts status callbacks and workers point StatusCallback: the main server.
        self.main_port = free_port()
        self.public_url = f"http://127.0.0.1:{self.main_port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_", "TWILIO_", "SEND_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.bench.settings", DEBUG="0", SECRET_KEY=SECRET_KEY,
            DATABASE_URL=self.db.url, REDIS_URL=self.redis_url, ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_API_BASE_URL=f"http://127.0.0.1:{self.emulator_port}", TWILIO_EMULATOR_PORT=str(self.emulator_port),
            LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", PUBLIC_BASE_URL=self.public_url,
        )  # fmt: skip
        env.update(extra)
        return env

    def manage(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=env or self.env(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    # --- setup ---

    def setup(self) -> None:
        t = time.perf_counter()
        self.db.create()
        self.manage("migrate", "--noinput")
        self.manage("setup_org", "--name", ORG_NAME, "--number", NUMBER, "--username", USERNAME, "--password", PASSWORD)
        log(f"database {self.db.name} migrated in {time.perf_counter() - t:.1f} s")
        with self.db.connect() as conn:
            org = conn.execute("SELECT id FROM smsinbox_organization WHERE name = %s", (ORG_NAME,)).fetchone()[0]
            num = conn.execute("SELECT id FROM smsinbox_phonenumber WHERE organization_id = %s", (org,)).fetchone()[0]
            self.ids = {"org": org, "number": num}
            t = time.perf_counter()
            s = self.sizes
            seed_contacts(conn, self.ids, 1, s.contacts_small)
            seed_conversations(conn, self.ids, 1, s.conversations_small)
            self.conversations = s.conversations_small
            seeded = seed_thread_and_outbound(conn, self.ids, s.outbound_seeded)
            self.outbound_rows, self.thread_id = seeded["outbound"], seeded["thread_id"]
            conn.execute("ANALYZE")
            self.results["seed_small_s"] = round(time.perf_counter() - t, 2)
        log(f"seeded {s.contacts_small} contacts, {s.conversations_small} conversations, "
            f"{s.outbound_seeded} sent messages in {self.results['seed_small_s']} s")  # fmt: skip

    def seed_large(self) -> None:
        s = self.sizes
        t = time.perf_counter()
        with self.db.connect() as conn:
            seed_contacts(conn, self.ids, s.contacts_small + 1, s.contacts_large)
            t_contacts = time.perf_counter() - t
            # The large inbox: conversations for contacts beyond the small set, newest activity older than the 100.
            seed_conversations(conn, self.ids, s.contacts_small + 1, s.contacts_small + s.conversations_large - 100)
            conn.execute("ANALYZE")
        self.conversations_large_range = (s.contacts_small + 1, s.contacts_small + s.conversations_large - 100)
        self.results["seed_large"] = {
            "contacts": s.contacts_large, "conversations": s.conversations_large,
            "contacts_s": round(t_contacts, 2), "total_s": round(time.perf_counter() - t, 2),
        }  # fmt: skip
        log(f"seeded up to {s.contacts_large} contacts ({t_contacts:.1f} s) and {s.conversations_large} "
            f"conversations in {time.perf_counter() - t:.1f} s")  # fmt: skip

    # --- scenarios ---

    def contacts_with_thread(self, n: int, large: bool = False) -> list[str]:
        if large:
            lo, hi = self.conversations_large_range
            return [contact_phone(self.rng.randint(lo, hi)) for _ in range(n)]
        return [contact_phone(self.rng.randint(1, self.conversations)) for _ in range(n)]

    async def measured(self, session: aiohttp.ClientSession, main: Server, requests: list) -> dict[str, Any]:
        """A closed loop, with the CPU time the server's workers spent per answer (warmup included)."""
        s = self.sizes
        assert main.proc is not None
        workers = children(main.proc.pid)
        before = cpu_seconds(workers)
        load = await closed_loop(session, requests, s.concurrency, s.duration, s.warmup)
        spent = cpu_seconds(workers) - before
        per_request = round(spent * 1000 / load.answered, 2) if load.answered else None
        return {**load.summary(), "cpu_ms_per_request": per_request}

    async def s1_inbound(self, session: aiohttp.ClientSession, main: Server) -> None:
        s = self.sizes
        budget = int((s.duration + s.warmup) * 1500)  # more than the server answers in the window (checked)

        def posts(path: str) -> list:
            return [inbound(main.url, p, path=path) for p in self.contacts_with_thread(budget)]

        log("S1 inbound webhook vs bare view; the webhooks' checks without the database, Django vs DRF …")
        b = await self.measured(session, main, posts("/bench/bare"))
        dj = await self.measured(session, main, posts("/bench/django-signed"))
        drf = await self.measured(session, main, posts("/bench/drf-signed"))
        r = await self.measured(session, main, posts("/api/twilio/sms-incoming"))
        cpu = (dj["cpu_ms_per_request"], drf["cpu_ms_per_request"])
        out = {"concurrency": s.concurrency, "seconds": s.duration, "bare": b, "inbound": r,
               "ratio_rps": ratio(r["rps"], b["rps"]),
               "signed": {"django": dj, "drf": drf, "ratio_rps_drf_over_django": ratio(drf["rps"], dj["rps"]),
                          "ratio_rps_drf_over_bare": ratio(drf["rps"], b["rps"]),
                          "drf_cpu_ms_per_request_more": round(cpu[1] - cpu[0], 2) if None not in cpu else None,
                          "what": "no database work: /bench/django-signed (the checks as before DRF) vs "
                                  "/bench/drf-signed (the webhooks' DRF base class); tests/bench/urls.py"}}  # fmt: skip
        if r["rps"]:
            half = r["rps"] / 2
            more = [inbound(main.url, p) for p in self.contacts_with_thread(int(half * s.duration) + 1)]
            h = (await open_loop(session, more, half, s.duration)).summary()
            out["half_rate"] = {"rate": round(half, 1), **h}
        self.results["s1_inbound"] = out

    async def s2_status(self, session: aiohttp.ClientSession, main: Server) -> None:
        s = self.sizes
        rows = list(self.outbound_rows)
        self.rng.shuffle(rows)
        bare = [inbound(main.url, p, path="/bench/bare") for p in self.contacts_with_thread(len(rows))]
        reqs = [status_callback(main.url, mid, sid, to) for mid, sid, to in rows]
        log("S2 status callbacks vs bare view …")
        b = await self.measured(session, main, bare)
        r = await self.measured(session, main, reqs)
        self.results["s2_status"] = {
            "concurrency": s.concurrency, "seconds": s.duration, "bare": b, "status": r,
            "ratio_rps": ratio(r["rps"], b["rps"]),
            "note": "each callback moves one seeded 'sent' message to delivered",
        }  # fmt: skip

    async def s3_costs(self, session: aiohttp.ClientSession, main: Server, cookies: dict[str, str], tag: str) -> None:
        s = self.sizes
        large = tag == "large"
        lat, queries = [], []
        for phone in self.contacts_with_thread(s.latency_requests, large=large):
            status, ms, headers = await post_once(session, inbound(main.url, phone), None)
            if status == 200:
                lat.append(ms)
                queries.append(int(headers.get("X-Bench-Queries", "-1")))

        async def render(path: str) -> tuple[list[float], int]:
            times, q = [], -1
            for _ in range(s.render_requests):
                t0 = time.perf_counter()
                async with session.get(main.url + path, cookies=cookies, allow_redirects=False) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"GET {path} answered {response.status}")
                    q = int(response.headers.get("X-Bench-Queries", "-1"))
                times.append((time.perf_counter() - t0) * 1000)
            return times, q

        inbox, inbox_q = await render("/")
        thread, thread_q = await render(f"/c/{self.thread_id}/")
        with self.db.connect() as conn:
            counts = conn.execute(
                """SELECT (SELECT count(*) FROM conversations_contact),
                          (SELECT count(*) FROM conversations_conversation),
                          (SELECT count(*) FROM messaging_message)"""
            ).fetchone()
        self.results.setdefault("s3_costs", {})[tag] = {
            "contacts": counts[0], "conversations": counts[1], "messages": counts[2],
            "inbound_p50_ms": round2(pct(lat, 50)), "inbound_queries": sorted(set(queries)),
            "inbox_p50_ms": round2(pct(inbox, 50)), "inbox_queries": inbox_q,
            "thread_p50_ms": round2(pct(thread, 50)), "thread_queries": thread_q,
        }  # fmt: skip

    async def login(self, session: aiohttp.ClientSession, main: Server) -> dict[str, str]:
        async with session.get(f"{main.url}/accounts/login/") as response:
            await response.read()
        csrf = session.cookie_jar.filter_cookies(yarl.URL(main.url)).get("csrftoken")
        assert csrf is not None, "no CSRF cookie on the login page"
        data = {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf.value}
        async with session.post(
            f"{main.url}/accounts/login/", data=data, headers={"Referer": f"{main.url}/accounts/login/"},
            allow_redirects=False,
        ) as response:  # fmt: skip
            await response.read()
            if response.status != 302:
                raise RuntimeError(f"login answered {response.status}")
        sessionid = session.cookie_jar.filter_cookies(yarl.URL(main.url)).get("sessionid")
        assert sessionid is not None, "no session cookie after login"
        return {"sessionid": sessionid.value}

    async def s4_push(
        self, session: aiohttp.ClientSession, main: Server, other: Server, cookies: dict[str, str], clients: int
    ) -> None:
        """``clients`` websockets (half on the 2-worker server, half on the second server); webhooks to the first."""
        s = self.sizes
        cookie = f"sessionid={cookies['sessionid']}"
        arrivals: dict[str, dict[int, float]] = {}
        sockets = []

        async def connect(i: int) -> Any:
            server = main if i % 2 == 0 else other
            uri = f"ws://127.0.0.1:{server.port}/ws/inbox/?organization={self.ids['org']}"
            ws = await websockets.connect(
                uri, additional_headers={"Cookie": cookie, "Origin": server.url}, open_timeout=20, max_queue=None
            )
            return ws

        async def reader(i: int, ws: Any) -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for frame in ws:
                    now = time.perf_counter()
                    text = frame if isinstance(frame, str) else frame.decode()
                    for marker, seen in arrivals.items():
                        if marker in text and i not in seen:
                            seen[i] = now

        t = time.perf_counter()
        for start in range(0, clients, 50):  # connect in batches, as browsers would over a few moments
            sockets += await asyncio.gather(*(connect(i) for i in range(start, min(clients, start + 50))))
        connect_s = time.perf_counter() - t
        readers = [asyncio.ensure_future(reader(i, ws)) for i, ws in enumerate(sockets)]
        await asyncio.sleep(0.3)
        latencies, same, cross, missing, retried = [], [], [], 0, 0
        slowest: list[float | None] = []  # per webhook: its last client's frame (is a tail one webhook or all?)
        for k in range(s.push_webhooks):
            marker = f"push-{uuid.uuid4().hex[:12]}"
            arrivals[marker] = {}
            req = inbound(main.url, self.contacts_with_thread(1)[0], body=f"Live {marker}")
            t0 = time.perf_counter()
            status, _, _ = await post_once(session, req, None)
            if status < 0:  # a kept-alive connection the server had just closed: post again, as Twilio would
                retried += 1
                t0 = time.perf_counter()
                status, _, _ = await post_once(session, req, None)
            if status != 200:
                raise RuntimeError(f"push webhook {k} answered {status}")
            deadline = time.perf_counter() + 5
            while len(arrivals[marker]) < clients and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            seen = arrivals.pop(marker)
            missing += clients - len(seen)
            for i, at in seen.items():
                ms = (at - t0) * 1000
                latencies.append(ms)
                (same if i % 2 == 0 else cross).append(ms)
            slowest.append(round2(max(((at - t0) * 1000 for at in seen.values()), default=0)))
            await asyncio.sleep(0.1)
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
        self.results.setdefault("s4_push", {})[str(clients)] = {
            "clients": clients, "webhooks": s.push_webhooks, "connect_s": round(connect_s, 2),
            "p50_ms": round2(pct(latencies, 50)), "p99_ms": round2(pct(latencies, 99)),
            "max_ms": round2(max(latencies or [0])),
            "p50_on_posting_server_ms": round2(pct(same, 50)), "p50_on_other_server_ms": round2(pct(cross, 50)),
            "missing_frames": missing, "webhooks_posted_again": retried, "slowest_client_ms_per_webhook": slowest,
        }  # fmt: skip

    def enqueue(self, n: int, tag: str) -> None:
        code = (
            "from conversations.models import Contact\n"
            "from smsinbox.models import Organization\n"
            "from messaging.services.outbound import message_send\n"
            f"org = Organization.objects.get(pk={self.ids['org']})\n"
            f"phones = {[contact_phone(i) for i in range(1, 51)]!r}\n"
            "contacts = list(Contact.objects.filter(organization=org, phone__in=phones))\n"
            f"for i in range({n}):\n"
            "    message_send(organization=org, sender=None, contact=contacts[i % len(contacts)],\n"
            f"                 body='{tag} %d' % i)\n"
        )
        self.manage("shell", "-c", code)

    def send_times(self, tag: str) -> list[float]:
        """When each send of ``tag`` reached the emulator (Twilio's side of the wire)."""
        return sorted(t for t, body in list(self.emulator_sends) if body.startswith(tag + " "))

    async def drain(self, tag: str, n: int, workers: int, env: dict[str, str], timeout: float) -> list[float]:
        procs = [
            Proc(
                f"worker-{tag}-{w}",
                [PY, "manage.py", "task_worker", "--interval", "0.1", "--worker-id", f"bench-{tag}-{w}"],
                env,
            )
            for w in range(workers)
        ]
        self.procs += procs
        deadline = time.monotonic() + timeout
        times: list[float] = []
        try:
            while time.monotonic() < deadline:
                times = self.send_times(tag)
                if len(times) >= n:
                    break
                await asyncio.sleep(0.2)
            self.results.setdefault("s7_memory", {})[f"db_worker_{tag}_mb"] = [rss_mb(p.pid) for p in procs]
        finally:
            for p in procs:
                p.stop()
        return times

    async def s5_outbound(self) -> None:
        s = self.sizes
        workers = OUTBOUND_WORKERS
        log(f"S5 outbound: {s.outbound_messages} messages, rate limit off, {workers} workers, no status callbacks …")
        self.enqueue(s.outbound_messages, "bench-send")
        # Without a public URL the workers ask Twilio for no status callbacks: the send path alone.
        env = self.env(SEND_RATE_LIMIT="0", PUBLIC_BASE_URL="")
        times = await self.drain("bench-send", s.outbound_messages, workers, env, timeout=30 if self.quick else 120)
        send_only = self.rate(times, s.outbound_messages, workers)
        log(f"S5 outbound: {s.outbound_messages} messages, rate limit off, {workers} workers, with status callbacks …")
        self.enqueue(s.outbound_messages, "bench-free")
        env = self.env(SEND_RATE_LIMIT="0")
        times = await self.drain("bench-free", s.outbound_messages, workers, env, timeout=30 if self.quick else 120)
        free = self.rate(times, s.outbound_messages, workers)
        free["note"] = "the emulator posts queued/sent/delivered callbacks to the main server meanwhile"
        limit = s.rate_limit
        log(f"S5 outbound: {s.rate_limited_messages} messages at a limit of {limit}/s per number …")
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE smsinbox_phonenumber SET messages_per_second = %s, send_slot_at = NULL WHERE id = %s",
                (limit, self.ids["number"]),
            )
        self.enqueue(s.rate_limited_messages, "bench-limited")
        env = self.env(SEND_RATE_LIMIT="1")
        expected = s.rate_limited_messages / limit
        times = await self.drain("bench-limited", s.rate_limited_messages, workers, env, timeout=expected + 20)
        span = (times[-1] - times[0]) if len(times) > 1 else None
        window_max = max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)
        limited = {"limit_per_s": limit, "messages": s.rate_limited_messages, "sent": len(times),
                   "achieved_per_s": round((len(times) - 1) / span, 2) if span else None,
                   "max_in_any_1s_window": window_max}  # fmt: skip
        limited["achieved_fraction"] = ratio(limited["achieved_per_s"], limit)
        self.results["s5_outbound"] = {"rate_limit_off": send_only, "rate_limit_off_with_callbacks": free,
                                       "rate_limited": limited,
                                       "timing": "when each send reached the emulator"}  # fmt: skip

    @staticmethod
    def rate(times: list[float], messages: int, workers: int) -> dict[str, Any]:
        """Messages per second between the first and the last acceptance at the emulator."""
        span = (times[-1] - times[0]) if len(times) > 1 else None
        return {"messages": messages, "sent": len(times), "workers": workers,
                "per_s": round((len(times) - 1) / span, 1) if span else None}  # fmt: skip

    async def s6_pool(self, session: aiohttp.ClientSession, main: Server) -> Server:
        s = self.sizes
        budget = int((s.duration + s.warmup) * 1500)
        log("S6 inbound with the pool (current server) …")
        with_pool = (
            await closed_loop(
                session, [inbound(main.url, p) for p in self.contacts_with_thread(budget)], s.concurrency,
                s.duration, s.warmup,
            )
        ).summary()  # fmt: skip
        main.stop()
        self.servers.remove(main)
        nopool = Server("nopool", self.env(BENCH_NO_POOL="1"), workers=2, port=self.main_port).start()
        self.servers.append(nopool)
        await nopool.ready(session)
        log("S6 inbound without the pool (restarted server) …")
        without = (
            await closed_loop(
                session, [inbound(nopool.url, p) for p in self.contacts_with_thread(budget)], s.concurrency,
                s.duration, s.warmup,
            )
        ).summary()  # fmt: skip
        self.results["s6_pool"] = {"with_pool": with_pool, "without_pool": without,
                                   "ratio_rps_pool_over_nopool": ratio(with_pool["rps"], without["rps"]),
                                   "how": "BENCH_NO_POOL=1: tests/bench/settings.py drops OPTIONS['pool']"}  # fmt: skip
        return nopool

    async def run(self) -> None:
        s = self.sizes
        self.setup()
        self.start_emulator()
        main = Server("main", self.env(), workers=2, port=self.main_port).start()
        other = Server("second", self.env(), workers=1).start()
        self.servers += [main, other]
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=max(64, s.concurrency * 2), force_close=False)
        async with aiohttp.ClientSession(
            timeout=timeout, connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as session:
            await asyncio.gather(main.ready(session), other.ready(session))
            log(f"servers up: main {main.url} (2 workers), second {other.url} (1 worker)")
            await self.s1_inbound(session, main)
            await s9_webhooks(self, session, main)  # tests/bench/webhooks.py
            await self.s2_status(session, main)
            await s9_floor(self, session, main)  # tests/bench/floor_run.py
            await s13_intake(self, session)  # tests/bench/intake.py: the store-first intake against the floor
            cookies = await self.login(session, main)
            log("S3 costs with the small data set …")
            await self.s3_costs(session, main, cookies, "small")
            for n in s.push_clients:
                log(f"S4 live push to {n} websocket clients …")
                await self.s4_push(session, main, other, cookies, n)
            await s8_presence(self, main, other)  # tests/bench/presence.py
            assert other.proc is not None
            other.proc.terminate()  # reaped in cleanup
            self.results["s7_memory"] = {"main_server": main.memory(), "after": "S1-S4"}
            self.seed_large()
            log("S3 costs with the large data set …")
            await self.s3_costs(session, main, cookies, "large")
            small, large = self.results["s3_costs"]["small"], self.results["s3_costs"]["large"]
            self.results["s3_costs"]["ratios"] = {
                "inbound_p50": ratio(large["inbound_p50_ms"], small["inbound_p50_ms"]),
                "inbox_p50": ratio(large["inbox_p50_ms"], small["inbox_p50_ms"]),
                "thread_p50": ratio(large["thread_p50_ms"], small["thread_p50_ms"]),
            }
            await self.s5_outbound()
            await s12_broadcasts(self, session, main)  # tests/bench/broadcasts.py
            self.results["s7_memory"]["main_server_end"] = main.memory()
            nopool = await self.s6_pool(session, main)
            self.results["s7_memory"]["nopool_server"] = nopool.memory()

    def start_emulator(self) -> None:
        """The local Twilio emulator in this process (it is idle but for S5), noting when each send reached it."""
        emulator = TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, port=self.emulator_port, callback_delay=0.2).start()
        emulator.add_number(NUMBER, sms_url=f"{self.public_url}/api/twilio/sms-incoming")
        api = emulator._api
        create = api.create_message
        self.emulator_sends: list[tuple[float, str]] = []  # (epoch seconds, body) of each accepted send

        def create_message(request: Any) -> Any:
            arrived = time.time()  # when the request reached "Twilio" (its processing time is Twilio's)
            response = create(request)
            if getattr(response, "status", 0) == 201:
                body = (request.form().get("Body") or [""])[0]
                self.emulator_sends.append((arrived, body))
            return response

        api.create_message = create_message
        self.emulator = emulator

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.emulator.stop()
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        for proc in self.procs:
            with contextlib.suppress(Exception):
                proc.stop()
        try:
            self.db.drop()
            log(f"dropped {self.db.name}")
        except psycopg.Error as exc:
            log(f"could not drop {self.db.name}: {exc}")
