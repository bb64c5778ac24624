"""Shared settings of the benchmark: the made-up account, sizes, small helpers."""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
    broadcast_recipients: int = 10_000  # S12 (tests/bench/broadcasts.py)
    broadcast_limited: int = 1_000  # S12's broadcast at 50/s
    burst_posts: int = 20_000  # S13's burst of inbound webhooks (tests/bench/intake.py) …
    burst_seconds: float = 60.0  # … posted at an even pace over this many seconds


QUICK = Sizes(
    duration=1.0, warmup=0.2, concurrency=16, contacts_small=1_000, contacts_large=10_000,
    conversations_small=100, conversations_large=2_000, outbound_seeded=4_000, latency_requests=30,
    render_requests=10, push_clients=[20], push_webhooks=5, outbound_messages=40, rate_limit=10,
    rate_limited_messages=20, broadcast_recipients=1_000, broadcast_limited=250, burst_posts=1_000, burst_seconds=10.0,
)  # fmt: skip
FULL = Sizes(
    duration=10.0, warmup=1.0, concurrency=16, contacts_small=1_000, contacts_large=1_000_000,
    conversations_small=100, conversations_large=100_000, outbound_seeded=40_000, latency_requests=600,
    render_requests=60, push_clients=[100, 500], push_webhooks=20, outbound_messages=600, rate_limit=20,
    rate_limited_messages=200,
)  # fmt: skip


OUTBOUND_WORKERS = 4  # task_worker processes for S5: two per core (a send waits on Twilio and on commits)


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
