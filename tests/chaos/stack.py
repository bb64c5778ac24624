"""The system under test: throwaway PostgreSQL and Redis, one uvicorn server (2 workers), the Twilio emulator.

Servers and workers run the production settings (``DEBUG=0``, connection pool, Redis channel layer)
through ``tests.bench.settings`` (production + ``/bench/bare``, plain static storage), as ``make bench``
does. Task workers, the reconciler and the emulator are started by the scenarios that need them and
all stopped by ``down``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.bench.config import free_port
from tests.bench.harness import seed_contacts

from .procs import PY, ROOT, Emulator, Proc, Server, WorkerPool
from .services import ThrowawayPostgres, ThrowawayRedis

ACCOUNT_SID = "AC" + "ca" * 16
AUTH_TOKEN = "chaos-auth-token-0123456789abcdef"  # a made-up account shared with the emulator
SECRET_KEY = "chaos-only-secret-key-" + "y" * 40
ORG_NAME = "Chaos Org"
NUMBER = "+15005550006"
USERNAME, PASSWORD = "chaos", "chaos-password-1"
SMS_PATH = "/api/twilio/sms-incoming"

# Short timeouts and backoffs so that every retry path runs within the scenario's minutes.
WORKER_ENV = {
    "TWILIO_HTTP_TIMEOUT": "2",
    "SEND_RETRY_BASE_SECONDS": "0.25",
    "SEND_RATE_LIMIT": "0",
    "RECONCILE_AFTER_SECONDS": "5",
}


def log(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)


class Stack:
    """Everything one chaos run starts; ``down`` stops and removes all of it."""

    def __init__(self, contacts: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="smsinbox-chaos-"))
        self.contacts = contacts
        self.pg = ThrowawayPostgres(self.root)
        self.redis = ThrowawayRedis(self.root)
        self.server_port = free_port()
        self.url = f"http://127.0.0.1:{self.server_port}"
        self.emulator_port = free_port()
        self.server: Server | None = None
        self.emulator: Emulator | None = None
        self.pools: list[WorkerPool] = []
        self.procs: list[Proc] = []
        self.ids: dict[str, int] = {}
        self.token = ""
        self.contact_ids: list[int] = []

    def env(self, **extra: str) -> dict[str, str]:
        """The production environment of every process of the run."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_", "TWILIO_", "SEND_", "REDIS"))}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.bench.settings", DEBUG="0", SECRET_KEY=SECRET_KEY,
            DATABASE_URL=self.pg.url, REDIS_URL=self.redis.url, ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_API_BASE_URL=f"http://127.0.0.1:{self.emulator_port}", TWILIO_EMULATOR_PORT=str(self.emulator_port),
            LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", PUBLIC_BASE_URL=self.url,
            MEDIA_CACHE_DIR=str(self.root / "media-cache"), **WORKER_ENV,
        )  # fmt: skip
        env.update(extra)
        return env

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    # --- bring up ---

    async def up(self, session: aiohttp.ClientSession) -> None:
        """Services, schema, organization, contacts, token; then the emulator and the server."""
        t = time.perf_counter()
        self.pg.init()
        self.redis.start()
        log(f"own PostgreSQL on :{self.pg.port} (as {self.pg.user or 'this user'}), Redis on :{self.redis.port}")
        self.manage("migrate", "--noinput")
        self.manage("setup_org", "--name", ORG_NAME, "--number", NUMBER, "--username", USERNAME, "--password", PASSWORD)
        self.token = self.manage("drf_create_token", USERNAME).split()[2]
        with self.pg.connect() as conn:
            org = conn.execute("SELECT id FROM smsinbox_organization WHERE name = %s", (ORG_NAME,)).fetchone()[0]
            num = conn.execute("SELECT id FROM smsinbox_phonenumber WHERE organization_id = %s", (org,)).fetchone()[0]
            self.ids = {"org": org, "number": num}
            seed_contacts(conn, self.ids, 1, self.contacts)
            self.contact_ids = [r[0] for r in conn.execute(
                "SELECT id FROM conversations_contact WHERE organization_id = %s ORDER BY id", (org,))]  # fmt: skip
        self.emulator = Emulator(self.env(), self.emulator_port, NUMBER, self.url + SMS_PATH, callback_delay=0.05)
        self.server = Server("main", self.env(), workers=2, port=self.server_port).start()
        self.emulator.ready()
        await self.server.ready(session)
        log(
            f"up in {time.perf_counter() - t:.1f} s: server {self.url} (2 uvicorn workers), "
            f"emulator :{self.emulator_port}"
        )

    def workers(self, size: int, tag: str, **extra: str) -> WorkerPool:
        pool = WorkerPool(self.env(**extra), size, tag)
        self.pools.append(pool)
        return pool

    def reconciler(self, every: float = 2, **extra: str) -> Proc:
        proc = Proc("reconciler", [PY, "manage.py", "reconcile_messages", "--loop", str(every)], self.env(**extra))
        self.procs.append(proc)
        return proc

    async def wait_server(self, session: aiohttp.ClientSession, timeout: float = 30) -> None:
        assert self.server is not None
        await self.server.ready(session, timeout=timeout)

    def processes(self) -> dict[str, Any]:
        """Whether the long-running processes are still the ones started (none restarted, none dead)."""
        server = self.server
        return {
            "server_alive": bool(server and server.alive()),
            "emulator_alive": bool(self.emulator and self.emulator.proc.alive()),
        }

    # --- tear down ---

    def down(self) -> None:
        """Stop every process we started (by process group), then remove PostgreSQL, Redis and the folder."""
        for pool in self.pools:
            with contextlib.suppress(Exception):
                pool.stop()
        for proc in self.procs:
            with contextlib.suppress(Exception):
                proc.stop()
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.stop()
        if self.emulator is not None:
            with contextlib.suppress(Exception):
                self.emulator.stop()
        with contextlib.suppress(Exception):
            self.redis.destroy()
        with contextlib.suppress(Exception):
            self.pg.destroy()
        shutil.rmtree(self.root, ignore_errors=True)


async def until(predicate: Callable[[], bool], timeout: float, every: float = 0.25) -> bool:
    """Poll ``predicate()`` (sync) until true or ``timeout`` seconds; return its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(every)
