"""S5 of ``make bench`` alone (``python -m tests.bench.outbound``; ``--quick`` for the CI size): outbound
throughput with 4 ``task_worker`` processes and the pace of one number at 20/s measured where Twilio sees it
(arrival at the emulator), including the busiest one-second window. Seeds the small data set only: S5 sends
its own messages; the full run's send counts are kept."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from tests.bench.alone import run_alone
from tests.bench.config import FULL
from tests.bench.harness import Server

Then = Callable[[Any, aiohttp.ClientSession, Server], Awaitable[None]]


async def _alone(bench: Any, then: Then | None = None) -> None:
    """S5 on a fresh bench; ``then``: another scenario after it, with the same server (S12 alone)."""
    if not bench.quick:  # the small seed, the full run's sends
        bench.sizes = dataclasses.replace(
            bench.sizes, outbound_messages=FULL.outbound_messages, rate_limit=FULL.rate_limit,
            rate_limited_messages=FULL.rate_limited_messages, broadcast_recipients=FULL.broadcast_recipients,
            broadcast_limited=FULL.broadcast_limited,
        )  # fmt: skip
    bench.setup()
    bench.start_emulator()
    main = Server("main", bench.env(), workers=2, port=bench.main_port).start()  # status callbacks land here
    bench.servers.append(main)
    async with aiohttp.ClientSession() as session:
        await main.ready(session)
        await bench.s5_outbound()
        if then is not None:
            await then(bench, session, main)


def main() -> int:
    return run_alone(_alone, key="s5_outbound", name="outbound", small=True)


if __name__ == "__main__":
    sys.exit(main())
