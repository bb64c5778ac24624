"""The processes of a chaos run, each in its own process group so that stopping it stops its children too.

``Proc`` logs to ``chaos-results/<label>.log``; ``Server`` is the bench's uvicorn server on a ``Proc``;
``Emulator`` runs ``manage.py twilio_emulator`` and talks to its ``/_emulator`` control API;
``WorkerPool`` runs ``manage.py task_worker`` processes and can SIGKILL and replace one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.bench import harness as bench

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "chaos-results"
PY = sys.executable


class Proc(bench.Proc):
    """A subprocess in a new session (process group); ``stop`` signals the whole group."""

    def __init__(self, label: str, args: list[str], env: dict[str, str]) -> None:
        RESULTS.mkdir(exist_ok=True)
        self.label = label
        self.log_path = RESULTS / f"{label}.log"
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def terminate(self) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the group at once (no cleanup in the process: a crash)."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the group, SIGKILL it after ``timeout`` seconds; also reap stray group members."""
        if self.alive():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        self.signal_group(signal.SIGKILL)  # whatever of the group is left (uvicorn's workers)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


class Server(bench.Server):
    """``uvicorn smsinbox.asgi:application --workers N`` (tests.bench.settings: production + /bench/bare)."""

    process = Proc

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive() and len(bench.children(self.proc.pid)) >= self.workers


def http_json(url: str, data: dict[str, Any] | None = None, timeout: float = 30) -> Any:
    """GET (or POST form ``data`` to) a local URL and decode its JSON answer."""
    body = urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (127.0.0.1 only)
        return json.loads(response.read())


class Emulator:
    """``manage.py twilio_emulator`` on a free port, with its control API (faults, messages)."""

    def __init__(self, env: dict[str, str], port: int, number: str, sms_url: str, callback_delay: float) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        args = [PY, "manage.py", "twilio_emulator", "--port", str(port), "--number", number, "--sms-url", sms_url,
                "--callback-delay", str(callback_delay)]  # fmt: skip
        self.proc = Proc("emulator", args, {**env, "LOG_LEVEL": "WARNING"})

    def ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                break
            with contextlib.suppress(OSError, ValueError):
                http_json(f"{self.url}/_emulator", timeout=2)
                return
            time.sleep(0.1)
        raise RuntimeError(f"the Twilio emulator did not start:\n{self.proc.tail()}")

    def faults(self, *, fail_next: int, status: int | None = None, stall_seconds: float = 0.0) -> dict[str, Any]:
        """Arm (or with ``fail_next=0`` disarm) faults for the next create-Message requests."""
        data: dict[str, Any] = {"fail_next": fail_next, "stall_seconds": stall_seconds}
        if status is not None:
            data["status"] = status
        return http_json(f"{self.url}/_emulator/faults", data)

    def outbound(self) -> list[dict[str, Any]]:
        """Every message the emulator accepted from us (Message resources)."""
        return http_json(f"{self.url}/_emulator/messages?direction=outbound-api", timeout=60)

    def stop(self) -> None:
        self.proc.stop()


class WorkerPool:
    """``manage.py task_worker`` processes (the Procfile's); ``kill`` SIGKILLs one and starts a replacement."""

    def __init__(self, env: dict[str, str], size: int, tag: str) -> None:
        self.env, self.tag = env, tag
        self.procs: dict[str, Proc] = {}
        self.retired: list[Proc] = []
        self.started = 0
        for _ in range(size):
            self.spawn()

    def spawn(self) -> str:
        self.started += 1
        worker_id = f"chaos-{self.tag}-{self.started}"
        args = [PY, "manage.py", "task_worker", "--interval", "0.1", "--worker-id", worker_id]
        self.procs[worker_id] = Proc(f"worker-{self.tag}", args, self.env)
        return worker_id

    def kill(self, worker_id: str) -> None:
        """SIGKILL ``worker_id`` and start another in its place (as a process manager would)."""
        proc = self.procs.pop(worker_id)
        proc.kill()
        self.retired.append(proc)
        self.spawn()

    def alive(self) -> int:
        return sum(1 for p in self.procs.values() if p.alive())

    def stop(self) -> None:
        for proc in [*self.procs.values(), *self.retired]:
            with contextlib.suppress(Exception):
                proc.stop()
