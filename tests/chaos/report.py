"""Regenerate ``docs/reliability.md`` from ``chaos-results/latest.json`` (what is promised, what was measured).

python -m tests.chaos.report [--input chaos-results/latest.json] [--output docs/reliability.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .procs import RESULTS, ROOT
from .stack import WORKER_ENV

DOC = ROOT / "docs" / "reliability.md"

INTRO = """\
smsinbox keeps every text through the faults below. `make chaos` injects each of them into real processes —
its own throwaway PostgreSQL and Redis, one uvicorn server with 2 workers in production settings, `task_worker`
task workers, `reconcile_messages --loop`, and the local Twilio emulator (`manage.py twilio_emulator`) — and
counts, for every scenario, what was sent, stored, duplicated and lost, and the 5xx answers.
"""

PROMISES = [
    ("PostgreSQL stopped (`pg_ctl stop -m immediate`) or paused (SIGSTOP) during webhook load",
     "webhooks answer 5xx within 5 s, nothing half-written; after it returns, Twilio's redeliveries are stored "
     "exactly once and the same server processes serve again (no restart)"),
    ("Redis killed", "webhooks still answer 2xx and store; within 5 s of its return every inbox websocket client "
     "has reconnected and resynced; nothing missing in any inbox"),
    ("Twilio failing or slow (500, 503, 429, answers after our timeout with or without creating the message, "
     "slow answers, an outage)", "sends are retried and end delivered, or failed with a reason; none lost, none "
     "sent twice"),
    ("a task worker killed with SIGKILL ten times during the sends", "none lost, none sent twice: a send cut "
     "short is found at Twilio (callback or lookup), never sent again"),
    ("retry storm: every inbound webhook 3 times, outbound status callbacks duplicated and shuffled, "
     "concurrently", "each inbound stored once; each outbound in its true final status; each change announced "
     "once"),
]  # fmt: skip

COUNTS = """\
**sent**: inbound webhooks (distinct MessageSids) or outbound sends the API accepted. **stored**: of those, in
the database (inbound: exactly that MessageSid; outbound: the message row). **duplicated**: inbound stored more
than once, or outbound messages Twilio (the emulator's message list) received more than once. **lost**: sent but
not stored, or (outbound) not in a final status, failed without a reason, or in a status that contradicts
Twilio's; for Redis also a message missing from a client's screen after resync. **5xx**: 5xx answers of our
server (inbound: every delivery attempt; outbound: the send API). The load generator redelivers a webhook after
a 5xx or no answer within 15 s, as Twilio does, until it gets a 2xx.
"""

HIGHLIGHTS = {
    "postgres-stop": ["down_s", "time_to_first_5xx_s", "max_response_while_down_s", "slower_than_5s_while_down",
                      "stores_again_after_back_s", "max_deliveries_of_one_message", "served_after_without_restart",
                      "worker_alive_after"],
    "postgres-pause": ["down_s", "time_to_first_5xx_s", "max_response_while_down_s", "slower_than_5s_while_down",
                       "stores_again_after_back_s", "max_deliveries_of_one_message", "served_after_without_restart",
                       "worker_alive_after"],
    "redis-stop": ["clients", "down_s", "max_webhook_response_while_down_s", "clients_disconnected_by_outage",
                   "max_reconnect_after_back_s", "max_resync_after_back_s", "client_message_pairs_missing",
                   "stale_conversation_rows"],
    "twilio-faults": ["final_statuses", "failed_reasons", "twilio_received_twice"],
    "worker-sigkill": ["kills", "kills_during_a_task", "final_statuses", "twilio_received_twice",
                       "tasks_left_running_by_killed_workers", "settled_after_sends_s"],
    "retry-storm": ["posts", "raced_inbound", "raced_outbound", "wrong_final_status", "events_missing",
                    "events_duplicated", "elapsed"],
}  # fmt: skip


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{round(value, 2):g}"
    return "–" if value is None else str(value)


def notes(s: dict[str, Any]) -> str:
    """The scenario's headline figures for the table."""
    found = s.get("notes") or {}
    keys = HIGHLIGHTS.get(s["key"], [k for k, v in found.items() if not isinstance(v, dict | list)][:6])
    return "; ".join(f"{k.replace('_', ' ')}: {_fmt(found[k])}" for k in keys if k in found)


def kept(s: dict[str, Any]) -> str:
    if s.get("skipped"):
        return f"skipped ({s['skipped']})"
    if s.get("error"):
        return f"**error**: {s['error']}"
    if s.get("ok"):
        return "yes"
    broken = list(s.get("broken") or [])
    if s["lost"] or s["duplicated"]:
        broken.insert(0, f"lost {s['lost']}, duplicated {s['duplicated']}")
    return "**no**: " + "; ".join(broken)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(results: dict[str, Any]) -> str:
    lines = ["| scenario | sent | stored | duplicated | lost | 5xx | promise kept | notes |",
             "|---|---:|---:|---:|---:|---:|---|---|"]  # fmt: skip
    for s in results.get("scenarios", []):
        lines.append(
            f"| {s['key']} ({s['seconds']:g} s) | {s['sent']} | {s['stored']} | {s['duplicated']} | {s['lost']} "
            f"| {s['http_5xx']} | {_cell(kept(s))} | {_cell(notes(s))} |"
        )
    return "\n".join(lines)


def phases(results: dict[str, Any]) -> str:
    """The Twilio scenario phase by phase, when it ran."""
    twilio = next((s for s in results.get("scenarios", []) if s["key"] == "twilio-faults"), None)
    phase_notes = (twilio or {}).get("notes", {}).get("phases") or {}
    if not phase_notes:
        return ""
    lines = ["| Twilio phase | what the emulator did | final statuses | most attempts | lost | at Twilio twice |",
             "|---|---|---|---:|---:|---:|"]  # fmt: skip
    for name, p in phase_notes.items():
        lines.append(f"| {name} | {_cell(p['means'])} | {_fmt(p['statuses'])} | {p['max_send_attempts']} "
                     f"| {p['lost']} | {p['twilio_received_twice']} |")  # fmt: skip
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    sizes = results.get("sizes", {})
    parts = [
        "# Reliability under faults",
        "",
        "<!-- Generated by `python -m tests.chaos.report` from chaos-results/latest.json (`make chaos`). "
        "Do not edit by hand. -->",
        "",
        "## What is promised",
        "",
        INTRO,
        "| fault | promise |",
        "|---|---|",
        *(f"| {fault} | {promise} |" for fault, promise in PROMISES),
        "",
        f"## What was measured ({results.get('mode', '?')} run, {results.get('when', '?')})",
        "",
        table(results),
        "",
    ]
    if results.get("error"):
        parts += [f"The run stopped early: {results['error']}", ""]
    broken = [(s["key"], b) for s in results.get("scenarios", []) for b in s.get("broken") or []]
    if broken:
        parts += ["Promises not kept in this run:", "", *(f"- **{key}**: {b}" for key, b in broken), ""]
    extra = phases(results)
    if extra:
        parts += [extra, ""]
    parts += [
        COUNTS,
        "## Machine and run",
        "",
        f"- {m.get('nproc')} cores ({m.get('cpu')}), {m.get('ram_gib')} GiB RAM, Linux {m.get('kernel')}, "
        f"Python {m.get('python')}; shared with other work: load average "
        f"{' '.join(m.get('loadavg_at_start') or [])} at start, {' '.join(m.get('loadavg_at_end') or [])} at end.",
        f"- Mode {results.get('mode')}, {results.get('elapsed_s')} s in all; sizes: "
        + ", ".join(f"{k} {v}" for k, v in sizes.items())
        + ".",
        "- Changed from the production defaults so that every retry path runs within minutes: "
        + ", ".join(f"`{k}={v}`" for k, v in WORKER_ENV.items())
        + " (production: 10 s, 2 s, on, 120 s); the emulator posts status callbacks 0.05 s apart.",
        "- Run it: `make chaos` (full, under 15 minutes) or `CHAOS_QUICK=1 make chaos` (a few minutes); one "
        "scenario: `.venv/bin/python -m tests.chaos.run --only redis-stop`. Needs PostgreSQL server binaries "
        "(`/usr/lib/postgresql/*/bin`) and `redis-server` installed; it starts its own instances on free ports "
        "and removes them. `make chaos` fails on a lost or duplicated message and on any other broken promise, "
        "naming each (`CHAOS_STRICT=0` fails only on lost or duplicated messages)."
        " Every figure is in `chaos-results/latest.json`; this page is "
        "`python -m tests.chaos.report`.",
        "",
    ]
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", default=str(RESULTS / "latest.json"))
    parser.add_argument("--output", default=str(DOC))
    args = parser.parse_args()
    source = Path(args.input)
    if not source.exists():
        print(f"{source} does not exist: run `make chaos` first.", file=sys.stderr)
        return 1
    results = json.loads(source.read_text())
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results))
    print(table(results))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
