"""``make bench``: smsinbox's benchmarks, every headline figure a ratio measured in the same run.

    python -m tests.bench.run [--quick] [--out bench-results/latest.json]

What it does, in order (``--quick`` or ``BENCH_QUICK=1``: tiny sizes, under a minute):

* creates its own PostgreSQL database ``smsinbox_bench_<pid>`` next to ``DATABASE_URL``'s (the admin
  connection, default ``postgres://postgres@127.0.0.1:5432/postgres``), migrates it, creates one
  organization (``manage.py setup_org``) and seeds data with ``INSERT … SELECT generate_series``;
* starts the production-shaped server: ``uvicorn smsinbox.asgi:application --workers 2`` with
  ``DEBUG=0``, the connection pool, the Redis channel layer (``REDIS_URL``, default
  ``redis://127.0.0.1:6379/0``) and ``DJANGO_SETTINGS_MODULE=tests.bench.settings`` (production
  settings + ``/bench/bare`` + a query-count header; see that module), a second single-worker
  server for the live-push scenario, and the local Twilio emulator in this process (``TwilioEmulator``);
* runs the scenarios (each bounded in requests and seconds, aimed only at 127.0.0.1), prints a table,
  writes ``bench-results/latest.json``, and cleans up: servers stopped, database dropped;
* then, with the servers gone, S10 (the reports page at 1,000,000 messages / 100,000 conversations,
  ``tests/bench/reports.py``) and S11 (100,000 contacts through the import job, ``tests/bench/imports.py``), each
  in its own process and database; their figures join the same table and JSON.

The load generator is this process (asyncio + aiohttp / websockets) on the same machine as the
servers: it takes CPU from them, equally for both sides of each ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.config import FULL, QUICK, RESULTS, log
from tests.bench.report import machine, table
from tests.bench.scenarios import Bench

STANDALONE = {
    "s10_reports": ("tests.bench.reports", "reports.json"),
    "s11_imports": ("tests.bench.imports", "imports.json"),
}


def standalone(quick: bool) -> dict[str, dict]:
    """S10 and S11, each run as its own process (its own database); their JSON results by scenario key."""
    found: dict[str, dict] = {}
    for key, (module, result) in STANDALONE.items():
        (RESULTS / result).unlink(missing_ok=True)
        log(f"{key}: python -m {module}{' --quick' if quick else ''}")
        run = subprocess.run([sys.executable, "-m", module, *(["--quick"] if quick else [])], check=False, timeout=3600)
        if (RESULTS / result).exists():
            found[key] = json.loads((RESULTS / result).read_text())
        else:
            log(f"{key}: no result (exit {run.returncode})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in {"", "0"})
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    bench = Bench(sizes, args.quick)
    started = time.perf_counter()
    bench.results["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    failed: BaseException | None = None
    try:
        asyncio.run(bench.run())
    except (Exception, KeyboardInterrupt) as exc:
        failed = exc
        log(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
        bench.cleanup()
    bench.results.update(standalone(args.quick))
    elapsed = round(time.perf_counter() - started, 1)
    figures = table(bench.results)  # judges each figure against its target: bench.results["verdicts"]
    report = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "mode": "quick" if args.quick else "full",
        "machine": machine(), "sizes": sizes.__dict__, "elapsed_s": elapsed,
        "error": None if failed is None else f"{type(failed).__name__}: {failed}", **bench.results,
    }  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    print(f"\nsmsinbox bench ({report['mode']}), {m['nproc']} cores, {m['ram_gib']} GiB, {m['cpu']}, "
          f"Python {m['python']}; load average {report.get('loadavg_at_start')} at start, "
          f"{m['loadavg_at_end']} at end; {elapsed} s in all\n")  # fmt: skip
    print(figures)
    print(f"\nwrote {out}")
    return 1 if failed is not None else 0


if __name__ == "__main__":
    sys.exit(main())
