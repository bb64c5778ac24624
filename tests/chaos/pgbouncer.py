"""Through PgBouncer in transaction mode: webhooks delivered twice and sends while task workers are SIGKILLed.

A PgBouncer (Debian's ``pgbouncer``, transaction pooling, 4 server connections) in front of the run's own
PostgreSQL; a second server (2 uvicorn workers), 2 ``task_worker`` processes and the reconciler reach the
database only through it, with ``DATABASE_PGBOUNCER=1``. Inbound webhooks are each posted twice (Twilio's
retries); sends go through the API while a worker with a task running is SIGKILLed three times and replaced.
The workers' task lease is short here (``TASK_LEASE_SECONDS=15``): the tasks the killed workers left
``RUNNING`` must be reaped. Promise: every inbound message stored exactly once, every send final and at
Twilio at most once, no task left ``RUNNING`` by a dead worker.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
from pathlib import Path

import aiohttp
import psycopg

from tests.bench.config import free_port
from tests.bench.harness import seed_contacts

from . import outbound
from .checks import conversation_consistency, inbound_outcome
from .load import inbound_webhook, redeliver, send_via_api
from .procs import Proc, Server
from .record import Outcome, r
from .services import _run_as
from .sizes import Sizes
from .stack import SMS_PATH, Stack, log, until
from .worker_kills import running_workers

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
LEASE_SECONDS = 15
KILLS = 3
TAG = "pgbouncer"


def start_pgbouncer(stack: Stack) -> tuple[Proc, str]:
    """PgBouncer in transaction mode in front of the run's PostgreSQL; returns it and the DATABASE_URL through it."""
    folder = stack.root / "pgbouncer"
    folder.mkdir()
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n* = host=127.0.0.1 port={stack.pg.port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {port}\nauth_type = trust\nauth_file = {folder / 'users.txt'}\npool_mode = transaction\n"
        "default_pool_size = 4\nmax_client_conn = 500\nunix_socket_dir =\n"
    )
    os.chmod(stack.root, 0o755)  # noqa: S103 (a temporary folder the unprivileged user must enter)
    os.chmod(folder, 0o755)  # noqa: S103
    for path in folder.iterdir():
        path.chmod(0o644)
    user = _run_as()
    args = [*(["runuser", "-u", user, "--"] if user else []), PGBOUNCER, str(folder / "pgbouncer.ini")]
    return Proc("pgbouncer", args, dict(os.environ)), stack.pg.url.replace(f":{stack.pg.port}/", f":{port}/")


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    assert stack.emulator is not None
    out = Outcome(
        key="pgbouncer",
        title=f"Through PgBouncer (transaction mode): webhooks posted twice, a task worker SIGKILLed {KILLS} times",
        promise="inbound stored once, sends final and at Twilio once, no task left RUNNING by a dead worker",
    )
    if not Path(PGBOUNCER).exists():
        out.skipped = "no pgbouncer binary (apt-get install pgbouncer)"
        return out
    bouncer, url = start_pgbouncer(stack)
    stack.procs.append(bouncer)
    await until(lambda: _answers(url), timeout=15, every=0.2)
    with stack.pg.connect() as conn:  # PgBouncer refuses the startup option that carries it: set it server-side
        conn.execute(f"ALTER DATABASE {conn.info.dbname} SET lock_timeout = '3s'")
    env = {"DATABASE_URL": url, "DATABASE_PGBOUNCER": "1", "TASK_LEASE_SECONDS": str(LEASE_SECONDS),
           "TASK_REAP_INTERVAL_SECONDS": "2"}  # fmt: skip
    server = Server("pgbouncer", stack.env(**env), workers=2).start()
    stack.procs.append(server.proc)  # type: ignore[arg-type]
    await server.ready(session)
    pool = stack.workers(2, TAG, **env, PUBLIC_BASE_URL=server.url)
    reconciler = stack.reconciler(**env, PUBLIC_BASE_URL=server.url)  # settles the sends cut by a kill
    rng = random.Random(13)
    senders = [f"+16289{k:06d}" for k in range(20)]
    webhooks = [inbound_webhook(senders[i % 20], f"chaos {TAG} {i}") for i in range(sizes.pg_webhooks)]
    twice = webhooks + rng.sample(webhooks, len(webhooks))  # every webhook delivered again, in another order
    contacts = own_contacts(stack, sizes.kill_sends // 2)
    log(f"pgbouncer: {len(webhooks)} webhooks twice and {len(contacts)} sends through PgBouncer at {url}")
    stack.emulator.faults(fail_next=10**6, stall_seconds=0.1)
    kills: list[bool] = []

    async def kill_workers() -> None:
        for k in range(KILLS):
            await asyncio.sleep(1.5 + k)
            busy = sorted(running_workers(stack) & set(pool.procs))
            pool.kill(rng.choice(busy or sorted(pool.procs)))
            kills.append(bool(busy))

    sends = [(c, f"chaos {TAG} {i} {rng.random():.8f}") for i, c in enumerate(contacts)]
    try:
        load, api, _ = await asyncio.gather(
            redeliver(session, server.url + SMS_PATH, twice, rate=sizes.pg_rate * 2),
            send_via_api(session, server.url, stack.token, sends),
            kill_workers(),
        )
        stack.emulator.faults(fail_next=0)
        ids = sorted(api.accepted.values())
        final, waited = await outbound.settle(stack, ids, timeout=180)
        counts = outbound.outcome(stack, ids, len(sends))
        reaped = await until(lambda: _left_running(stack) == 0, timeout=LEASE_SECONDS + 20, every=1)
        with stack.pg.connect() as conn:
            inbound = inbound_outcome(conn, [w["MessageSid"] for w in webhooks], load.acked)
            consistency = conversation_consistency(conn, senders)
            lease_expired = conn.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE exception_class_path = 'smsinbox.ops.tasks.LeaseExpired'"
            ).fetchone()[0]
    finally:
        stack.emulator.faults(fail_next=0)
        pool.stop()
        reconciler.stop()
        server.stop()
        bouncer.stop()
    out.sent = inbound["sent"] + counts["sent"]
    out.stored = inbound["stored"] + counts["stored"]
    out.duplicated = inbound["duplicated"] + counts["duplicated"]
    out.lost = inbound["lost"] + counts["lost"]
    out.http_5xx = load.count_5xx() + api.count_5xx()
    out.notes = {
        "webhook_posts": len(twice), "webhook_answers": load.statuses(), "inbound": inbound, **consistency,
        "sends": len(sends), "final_statuses": counts["statuses"],
        "twilio_received_twice": counts["twilio_received_twice"],
        "all_final": final, "settled_after_sends_s": r(waited, 1), "kills": len(kills),
        "kills_during_a_task": sum(kills), "tasks_reaped_lease_expired": lease_expired,
        "no_task_left_running": reaped,
    }  # fmt: skip
    if not final:
        out.broken.append("not every send was final in time")
    if not reaped:
        out.broken.append("tasks of killed workers still RUNNING after their lease")
    if any(consistency.values()) or inbound["stored_without_received_event"]:
        out.broken.append("half-written rows")
    if inbound["acked_not_stored"]:
        out.broken.append(f"{inbound['acked_not_stored']} answered 2xx but not stored")
    return out


def own_contacts(stack: Stack, n: int) -> list[int]:
    """``n`` contacts seeded for this scenario alone (a lookup at Twilio must match one message of ours)."""
    with stack.pg.connect() as conn:
        start = stack.contacts + 1_000_000  # beyond every other scenario's numbers
        seed_contacts(conn, stack.ids, start, start + n - 1)
        return [row[0] for row in conn.execute(
            "SELECT id FROM conversations_contact WHERE organization_id = %s AND phone BETWEEN %s AND %s ORDER BY id",
            (stack.ids["org"], f"+1415{start:07d}", f"+1415{start + n - 1:07d}"))]  # fmt: skip


def _answers(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


def _left_running(stack: Stack) -> int:
    with stack.pg.connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
            "AND started_at < now() - make_interval(secs => %s)", (LEASE_SECONDS,)).fetchone()[0]  # fmt: skip
