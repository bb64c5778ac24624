"""``make bench``: smsinbox's benchmarks, every headline figure a ratio measured in the same run.

    python -m tests.bench.run [--quick] [--out bench-results/latest.json]

What it does, in order (``--quick`` or ``BENCH_QUICK=1``: tiny sizes, under a minute):

* creates its own PostgreSQL database ``smsinbox_bench_<pid>`` next to ``DATABASE_URL``'s (the admin
  connection, default ``postgres://postgres@127.0.0.1:5432/postgres``), migrates it, creates one
  organization (``manage.py setup_org``) and seeds data with ``INSERT … SELECT generate_series``;
* starts the production-shaped server: ``uvicorn smsinbox.asgi:application --workers 2`` with
  ``DEBUG=0``, the connection pool, the Redis channel layer (``REDIS_URL``, default
  ``redis://127.0.0.1:6379/0``) and ``DJANGO_SETTINGS_MODULE=tests.bench.settings`` (production
  settings + ``/bench/bare`` + a query-count header; see that module), a second single-worker
  server for the live-push scenario, and the local Twilio emulator in this process (``TwilioEmulator``);
* runs the scenarios (each bounded in requests and seconds, aimed only at 127.0.0.1), prints a table,
  writes ``bench-results/latest.json``, and cleans up: servers stopped, database dropped.

The load generator is this process (asyncio + aiohttp / websockets) on the same machine as the
servers: it takes CPU from them, equally for both sides of each ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
import psycopg
import websockets
import yarl
from twilio.request_validator import RequestValidator

from messaging.twilio.emulator import TwilioEmulator

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench-results"
PY = sys.executable

ACCOUNT_SID = "AC" + "be" * 16
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"  # a made-up account shared with the emulator
SECRET_KEY = "bench-only-secret-key-" + "x" * 40
ORG_NAME = "Bench Org"
NUMBER = "+15005550006"
USERNAME, PASSWORD = "bench", "bench-password-1"


def contact_phone(i: int) -> str:
    """The seeded contact number ``i`` (1-based): ``+1415`` and seven digits."""
    return f"+1415{i:07d}"


@dataclass
class Sizes:
    duration: float  # seconds of each fixed-time throughput window
    warmup: float
    concurrency: int
    contacts_small: int
    contacts_large: int
    conversations_small: int
    conversations_large: int
    outbound_seeded: int  # outbound messages in 'sent' for the status-callback scenario
    latency_requests: int  # sequential requests for p50 / query count
    render_requests: int
    push_clients: list[int]
    push_webhooks: int
    outbound_messages: int
    rate_limit: int  # messages per second per number
    rate_limited_messages: int


QUICK = Sizes(
    duration=1.0, warmup=0.2, concurrency=16, contacts_small=1_000, contacts_large=10_000,
    conversations_small=100, conversations_large=2_000, outbound_seeded=4_000, latency_requests=30,
    render_requests=10, push_clients=[20], push_webhooks=5, outbound_messages=40, rate_limit=10,
    rate_limited_messages=20,
)  # fmt: skip
FULL = Sizes(
    duration=10.0, warmup=1.0, concurrency=16, contacts_small=1_000, contacts_large=1_000_000,
    conversations_small=100, conversations_large=100_000, outbound_seeded=40_000, latency_requests=300,
    render_requests=60, push_clients=[100, 500], push_webhooks=20, outbound_messages=600, rate_limit=20,
    rate_limited_messages=200,
)  # fmt: skip


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- database ------------------------------------------------------------------------------


class Database:
    """``smsinbox_bench_<pid>`` created from the admin URL, dropped by ``drop``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"smsinbox_bench_{os.getpid()}"
        parts = urlsplit(admin_url)
        self.url = urlunsplit((parts.scheme, parts.netloc, "/" + self.name, parts.query, ""))

    def create(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)


def seed_contacts(conn: psycopg.Connection, ids: dict[str, int], start: int, stop: int) -> None:
    """Contacts ``start..stop`` (inclusive) in one ``INSERT … SELECT generate_series``."""
    conn.execute(
        """
        INSERT INTO conversations_contact (organization_id, phone, first_name, last_name, opted_out_at,
            opt_out_method, opt_out_keyword, opt_out_message_id, created_at, updated_at)
        SELECT %(org)s, '+1415' || lpad(i::text, 7, '0'), 'Bench', 'Contact ' || i, NULL, '', '', NULL, now(), now()
        FROM generate_series(%(start)s::int, %(stop)s::int) AS i
        """,
        {"org": ids["org"], "start": start, "stop": stop},
    )


def seed_conversations(conn: psycopg.Connection, ids: dict[str, int], start: int, stop: int) -> None:
    """A conversation, with one inbound message, for each contact ``start..stop``."""
    params = {"org": ids["org"], "num": ids["number"], "start": start, "stop": stop, "to": NUMBER}
    conn.execute(
        """
        INSERT INTO conversations_conversation (organization_id, contact_id, phone_number_id, status, assignee_id,
            last_message_at, last_message_preview, unread_count, created_at, updated_at)
        SELECT %(org)s, c.id, %(num)s, 'open', NULL, now() - (c.id || ' seconds')::interval,
               'Hello from contact ' || c.id, 0, now(), now()
        FROM conversations_contact c
        WHERE c.organization_id = %(org)s AND c.phone BETWEEN '+1415' || lpad(%(start)s::int::text, 7, '0')
                                                         AND '+1415' || lpad(%(stop)s::int::text, 7, '0')
        """,
        params,
    )
    conn.execute(
        """
        INSERT INTO messaging_message (organization_id, conversation_id, direction, twilio_sid, from_number,
            to_number, body, status, num_segments, encoding, num_media, price, price_unit, error_code,
            error_message, geo, sent_by_id, idempotency_key, created_at, updated_at, sent_at, delivered_at,
            send_attempts, dispatch_started_at, needs_lookup)
        SELECT %(org)s, v.id, 'in', 'SM' || md5('in' || v.id), c.phone, %(to)s, 'Hello from contact ' || c.id,
               'received', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, v.last_message_at,
               v.last_message_at, NULL, NULL, 0, NULL, false
        FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
        WHERE v.organization_id = %(org)s AND c.phone BETWEEN '+1415' || lpad(%(start)s::int::text, 7, '0')
                                                         AND '+1415' || lpad(%(stop)s::int::text, 7, '0')
        """,
        params,
    )


def seed_thread_and_outbound(conn: psycopg.Connection, ids: dict[str, int], outbound: int) -> dict[str, Any]:
    """30 more messages in contact 1's thread; ``outbound`` messages in 'sent' spread over the first 100 threads."""
    org, to = ids["org"], NUMBER
    conn.execute(
        """
        INSERT INTO messaging_message (organization_id, conversation_id, direction, twilio_sid, from_number,
            to_number, body, status, num_segments, encoding, num_media, price, price_unit, error_code,
            error_message, geo, sent_by_id, idempotency_key, created_at, updated_at, sent_at, delivered_at,
            send_attempts, dispatch_started_at, needs_lookup)
        SELECT %(org)s, v.id, 'in', 'SM' || md5('thread' || i), c.phone, %(to)s, 'Thread message ' || i,
               'received', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, now() - (i || ' minutes')::interval,
               now(), NULL, NULL, 0, NULL, false
        FROM generate_series(1, 30) AS i, conversations_conversation v
        JOIN conversations_contact c ON c.id = v.contact_id
        WHERE v.organization_id = %(org)s AND c.phone = %(phone)s
        """,
        {"org": org, "to": to, "phone": contact_phone(1)},
    )
    rows = conn.execute(
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
        SELECT %(org)s, convs.id, 'out', 'SM' || md5('out' || i), %(to)s, convs.phone, 'Outbound ' || i,
               'sent', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, now(), now(), now(), NULL, 1, NULL, false
        FROM generate_series(1, %(n)s::int) AS i JOIN convs ON convs.k = i %% 100
        RETURNING id, twilio_sid, to_number
        """,
        {"org": org, "to": to, "n": outbound},
    ).fetchall()
    thread = conn.execute(
        """SELECT v.id FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
           WHERE v.organization_id = %s AND c.phone = %s""",
        (org, contact_phone(1)),
    ).fetchone()[0]
    return {"outbound": rows, "thread_id": thread}


# --- processes -----------------------------------------------------------------------------


class Proc:
    """A subprocess logging to ``bench-results/<label>.log``; stopped by its own pid (SIGTERM, then SIGKILL)."""

    def __init__(self, label: str, args: list[str], env: dict[str, str]) -> None:
        RESULTS.mkdir(exist_ok=True)
        self.label = label
        self.log_path = RESULTS / f"{label}.log"
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM) without waiting; ``stop`` later reaps it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def children(pid: int) -> list[int]:
    """Child processes of ``pid`` that are uvicorn workers (not multiprocessing's resource tracker)."""
    try:
        pids = [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    out = []
    for child in pids:
        with contextlib.suppress(OSError):
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
    return out


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Server:
    """``uvicorn smsinbox.asgi:application`` on a free port of 127.0.0.1."""

    def __init__(self, label: str, env: dict[str, str], workers: int, port: int = 0) -> None:
        self.label, self.env, self.workers = label, env, workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None

    def start(self) -> Server:
        env = {**self.env, "PUBLIC_BASE_URL": self.url}
        args = [PY, "-m", "uvicorn", "smsinbox.asgi:application", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--no-access-log", "--timeout-graceful-shutdown", "3"]  # fmt: skip
        self.proc = Proc(f"server-{self.label}", args, env)
        return self

    async def ready(self, session: aiohttp.ClientSession, timeout: float = 40) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.proc.poll() is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                async with session.get(f"{self.url}/bench/bare") as response:
                    if response.status == 200 and (self.workers == 1 or len(children(self.proc.pid)) >= self.workers):
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"server {self.label} did not start:\n{self.proc.tail()}")

    def memory(self) -> dict[str, Any]:
        assert self.proc is not None
        workers = children(self.proc.pid)
        return {
            "master_mb": rss_mb(self.proc.pid),
            "workers_mb": [rss_mb(p) for p in workers],
        }

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


# --- load generation -----------------------------------------------------------------------


@dataclass
class Load:
    """Outcome of a load window: latencies (ms) of requests started and finished inside it."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def summary(self) -> dict[str, Any]:
        ok = sum(n for s, n in self.statuses.items() if 200 <= s < 300)
        return {
            "requests": len(self.latencies),
            "ok": ok,
            "rps": round(ok / self.seconds, 1) if self.seconds else None,
            "p50_ms": _r(pct(self.latencies, 50)),
            "p95_ms": _r(pct(self.latencies, 95)),
            "p99_ms": _r(pct(self.latencies, 99)),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
        }


def _r(v: float | None) -> float | None:
    return round(v, 2) if v is not None else None


Request = tuple[str, bytes, dict[str, str]]  # url, body, headers


async def _one(session: aiohttp.ClientSession, req: Request, load: Load | None) -> tuple[int, float, dict]:
    url, body, headers = req
    t0 = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            status, hdrs = response.status, response.headers.copy()
    except (TimeoutError, aiohttp.ClientError, OSError):
        if load is not None:
            load.errors += 1
        return -1, 0.0, {}
    ms = (time.perf_counter() - t0) * 1000
    if load is not None:
        load.latencies.append(ms)
        load.statuses[status] = load.statuses.get(status, 0) + 1
    return status, ms, hdrs


async def closed_loop(
    session: aiohttp.ClientSession, requests: list[Request], concurrency: int, duration: float, warmup: float
) -> Load:
    """``concurrency`` clients posting back to back for ``warmup`` + ``duration`` s (requests used once each)."""
    it = iter(requests)
    start = time.perf_counter()
    measure_from = start + warmup
    stop = measure_from + duration
    load = Load(duration)

    async def client() -> None:
        while time.perf_counter() < stop:
            req = next(it, None)
            if req is None:
                return
            measuring = time.perf_counter() >= measure_from
            status, ms, _ = await _one(session, req, None)
            if measuring and time.perf_counter() <= stop:
                if status < 0:
                    load.errors += 1
                else:
                    load.latencies.append(ms)
                    load.statuses[status] = load.statuses.get(status, 0) + 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    if next(it, None) is None:
        log("  warning: ran out of prepared requests before the window ended")
    return load


async def open_loop(session: aiohttp.ClientSession, requests: list[Request], rate: float, duration: float) -> Load:
    """Requests started at a fixed ``rate`` per second for ``duration`` s, whatever the answers' pace."""
    n = min(len(requests), int(rate * duration))
    load = Load(duration)
    start = time.perf_counter()
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(_one(session, requests[i], load)))
    await asyncio.gather(*tasks)
    load.seconds = max(duration, time.perf_counter() - start)
    return load


# --- Twilio-shaped posts -------------------------------------------------------------------


def _signed(url: str, params: dict[str, str]) -> Request:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    return url, urlencode(params).encode(), headers


def inbound(base: str, from_: str, body: str = "Hi, is my order ready?", path: str = "/api/twilio/sms-incoming"):
    sid = "SM" + uuid.uuid4().hex
    params = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "SAN FRANCISCO",
        "FromZip": "94105", "SmsSid": sid, "FromState": "CA", "SmsStatus": "received", "FromCity": "SAN FRANCISCO",
        "Body": body, "FromCountry": "US", "To": NUMBER, "ToZip": "94105", "NumSegments": "1", "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": from_, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    return _signed(base + path, params)


def status_callback(base: str, message_id: int, sid: str, to: str, status: str = "delivered") -> Request:
    params = {
        "SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": to, "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": NUMBER, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    return _signed(f"{base}/api/twilio/sms-status?{urlencode({'m': message_id})}", params)


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

    async def s1_inbound(self, session: aiohttp.ClientSession, main: Server) -> None:
        s = self.sizes
        budget = int((s.duration + s.warmup) * 1500)  # more than the server answers in the window (checked)
        bare = [inbound(main.url, p, path="/bench/bare") for p in self.contacts_with_thread(budget)]
        real = [inbound(main.url, p) for p in self.contacts_with_thread(budget)]
        log("S1 inbound webhook vs bare view …")
        b = (await closed_loop(session, bare, s.concurrency, s.duration, s.warmup)).summary()
        r = (await closed_loop(session, real, s.concurrency, s.duration, s.warmup)).summary()
        out = {"concurrency": s.concurrency, "seconds": s.duration, "bare": b, "inbound": r,
               "ratio_rps": ratio(r["rps"], b["rps"])}  # fmt: skip
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
        b = (await closed_loop(session, bare, s.concurrency, s.duration, s.warmup)).summary()
        r = (await closed_loop(session, reqs, s.concurrency, s.duration, s.warmup)).summary()
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
            status, ms, headers = await _one(session, inbound(main.url, phone), None)
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
            "inbound_p50_ms": _r(pct(lat, 50)), "inbound_queries": sorted(set(queries)),
            "inbox_p50_ms": _r(pct(inbox, 50)), "inbox_queries": inbox_q,
            "thread_p50_ms": _r(pct(thread, 50)), "thread_queries": thread_q,
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
        latencies, same, cross, missing = [], [], [], 0
        for k in range(s.push_webhooks):
            marker = f"push-{uuid.uuid4().hex[:12]}"
            arrivals[marker] = {}
            req = inbound(main.url, self.contacts_with_thread(1)[0], body=f"Live {marker}")
            t0 = time.perf_counter()
            status, _, _ = await _one(session, req, None)
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
            await asyncio.sleep(0.1)
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
        self.results.setdefault("s4_push", {})[str(clients)] = {
            "clients": clients, "webhooks": s.push_webhooks, "connect_s": round(connect_s, 2),
            "p50_ms": _r(pct(latencies, 50)), "p99_ms": _r(pct(latencies, 99)), "max_ms": _r(max(latencies or [0])),
            "p50_on_posting_server_ms": _r(pct(same, 50)), "p50_on_other_server_ms": _r(pct(cross, 50)),
            "missing_frames": missing,
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
                [
                    PY,
                    "manage.py",
                    "db_worker",
                    "--no-startup-delay",
                    "--no-reload",
                    "--interval",
                    "0.1",
                    "--worker-id",
                    f"bench-{tag}-{w}",
                ],
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
        workers = 2
        log(f"S5 outbound: {s.outbound_messages} messages, rate limit off, {workers} workers …")
        self.enqueue(s.outbound_messages, "bench-free")
        env = self.env(SEND_RATE_LIMIT="0")
        times = await self.drain("bench-free", s.outbound_messages, workers, env, timeout=30 if self.quick else 120)
        span = (times[-1] - times[0]) if len(times) > 1 else None
        free = {"messages": s.outbound_messages, "sent": len(times), "workers": workers,
                "per_s": round((len(times) - 1) / span, 1) if span else None}  # fmt: skip
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
        self.results["s5_outbound"] = {"rate_limit_off": free, "rate_limited": limited,
                                       "timing": "when each send reached the emulator"}  # fmt: skip

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
            await self.s2_status(session, main)
            cookies = await self.login(session, main)
            log("S3 costs with the small data set …")
            await self.s3_costs(session, main, cookies, "small")
            for n in s.push_clients:
                log(f"S4 live push to {n} websocket clients …")
                await self.s4_push(session, main, other, cookies, n)
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
            response = create(request)
            if getattr(response, "status", 0) == 201:
                body = (request.form().get("Body") or [""])[0]
                self.emulator_sends.append((time.time(), body))
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


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    return {"nproc": os.cpu_count(), "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
            "ram_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "kernel": platform.release()}  # fmt: skip


def table(res: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []

    def add(name: str, value: Any, target: str = "") -> None:
        rows.append((name, "-" if value is None else str(value), target))

    s1 = res.get("s1_inbound")
    if s1:
        b, r = s1["bare"], s1["inbound"]
        add(f"1 bare view req/s (c={s1['concurrency']})", b["rps"])
        add("1 bare view p50/p95/p99 ms", f"{b['p50_ms']}/{b['p95_ms']}/{b['p99_ms']}")
        add("1 inbound webhook req/s", r["rps"])
        add("1 inbound p50/p95/p99 ms", f"{r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']}")
        add("1 inbound / bare (ratio)", s1["ratio_rps"], ">= 0.5")
        if "half_rate" in s1:
            h = s1["half_rate"]
            add(f"1 inbound p99 at half max ({h['rate']}/s)", h["p99_ms"], "<= 100 ms")
    s2 = res.get("s2_status")
    if s2:
        add("2 status callback req/s", s2["status"]["rps"])
        st = s2["status"]
        add("2 status p50/p95/p99 ms", f"{st['p50_ms']}/{st['p95_ms']}/{st['p99_ms']}")
        add("2 status / bare (ratio)", s2["ratio_rps"], ">= 0.5")
    s3 = res.get("s3_costs")
    if s3 and "ratios" in s3:
        sm, lg, ra = s3["small"], s3["large"], s3["ratios"]
        add(f"3 inbound p50 ms ({sm['contacts']} → {lg['contacts']} contacts)",
            f"{sm['inbound_p50_ms']} → {lg['inbound_p50_ms']}")  # fmt: skip
        add("3 inbound queries (small → large)", f"{sm['inbound_queries']} → {lg['inbound_queries']}")
        add("3 inbound p50 large/small (ratio)", ra["inbound_p50"], "<= 1.2")
        add(f"3 inbox list p50 ms ({sm['conversations']} → {lg['conversations']} convs)",
            f"{sm['inbox_p50_ms']} → {lg['inbox_p50_ms']}")  # fmt: skip
        add("3 inbox list large/small (ratio)", ra["inbox_p50"], "<= 1.25")
        add("3 thread p50 ms (small → large)", f"{sm['thread_p50_ms']} → {lg['thread_p50_ms']}")
        add("3 thread large/small (ratio)", ra["thread_p50"], "<= 1.25")
        add("3 inbox/thread queries (small → large)",
            f"{sm['inbox_queries']}/{sm['thread_queries']} → {lg['inbox_queries']}/{lg['thread_queries']}")  # fmt: skip
    for n, p in (res.get("s4_push") or {}).items():
        target = "<= 100 ms" if n == "100" else "<= 250 ms" if n == "500" else ""
        add(f"4 push p50/p99 ms, {n} clients", f"{p['p50_ms']}/{p['p99_ms']}", f"p99 {target}" if target else "")
        add(f"4 push missing frames, {n} clients", p["missing_frames"], "0")
    s5 = res.get("s5_outbound")
    if s5:
        add(f"5 outbound msg/s, no limit ({s5['rate_limit_off']['workers']} workers)",
            s5["rate_limit_off"]["per_s"], ">= 200/s")  # fmt: skip
        lim = s5["rate_limited"]
        add(
            f"5 achieved msg/s at limit {lim['limit_per_s']}/s",
            lim["achieved_per_s"],
            f">= {0.95 * lim['limit_per_s']:g}",
        )
        add("5 max sends in any 1 s window", lim["max_in_any_1s_window"], f"<= {lim['limit_per_s']}")
    s6 = res.get("s6_pool")
    if s6:
        add("6 inbound req/s with pool / without", f"{s6['with_pool']['rps']} / {s6['without_pool']['rps']}")
        add("6 pool / no pool (ratio)", s6["ratio_rps_pool_over_nopool"])
    s7 = res.get("s7_memory")
    if s7:
        m = s7.get("main_server_end") or s7.get("main_server")
        add("7 RSS MB per server worker (end)", ", ".join(str(x) for x in m["workers_mb"]), "<= 150 MB")
        add("7 RSS MB uvicorn master", m["master_mb"])
        for key, val in s7.items():
            if key.startswith("db_worker_"):
                add(f"7 RSS MB {key.removeprefix('db_worker_').removesuffix('_mb')} db_workers",
                    ", ".join(str(x) for x in val))  # fmt: skip
    w1 = max(len(r[0]) for r in rows) if rows else 10
    w2 = max(len(r[1]) for r in rows) if rows else 10
    lines = [f"{'figure':<{w1}}  {'value':>{w2}}  target", "-" * (w1 + w2 + 12)]
    lines += [f"{a:<{w1}}  {b:>{w2}}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in {"", "0"})
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    bench = Bench(sizes, args.quick)
    started = time.perf_counter()
    bench.results["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    failed: BaseException | None = None
    try:
        asyncio.run(bench.run())
    except (Exception, KeyboardInterrupt) as exc:
        failed = exc
        log(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
        bench.cleanup()
    elapsed = round(time.perf_counter() - started, 1)
    report = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "mode": "quick" if args.quick else "full",
        "machine": machine(), "sizes": sizes.__dict__, "elapsed_s": elapsed,
        "error": None if failed is None else f"{type(failed).__name__}: {failed}", **bench.results,
    }  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    print(f"\nsmsinbox bench ({report['mode']}), {m['nproc']} cores, {m['ram_gib']} GiB, {m['cpu']}, "
          f"Python {m['python']}; load average {report.get('loadavg_at_start')} at start, "
          f"{m['loadavg_at_end']} at end; {elapsed} s in all\n")  # fmt: skip
    print(table(bench.results))
    print(f"\nwrote {out}")
    return 1 if failed is not None else 0


if __name__ == "__main__":
    sys.exit(main())
