"""Load generation (closed and open loops, aiohttp) and Twilio-shaped signed posts."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

from tests.bench.config import ACCOUNT_SID, AUTH_TOKEN, NUMBER, log, pct

# --- load generation -----------------------------------------------------------------------


@dataclass
class Load:
    """Outcome of a load window: latencies (ms) of requests started and finished inside it."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    answered: int = 0  # every answer, warmup and stragglers included (the denominator of CPU per request)

    def summary(self) -> dict[str, Any]:
        ok = sum(n for s, n in self.statuses.items() if 200 <= s < 300)
        return {
            "requests": len(self.latencies),
            "ok": ok,
            "rps": round(ok / self.seconds, 1) if self.seconds else None,
            "p50_ms": round2(pct(self.latencies, 50)),
            "p95_ms": round2(pct(self.latencies, 95)),
            "p99_ms": round2(pct(self.latencies, 99)),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
        }


def round2(v: float | None) -> float | None:
    return round(v, 2) if v is not None else None


Request = tuple[str, bytes, dict[str, str]]  # url, body, headers


async def post_once(session: aiohttp.ClientSession, req: Request, load: Load | None) -> tuple[int, float, dict]:
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
            status, ms, _ = await post_once(session, req, None)
            load.answered += status >= 0
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
        tasks.append(asyncio.ensure_future(post_once(session, requests[i], load)))
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


def status_callback(
    base: str, message_id: int, sid: str, to: str, status: str = "delivered", path: str = "/api/twilio/sms-status"
) -> Request:
    params = {
        "SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": to, "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": NUMBER, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    return _signed(f"{base}{path}?{urlencode({'m': message_id})}", params)
