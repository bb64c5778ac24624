"""HOOK for the large retry storm: ``tests/reliability/storm.py``'s ``run_storm`` (another engineer's module).

The storm is 2,000 inbound webhooks × 3 copies + 1,000 outbound messages with duplicated, shuffled status
callbacks (``CHAOS_QUICK``: 200 × 3 + 100). ``run_storm`` drives the real webhook views in its own Django
process (its contract: Django set up, database migrated, no task worker running), so the hook runs
``tests.chaos.storm_child`` with the run's production environment (own PostgreSQL and Redis) and reads
the figures it writes. Without the module the scenario is "skipped".
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys

import aiohttp

from .procs import PY, RESULTS, Proc
from .record import Outcome
from .sizes import Sizes
from .stack import Stack, log

MODULE = "tests.reliability.storm"
FULL_SIZE = {"inbound": 2000, "copies": 3, "outbound": 1000, "threads": 8}
QUICK_SIZE = {"inbound": 200, "copies": 3, "outbound": 100, "threads": 8}
TIMEOUT = 900.0


async def run(stack: Stack, session: aiohttp.ClientSession, sizes: Sizes) -> Outcome:
    out = Outcome(
        key="retry-storm",
        title="Retry storm: inbound × 3 copies, outbound callbacks duplicated and shuffled",
        promise="each inbound stored once; each outbound in its true final status; each change announced once",
    )
    try:
        present = importlib.util.find_spec(MODULE) is not None
    except ModuleNotFoundError:  # not even its package
        present = False
    if not present:
        out.skipped = f"{MODULE.replace('.', '/')}.py not present"
        return out
    size = QUICK_SIZE if sizes.storm_quick else FULL_SIZE
    figures_path = RESULTS / "storm.json"
    figures_path.unlink(missing_ok=True)
    args = [PY, "-m", "tests.chaos.storm_child", "--out", str(figures_path),
            *(f"--{k}={v}" for k, v in size.items())]  # fmt: skip
    log(f"retry-storm: {size['inbound']} inbound × {size['copies']} + {size['outbound']} outbound "
        f"({size['threads']} threads) in a Django process of its own")  # fmt: skip
    child = Proc("storm", args, stack.env())
    stack.procs.append(child)
    try:
        code: int | str = await asyncio.to_thread(child.proc.wait, TIMEOUT)
    except subprocess.TimeoutExpired:
        child.stop()
        code = f"nothing: killed after {TIMEOUT:g} s"
    if not figures_path.exists():
        out.error = f"the storm process exited {code} without figures: see {child.log_path}"
        print(child.tail(20), file=sys.stderr)
        return out
    f = json.loads(figures_path.read_text())
    outbound_right = f["outbound"] - f["wrong_final_status"]
    out.sent = f["inbound"] + f["outbound"]
    out.stored = f["stored"] + outbound_right
    out.duplicated = f["duplicated"]
    out.lost = f["lost"] + f["wrong_final_status"]
    out.http_5xx = f["server_errors"]
    keep = ("copies", "threads", "sent", "status_posts", "raced_inbound", "raced_outbound", "other_errors",
            "unread_wrong", "live_unread_stale", "wrong_final_status", "audit_wrong", "status_changes",
            "events_expected", "events_received", "events_missing", "events_duplicated", "events_unexpected",
            "elapsed", "setup_seconds", "ok")  # fmt: skip
    out.notes = {"posts": f["sent"], **{k: f[k] for k in keep if k in f and k != "sent"},
                 "problems": f.get("problems", [])[:5], "via": "Django test client in-process (run_storm)"}  # fmt: skip
    if not f.get("ok", True):
        out.broken.append("run_storm reported failed checks (see problems)")
    return out
