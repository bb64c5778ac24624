"""Outbound sends for the Twilio and worker scenarios: send through the API, wait until final, count."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp

from .checks import outbound_outcome, send_events, unfinished
from .load import ApiRun, send_via_api
from .stack import Stack


class Contacts:
    """Hands out seeded contacts, each texted by one send only (a lookup at Twilio then matches one message)."""

    def __init__(self, ids: list[int]) -> None:
        self.ids, self.next = ids, 0

    def take(self, n: int) -> list[int]:
        if self.next + n > len(self.ids):
            raise RuntimeError(f"only {len(self.ids)} seeded contacts; raise Sizes.contacts")
        chunk = self.ids[self.next : self.next + n]
        self.next += n
        return chunk


async def send(
    stack: Stack, session: aiohttp.ClientSession, contacts: list[int], tag: str, concurrency: int = 8
) -> tuple[list[int], ApiRun]:
    """One API send per contact, bodies ``chaos <tag> <i> <random>`` (unique); return the message ids."""
    run_id = uuid.uuid4().hex[:8]
    sends = [(c, f"chaos {tag} {i} {run_id}") for i, c in enumerate(contacts)]
    api = await send_via_api(session, stack.url, stack.token, sends, concurrency=concurrency)
    return sorted(api.accepted.values()), api


async def settle(stack: Stack, ids: list[int], timeout: float) -> tuple[bool, float]:
    """Wait until every message of ``ids`` is final; return (all final, seconds waited)."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        with stack.pg.connect() as conn:
            left = unfinished(conn, ids)
        if not left or time.monotonic() >= deadline:
            return not left, time.monotonic() - started
        await asyncio.sleep(0.5)


def outcome(stack: Stack, ids: list[int], requested: int) -> dict[str, Any]:
    """Our database against the emulator's messages, for ``ids``; plus the send-attempt outcomes."""
    assert stack.emulator is not None
    emulated = stack.emulator.outbound()
    with stack.pg.connect() as conn:
        counts = outbound_outcome(conn, ids, requested, emulated)
        counts["attempt_outcomes"] = send_events(conn, ids)
    return counts
