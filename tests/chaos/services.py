"""The run's own PostgreSQL and Redis: started in a temporary folder on free ports, stopped, paused, removed.

The machine's shared PostgreSQL (5432) and Redis (6379) are never touched: other people's tests use them.
PostgreSQL refuses to run as root, so under root it runs as an unprivileged user (``postgres``, else
``nobody``) through ``runuser``, with its data folder owned by that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg

from tests.bench.config import free_port

DB_NAME = "smsinbox_chaos"


class ServiceError(RuntimeError):
    """A throwaway service could not be set up."""


def _pg_bin() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb and pg_ctl."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise ServiceError("PostgreSQL server binaries not found (apt-get install postgresql).")
    return Path(found[-1]).parent


def _run_as() -> str | None:
    """The unprivileged user to run PostgreSQL as when we are root (None when we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServiceError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


def _descendants(pid: int) -> list[int]:
    """``pid``'s child processes, recursively."""
    out: list[int] = []
    try:
        kids = [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return out
    for kid in kids:
        out += [kid, *_descendants(kid)]
    return out


class ThrowawayPostgres:
    """A PostgreSQL cluster in ``root/pg`` on a free port of 127.0.0.1, trust auth, fsync off."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        self.user = _run_as()
        self.dir = root / "pg"
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgres.log"
        self.port = free_port()
        self.admin_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"
        self.paused: list[int] = []

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, *args]

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        cmd = self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), *args)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode:
            raise ServiceError(f"pg_ctl {args[-1]} failed: {done.stdout}{done.stderr}")

    def init(self) -> ThrowawayPostgres:
        """Create the cluster (initdb) and start it."""
        self.dir.mkdir(parents=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chmod(self.dir.parent, 0o755)  # noqa: S103 (a temporary folder the postgres user must enter)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        cmd = self._cmd(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise ServiceError(f"initdb failed: {done.stdout}{done.stderr}")
        conf = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data}'\n"
            "fsync = off\nfull_page_writes = off\nmax_connections = 200\n"
            "shared_buffers = 64MB\n"
        )
        with (self.data / "postgresql.conf").open("a") as f:
            f.write(conf)
        self.start()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        return self

    def start(self) -> None:
        self._pg_ctl("-l", str(self.logfile), "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (``immediate``: like a crash, no shutdown checkpoint)."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pause(self) -> int:
        """SIGSTOP the postmaster and every backend; return how many processes were frozen."""
        pid = self.postmaster_pid()
        if pid is None:
            raise ServiceError("PostgreSQL is not running")
        self.paused = [pid, *_descendants(pid)]
        for p in self.paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGSTOP)
        return len(self.paused)

    def resume(self) -> None:
        """SIGCONT what ``pause`` froze."""
        for p in self.paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGCONT)
        self.paused = []

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def destroy(self) -> None:
        """Stop whatever runs and remove the data folder."""
        self.resume()
        if self.postmaster_pid() is not None:
            try:
                self.stop("immediate")
            except (ServiceError, subprocess.TimeoutExpired):
                pid = self.postmaster_pid()
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayRedis:
    """``redis-server`` on a free port of 127.0.0.1, nothing persisted; killed and restarted on the same port."""

    def __init__(self, root: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise ServiceError("redis-server not found (apt-get install redis-server).")
        self.exe = exe
        self.dir = root / "redis"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 20) -> ThrowawayRedis:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = (self.dir / f"redis-{self.starts}.log").open("wb")
        args = [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.dir), "--protected-mode", "yes"]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(f"redis-server exited: see {self.dir}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise ServiceError("redis-server did not answer PING")

    def kill(self) -> None:
        """SIGKILL the server (its data is gone: it persisted nothing)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def destroy(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
