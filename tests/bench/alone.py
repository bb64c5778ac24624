"""Run one scenario of ``make bench`` alone: its own database and servers, its figures written to
``bench-results/<name>.json`` and printed (``python -m tests.bench.presence``, ``python -m tests.bench.webhooks``)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from tests.bench.config import QUICK, RESULTS


def run_alone(alone: Callable[[Any], Coroutine[Any, Any, None]], *, key: str, name: str, small: bool = False) -> int:
    """``alone(bench)`` on a fresh bench (``--quick``: the CI size; ``small``: the small seed only; ``--db NAME``:
    that database instead of ``smsinbox_bench_<pid>``, dropped at the end too); ``bench.results[key]`` is saved."""
    from tests.bench.config import FULL
    from tests.bench.scenarios import Bench

    quick = "--quick" in sys.argv
    bench = Bench(QUICK if quick else FULL, quick)
    if small:
        bench.sizes = QUICK
    if "--db" in sys.argv:
        bench.db.name = sys.argv[sys.argv.index("--db") + 1]
        bench.db.url = bench.db.url.rsplit("/", 1)[0] + "/" + bench.db.name
    try:
        asyncio.run(alone(bench))
    finally:
        bench.cleanup()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(bench.results.get(key), indent=2) + "\n")
    print(json.dumps(bench.results.get(key), indent=2))
    print(f"wrote {out}")
    return 0
