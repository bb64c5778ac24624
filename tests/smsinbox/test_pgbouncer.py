"""Behind PgBouncer in transaction mode (``DATABASE_PGBOUNCER=1``): webhooks store from several threads,
iterators stream and repeated queries run, with nothing kept on a server connection past a transaction.

A real PgBouncer (Debian's ``pgbouncer``) is started in front of the test database; the app runs in a
``manage.py shell`` subprocess pointed at it. Without the setting, PgBouncer refuses our connections.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

STORE = """
import threading
from django.db import connections
from django.test import Client
from messaging.models import Message
from tests.twilio_posts import post_inbound

answers = []

def post(k):
    client = Client()
    for i in range(10):
        answers.append(post_inbound(client, to="+14155550001", from_=f"+1415555{k:02d}{i:02d}", body="hi").status_code)
    connections.close_all()

threads = [threading.Thread(target=post, args=(k,)) for k in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
sids = [m.twilio_sid for m in Message.objects.filter(direction="in").iterator(chunk_size=5)]
counts = {Message.objects.filter(direction="in").count() for _ in range(12)}
assert answers == [200] * 40, answers
print("stored", len(sids), len(set(sids)), sorted(counts))
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pgbouncer() -> Iterator[str]:
    """A PgBouncer in transaction mode in front of the test database; yields its DATABASE_URL."""
    if not os.path.exists(PGBOUNCER):
        pytest.skip("needs Debian's pgbouncer (apt-get install pgbouncer)")
    db = settings.DATABASES["default"]
    folder = Path(tempfile.mkdtemp(prefix="smsinbox-pgbouncer-"))
    folder.chmod(0o755)
    port = _port()
    user = db["USER"] or "postgres"
    (folder / "users.txt").write_text(f'"{user}" "{db["PASSWORD"] or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = trust\n"
        f"auth_file = {folder / 'users.txt'}\npool_mode = transaction\ndefault_pool_size = 2\n"
        "max_client_conn = 100\nunix_socket_dir =\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    args = [PGBOUNCER, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(folder / "pgbouncer.ini")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"postgres://{user}@127.0.0.1:{port}/{db['NAME']}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"pgbouncer did not start: {proc.stdout.read() if proc.poll() is not None else ''}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _shell(code: str, **env: str) -> subprocess.CompletedProcess:
    # The test settings (signing token, hosts), which keep only DATABASE_URL, DATABASE_PGBOUNCER and REDIS_URL.
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], env={**base, **env}, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_webhooks_store_exactly_once_through_pgbouncer_in_transaction_mode(pgbouncer, org_a):
    done = _shell(STORE, DATABASE_URL=pgbouncer, DATABASE_PGBOUNCER="1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "stored 40 40 [40]", done.stderr[-3000:]


def test_without_the_setting_pgbouncer_refuses_our_connections(pgbouncer):
    done = _shell("from django.db import connection; connection.ensure_connection()", DATABASE_URL=pgbouncer)
    assert done.returncode != 0
    assert "couldn't get a connection" in done.stderr or "unsupported startup parameter" in done.stderr
