"""Load aimed only at 127.0.0.1: signed inbound webhooks redelivered like Twilio does, and API sends.

Webhooks are signed with ``tests.twilio_posts`` (``inbound_params``/``sign`` read the Django settings of this
driver process, configured here with the run's made-up Twilio account). Twilio delivers a webhook again
after a 5xx, a timeout (it waits 15 s) or a refused connection: ``redeliver`` does the same, with backoff,
until a 2xx or ``max_attempts``, and records every answer with its time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp
from django.conf import settings

from .stack import ACCOUNT_SID, AUTH_TOKEN, NUMBER

if not settings.configured:
    settings.configure(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, USE_TZ=True)

from tests.twilio_posts import inbound_params, sign  # needs the settings above

TWILIO_WAITS = 15.0  # seconds Twilio waits for a webhook answer


@dataclass
class Answer:
    """One HTTP attempt: when it started (monotonic), how long it took, its status (None: no answer)."""

    started: float
    seconds: float
    status: int | None
    error: str = ""


@dataclass
class WebhookRun:
    """Every attempt of every webhook, and which webhooks got a 2xx in the end."""

    sids: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    attempts: Counter[str] = field(default_factory=Counter)

    def count_5xx(self) -> int:
        return sum(1 for a in self.answers if a.status is not None and a.status >= 500)

    def statuses(self) -> dict[str, int]:
        return dict(Counter(str(a.status) if a.status is not None else a.error or "none" for a in self.answers))

    def window(self, start: float, end: float) -> list[Answer]:
        """Attempts started in [start, end)."""
        return [a for a in self.answers if start <= a.started < end]


def inbound_webhook(from_: str, body: str) -> dict[str, str]:
    """A fresh incoming-message webhook (new MessageSid) from ``from_`` to the organization's number."""
    return inbound_params(to=NUMBER, from_=from_, body=body, sid="SM" + uuid.uuid4().hex)


async def post_once(session: aiohttp.ClientSession, url: str, params: dict[str, str], token: str) -> Answer:
    """POST one signed webhook and wait at most as long as Twilio would."""
    headers = {
        "X-Twilio-Signature": sign(url, params),
        "Content-Type": "application/x-www-form-urlencoded",
        "I-Twilio-Idempotency-Token": token,
    }
    started = time.monotonic()
    try:
        async with session.post(
            url, data=urlencode(params).encode(), headers=headers, timeout=aiohttp.ClientTimeout(total=TWILIO_WAITS)
        ) as response:
            await response.read()
            return Answer(started, time.monotonic() - started, response.status)
    except TimeoutError:
        return Answer(started, time.monotonic() - started, None, "timeout")
    except (aiohttp.ClientError, OSError) as exc:
        return Answer(started, time.monotonic() - started, None, type(exc).__name__)


async def redeliver(
    session: aiohttp.ClientSession,
    url: str,
    webhooks: list[dict[str, str]],
    *,
    rate: float,
    concurrency: int = 32,
    max_attempts: int = 12,
) -> WebhookRun:
    """Start webhook ``i`` at ``i / rate`` s; each one is posted again after a failure (1, 2, 4, 8 s …)."""
    run = WebhookRun(sids=[w["MessageSid"] for w in webhooks])
    gate = asyncio.Semaphore(concurrency)
    t0 = time.monotonic()

    async def one(i: int, params: dict[str, str]) -> None:
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        token = str(uuid.uuid4())  # repeats on every redelivery, as Twilio's does
        sid = params["MessageSid"]
        for attempt in range(max_attempts):
            async with gate:
                answer = await post_once(session, url, params, token)
            run.answers.append(answer)
            run.attempts[sid] += 1
            if answer.status is not None and 200 <= answer.status < 300:
                run.acked.add(sid)
                return
            await asyncio.sleep(min(2.0**attempt, 8.0))

    await asyncio.gather(*(one(i, w) for i, w in enumerate(webhooks)))
    return run


@dataclass
class ApiRun:
    """What ``POST /api/sms/send`` answered: the message ids accepted and every status seen."""

    accepted: dict[str, int] = field(default_factory=dict)  # idempotency key → message id
    statuses: Counter[str] = field(default_factory=Counter)

    def count_5xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.isdigit() and int(s) >= 500)


async def send_via_api(
    session: aiohttp.ClientSession,
    base: str,
    token: str,
    sends: list[tuple[int, str]],
    *,
    concurrency: int = 8,
    max_attempts: int = 10,
) -> ApiRun:
    """Send ``(contact id, body)`` pairs through the API, each with an idempotency key, retrying errors with it."""
    run = ApiRun()
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    async def one(contact_id: int, body: str) -> None:
        key = f"chaos-{uuid.uuid4().hex}"
        payload = {"contactId": contact_id, "message": body, "idempotencyKey": key}
        for attempt in range(max_attempts):
            async with gate:
                try:
                    async with session.post(f"{base}/api/sms/send", json=payload, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=30)) as response:  # fmt: skip
                        data = await response.json(content_type=None)
                        run.statuses[str(response.status)] += 1
                        if response.status == 201:
                            run.accepted[key] = int(data["messageId"])
                            return
                        if response.status < 500:
                            return  # refused for good: counted, not retried
                except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
                    run.statuses[type(exc).__name__] += 1
            await asyncio.sleep(min(0.5 * 2**attempt, 5.0))

    await asyncio.gather(*(one(c, b) for c, b in sends))
    return run
