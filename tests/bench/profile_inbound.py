"""Where an inbound webhook's time goes under ASGI: ``python -m tests.bench.profile_inbound [N]``.

Builds the bench's database (``Bench.setup``: its own ``smsinbox_bench_<pid>``, dropped at the end) and,
in this one process with the bench servers' settings (``DEBUG=0``, the pool, Redis), drives the ASGI
application directly (no sockets, no load generator: nothing but the server's own work) with ``N``
signed inbound posts one after another, for each middleware stack:

* ``full``: ``settings.MIDDLEWARE`` as shipped;
* ``none``: no middleware at all (the webhook view alone under Django's ASGI handler);
* ``full*``: ``full`` again under cProfile (its times are inflated by the profiler; the shares count).

It prints, per stack: wall ms per request; of it, the time inside the view (``dispatch``) and inside
``message_receive``; the thread hops (``SyncToAsync`` / ``AsyncToSync`` made) per request; then
cProfile's top functions (cumulative) for the request thread and the event loop thread of ``full``.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import sys
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from tests.bench.config import QUICK, contact_phone
from tests.bench.load import inbound
from tests.bench.scenarios import Bench

BASE = "http://127.0.0.1:8000"


def _scope(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    parts = urlsplit(url)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw += [(b"host", b"127.0.0.1:8000"), (b"content-length", str(len(body)).encode())]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": parts.path, "raw_path": parts.path.encode(), "query_string": parts.query.encode(),
            "root_path": "", "headers": raw, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}  # fmt: skip


async def _call(app: Any, url: str, body: bytes, headers: dict[str, str]) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(url, body, headers), receive, send)
    return status


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    bench = Bench(QUICK, True)
    bench.setup()
    try:
        os.environ.update(bench.env(PUBLIC_BASE_URL=BASE, LOG_LEVEL="WARNING"))
        import django

        django.setup()
        from asgiref import sync
        from django.core.handlers.asgi import ASGIHandler
        from django.test.utils import override_settings

        from messaging.intake import services as intake_services
        from messaging.services import inbound as inbound_service
        from messaging.twilio import webhooks

        hops: Counter[str] = Counter()
        spent: Counter[str] = Counter()
        for cls in (sync.SyncToAsync, sync.AsyncToSync):
            original = cls.__init__

            def counting(self: Any, *a: Any, _o: Any = original, _n: str = cls.__name__, **k: Any) -> None:
                hops[_n] += 1
                _o(self, *a, **k)

            cls.__init__ = counting  # type: ignore[method-assign]

        def timed(name: str, fn: Any) -> Any:
            def wrapper(*a: Any, **k: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    spent[name] += time.perf_counter() - t0

            return wrapper

        webhooks.TwilioWebhookView.dispatch = timed("view", webhooks.TwilioWebhookView.dispatch)
        intake_services.message_receive = timed("message_receive", inbound_service.message_receive)

        from django.conf import settings

        phones = [contact_phone(1 + i % bench.conversations) for i in range((n + 20) * 6)]
        posts = iter(inbound(BASE, p) for p in phones)
        thread_profile = cProfile.Profile()

        async def run(label: str, profile: bool) -> dict[str, float]:
            app = ASGIHandler()
            for _ in range(20):  # warm up: connections, caches
                assert await _call(app, *next(posts)) == 200
            hops.clear()
            spent.clear()
            loop_profile = cProfile.Profile() if profile else None
            if profile:  # the request threads (asgiref starts one per request): profiled by a hook on each
                threading.setprofile(lambda *a: None)
                original_run = threading.Thread.run

                def run_profiled(self: threading.Thread) -> None:
                    thread_profile.enable()
                    try:
                        original_run(self)
                    finally:
                        thread_profile.disable()

                threading.Thread.run = run_profiled  # type: ignore[method-assign]
                loop_profile.enable()
            t0 = time.perf_counter()
            for _ in range(n):
                assert await _call(app, *next(posts)) == 200
            wall = time.perf_counter() - t0
            if profile:
                loop_profile.disable()
                threading.Thread.run = original_run  # type: ignore[method-assign]
                threading.setprofile(None)  # type: ignore[arg-type]
                out = io.StringIO()
                pstats.Stats(loop_profile, stream=out).sort_stats("tottime").print_stats(12)
                print(f"--- event loop thread, {label}: top functions by own time ---")
                print("\n".join(out.getvalue().splitlines()[:40]))
            return {"wall_ms": wall * 1000 / n, "view_ms": spent["view"] * 1000 / n,
                    "receive_ms": spent["message_receive"] * 1000 / n,
                    "sync_to_async": hops["SyncToAsync"] / n, "async_to_sync": hops["AsyncToSync"] / n}  # fmt: skip

        results = {}
        with override_settings(MIDDLEWARE=[]):
            results["none"] = asyncio.run(run("none", False))
        results["full"] = asyncio.run(run("full", False))
        results["full*"] = asyncio.run(run("full, profiled", True))
        print(f"\nmiddleware: {settings.MIDDLEWARE}\n")
        for label, r in results.items():
            outside = r["wall_ms"] - r["view_ms"]
            print(f"{label:>5}: {r['wall_ms']:.2f} ms/request wall; view {r['view_ms']:.2f} ms "
                  f"(message_receive {r['receive_ms']:.2f} ms); outside the view {outside:.2f} ms; "
                  f"hops {r['sync_to_async']:.1f} sync_to_async, {r['async_to_sync']:.1f} async_to_sync")  # fmt: skip
        out = io.StringIO()
        pstats.Stats(thread_profile, stream=out).sort_stats("cumulative").print_stats(45)
        print("\n--- request threads, full: top functions by cumulative time ---")
        print("\n".join(out.getvalue().splitlines()[:75]))
    finally:
        bench.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
