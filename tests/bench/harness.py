"""The bench's own PostgreSQL database (seeded with ``INSERT … SELECT``) and server processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import psycopg

from tests.bench.config import NUMBER, PY, RESULTS, ROOT, contact_phone, free_port

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
            opt_out_method, opt_out_keyword, opt_out_message_id, notes, created_at, updated_at)
        SELECT %(org)s, '+1415' || lpad(i::text, 7, '0'), 'Bench', 'Contact ' || i, NULL, '', '', NULL, '', now(), now()
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
            last_message_at, last_message_preview, unread_count, version, created_at, updated_at, snooze_until_reply)
        SELECT %(org)s, c.id, %(num)s, 'open', NULL, now() - (c.id || ' seconds')::interval,
               'Hello from contact ' || c.id, 0, 0, now(), now(), false
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
            send_attempts, dispatch_started_at, needs_lookup, automatic)
        SELECT %(org)s, v.id, 'in', 'SM' || md5('in' || v.id), c.phone, %(to)s, 'Hello from contact ' || c.id,
               'received', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, v.last_message_at,
               v.last_message_at, NULL, NULL, 0, NULL, false, false
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
            send_attempts, dispatch_started_at, needs_lookup, automatic)
        SELECT %(org)s, v.id, 'in', 'SM' || md5('thread' || i), c.phone, %(to)s, 'Thread message ' || i,
               'received', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, now() - (i || ' minutes')::interval,
               now(), NULL, NULL, 0, NULL, false, false
        FROM generate_series(1, 30) AS i, conversations_conversation v
        JOIN conversations_contact c ON c.id = v.contact_id
        WHERE v.organization_id = %(org)s AND c.phone = %(phone)s
        """,
        {"org": org, "to": to, "phone": contact_phone(1)},
    )
    rows = seed_sent_outbound(conn, org, outbound)
    thread = conn.execute(
        """SELECT v.id FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
           WHERE v.organization_id = %s AND c.phone = %s""",
        (org, contact_phone(1)),
    ).fetchone()[0]
    return {"outbound": rows, "thread_id": thread}


def seed_sent_outbound(
    conn: psycopg.Connection, org: int, n: int, tag: str = "out", body: str = "Outbound"
) -> list[tuple[int, str, str]]:
    """``n`` outbound messages in 'sent' (SIDs ``md5(tag || i)``) spread over the organization's first 100
    threads; ``(id, sid, to)`` of each, for status callbacks."""
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
            send_attempts, dispatch_started_at, needs_lookup, automatic)
        SELECT %(org)s, convs.id, 'out', 'SM' || md5(%(tag)s || i), %(to)s, convs.phone, %(body)s || ' ' || i,
               'sent', 1, 'GSM-7', 0, NULL, '', NULL, '', '{}', NULL, NULL, now(), now(), now(), NULL, 1, NULL,
               false, false
        FROM generate_series(1, %(n)s::int) AS i JOIN convs ON convs.k = i %% 100
        RETURNING id, twilio_sid, to_number
        """,
        {"org": org, "to": NUMBER, "n": n, "tag": tag, "body": body},
    ).fetchall()


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


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes ``pids`` have used so far (``/proc/<pid>/stat``)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


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

    process: type[Proc] = Proc  # how it is run (``make chaos`` runs it in a process group of its own)

    def __init__(self, label: str, env: dict[str, str], workers: int, port: int = 0) -> None:
        self.label, self.env, self.workers = label, env, workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None

    def start(self) -> Server:
        env = {**self.env, "PUBLIC_BASE_URL": self.url}
        args = [PY, "-m", "uvicorn", "smsinbox.asgi:application", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--no-access-log", "--timeout-graceful-shutdown", "3"]  # fmt: skip
        self.proc = self.process(f"server-{self.label}", args, env)
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
