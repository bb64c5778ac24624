"""S12 broadcasts: a preview and a broadcast to ``Sizes.broadcast_recipients`` contacts through the API.

* the dry run's time (``POST /api/broadcasts/`` with ``dryRun``: the preview counts; target ≤ 2 s at 10,000);
* queuing: the create call (every recipient row stored ``queued``), then until the workers' run has handed every
  recipient's message to the send pipeline (stored and enqueued: target ≤ 20 s at 10,000);
* with the rate limit off, the rate the texts reach the emulator, over S5's single sends (with callbacks, the
  same workers, the same run; target ≥ 0.9×);
* at a 50/s limit (``messages_per_second``), the achieved rate (≥ 95 %) and the most sends the emulator saw in
  any one-second window (never above 50).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp

from tests.bench.config import OUTBOUND_WORKERS, USERNAME, log, ratio
from tests.bench.harness import Server, seed_contacts

LIMIT = 50


def _contact_ids(bench: Any, n: int) -> list[int]:
    with bench.db.connect() as conn:
        rows = conn.execute(
            "SELECT id FROM conversations_contact WHERE organization_id = %s ORDER BY id LIMIT %s",
            (bench.ids["org"], n),
        )
        return [r[0] for r in rows]


async def _post(session: aiohttp.ClientSession, url: str, token: str, body: dict[str, Any]) -> tuple[int, Any, float]:
    t0 = time.perf_counter()
    async with session.post(url, json=body, headers={"Authorization": f"Token {token}"}) as answer:
        data = await answer.json()
        return answer.status, data, time.perf_counter() - t0


def _handed_over(bench: Any, broadcast_id: int) -> int:
    with bench.db.connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM messaging_broadcastrecipient WHERE broadcast_id = %s AND status <> 'queued'",
            (broadcast_id,),
        ).fetchone()[0]


async def _broadcast(bench: Any, session: aiohttp.ClientSession, main: Server, token: str, tag: str, n: int,
                     env: dict[str, str], timeout: float) -> dict[str, Any]:  # fmt: skip
    """Create a broadcast to contacts 1..n (texts ``<tag> Bench Contact <i>``) and run it with the workers."""
    ids = _contact_ids(bench, n)
    status, data, create_s = await _post(
        session, f"{main.url}/api/broadcasts/", token, {"message": tag + " {{contact.name}}", "contactIds": ids}
    )
    if status != 201:
        raise RuntimeError(f"POST /api/broadcasts/ answered {status}: {data}")
    started = time.monotonic()
    handed_s: float | None = None

    async def watch() -> None:
        nonlocal handed_s
        while time.monotonic() - started < timeout:
            if _handed_over(bench, data["id"]) >= len(ids):
                handed_s = time.monotonic() - started
                return
            await asyncio.sleep(0.1)

    watcher = asyncio.ensure_future(watch())
    times = await bench.drain(tag, len(ids), OUTBOUND_WORKERS, env, timeout=timeout)
    watcher.cancel()
    span = (times[-1] - times[0]) if len(times) > 1 else None
    return {
        "recipients": len(ids),
        "create_s": round(create_s, 2),
        "all_handed_over_s": round(handed_s, 2) if handed_s else None,
        "reached_emulator": len(times),
        "per_s": round((len(times) - 1) / span, 1) if span else None,
        "times": times,
    }


async def s12_broadcasts(bench: Any, session: aiohttp.ClientSession, main: Server) -> None:
    s = bench.sizes
    n = s.broadcast_recipients
    token = bench.manage("drf_create_token", USERNAME).split()[2]
    with bench.db.connect() as conn:  # S12 alone seeds the small set: the full size needs 10,000 contacts
        have = conn.execute("SELECT count(*) FROM conversations_contact").fetchone()[0]
        if have < n:
            seed_contacts(conn, bench.ids, have + 1, n)
    ids = _contact_ids(bench, n)
    log(f"S12 broadcasts: preview of {len(ids)} recipients …")
    status, preview, preview_s = await _post(
        session, f"{main.url}/api/broadcasts/", token,
        {"message": "Hi {{contact.first_name|there}}", "contactIds": ids, "dryRun": True},
    )  # fmt: skip
    if status != 200:
        raise RuntimeError(f"dry run answered {status}: {preview}")
    log(f"S12 broadcasts: {len(ids)} recipients, rate limit off, {OUTBOUND_WORKERS} workers …")
    free = await _broadcast(bench, session, main, token, "bench-bcast", n, bench.env(SEND_RATE_LIMIT="0"),
                            timeout=60 if bench.quick else 600)  # fmt: skip
    free.pop("times")
    single = bench.results.get("s5_outbound", {}).get("rate_limit_off_with_callbacks", {}).get("per_s")
    limited_n = s.broadcast_limited
    log(f"S12 broadcasts: {limited_n} recipients at {LIMIT}/s …")
    with bench.db.connect() as conn:
        # What the free run did not hand over or deliver in its time would go first in the next run, through its
        # limit: that broadcast is cancelled and its waiting tasks dropped (in the bench's database), so the
        # limited run measures itself (its first runs counted 0 texts at the emulator in the time allowed).
        conn.execute(
            "UPDATE messaging_broadcast SET state = 'cancelled', finished_at = now() "
            "WHERE state NOT IN ('done', 'cancelled')"
        )
        conn.execute("DELETE FROM django_tasks_database_dbtaskresult WHERE status = 'READY'")
        conn.execute(
            "UPDATE smsinbox_phonenumber SET messages_per_second = %s, send_slot_at = NULL, recent_send_starts = NULL "
            "WHERE id = %s", (LIMIT, bench.ids["number"]),
        )  # fmt: skip
    limited = await _broadcast(bench, session, main, token, "bench-bcast-limited", limited_n,
                               bench.env(SEND_RATE_LIMIT="1"), timeout=limited_n / LIMIT + 30)  # fmt: skip
    times = limited.pop("times")
    span = (times[-1] - times[0]) if len(times) > 1 else None
    achieved = round((len(times) - 1) / span, 2) if span else None
    window_max = max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)
    free.update(single_sends_per_s=single, ratio_over_single_sends=ratio(free["per_s"], single))
    limited.update(limit_per_s=LIMIT, achieved_per_s=achieved, achieved_fraction=ratio(achieved, LIMIT))
    limited["max_in_any_1s_window"] = window_max
    bench.results["s12_broadcasts"] = {
        "preview": {"recipients": len(ids), "seconds": round(preview_s, 2), "answer": preview},
        "rate_limit_off": free,
        "rate_limited": limited,
        "timing": "create_s: the API call storing every recipient; all_handed_over_s: after it, until the "
        "workers' run stored and enqueued every message; per_s: texts reaching the emulator",
    }


def main() -> int:
    """``python -m tests.bench.broadcasts [--quick]``: S12 alone, after S5 (its ratio's single sends): 10,000
    recipients (1,000 at 50/s); ``--quick``: 1,000 (250)."""
    from functools import partial

    from tests.bench.alone import run_alone
    from tests.bench.outbound import _alone

    return run_alone(partial(_alone, then=s12_broadcasts), key="s12_broadcasts", name="broadcasts", small=True)


if __name__ == "__main__":
    sys.exit(main())
