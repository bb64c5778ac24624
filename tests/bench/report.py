"""The printed table of figures against their targets, and the machine they came from."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

# A target: ">= 0.5", "<= 100 ms", ">= 200/s", "p99 <= 150 ms", "0" (exactly nothing).
_TARGET = re.compile(r"^(?P<p99>p99\s+)?(?:(?P<op>>=|<=)\s*)?(?P<bound>\d+(?:\.\d+)?)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def verdict(value: Any, target: str, failures: int = 0) -> str:
    """Whether a figure met its target in this run: "met", "missed", or "" (no target, or no figure).

    The value's number is its first (its last for a "p50/p99" pair checked against a p99 target); a target
    without an operator is an exact count ("0" missing frames). A figure whose requests were answered with
    anything but 2xx, or not at all (``failures``), is missed whatever its value: errors are not speed.
    """
    found = _TARGET.match(target.strip()) if target else None
    numbers = _NUMBER.findall(str(value)) if value is not None else []
    if not found or not numbers:
        return ""
    number = float(numbers[-1] if found["p99"] else numbers[0])
    bound = float(found["bound"])
    ok = {">=": number >= bound, "<=": number <= bound, None: number == bound}[found["op"]]
    return "met" if ok and not failures else "missed"


def failed_requests(summary: dict[str, Any]) -> int:
    """Requests of a load window answered with anything but 2xx, or not at all."""
    statuses = summary.get("statuses") or {}
    return summary.get("errors", 0) + sum(n for s, n in statuses.items() if not 200 <= int(s) < 300)


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    return {"nproc": os.cpu_count(), "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
            "ram_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "kernel": platform.release()}  # fmt: skip


def table(res: dict[str, Any]) -> str:
    """The figures, their targets and whether this run met each; ``res["verdicts"]`` gets them too."""
    rows: list[tuple[str, str, str, str]] = []

    def add(name: str, value: Any, target: str = "", failures: int = 0) -> None:
        met = verdict(value, target, failures)
        shown = "-" if value is None else str(value)
        if failures:
            shown += f" ({failures} failed requests)"
        rows.append((name, shown, target, {"met": "✓ met", "missed": "✗ missed"}.get(met, "")))

    s1 = res.get("s1_inbound")
    if s1:
        b, r = s1["bare"], s1["inbound"]
        add(f"1 bare view req/s (c={s1['concurrency']})", b["rps"])
        add("1 bare view p50/p95/p99 ms", f"{b['p50_ms']}/{b['p95_ms']}/{b['p99_ms']}")
        add("1 bare view CPU ms/request", b.get("cpu_ms_per_request"))
        signed = s1.get("signed")
        if signed:
            for key, name in (("django", "Django"), ("drf", "DRF")):
                v = signed[key]
                add(f"1 signed {name} view, no DB: req/s, p50 ms, CPU ms/req",
                    f"{v['rps']}, {v['p50_ms']}, {v['cpu_ms_per_request']}")  # fmt: skip
            add("1 signed DRF / signed Django (ratio)", signed["ratio_rps_drf_over_django"])
            add("1 signed DRF / bare (ratio)", signed["ratio_rps_drf_over_bare"])
            add("1 DRF machinery, CPU ms/request", signed["drf_cpu_ms_per_request_more"])
        add("1 inbound webhook req/s", r["rps"])
        add("1 inbound p50/p95/p99 ms", f"{r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']}")
        add("1 inbound CPU ms/request", r.get("cpu_ms_per_request"))
        add("1 inbound / bare (ratio)", s1["ratio_rps"], ">= 0.5", failed_requests(r))
        if "half_rate" in s1:
            h = s1["half_rate"]
            add(f"1 inbound p99 at half max ({h['rate']}/s)", h["p99_ms"], "<= 100 ms")
    s9 = res.get("s9_webhooks")
    if s9:
        w, d = s9["inbound"], s9["delivery"]
        add("9 inbound req/s, no endpoint → one subscribed", f"{w['without']['rps']} → {w['with_endpoint']['rps']}")
        add("9 inbound with one endpoint / without (ratio)", w["ratio_rps"])
        add("9 outgoing webhooks, CPU ms/request more", w["cpu_ms_per_request_more"], "<= 2 ms")
        add(f"9 webhook deliveries/s ({d['workers']} workers)", d["per_s"])
        add("9 webhooks delivered, verified / written", f"{d['delivered']}, {d['verified']} / {d['events']}")
    s2 = res.get("s2_status")
    if s2:
        add("2 status callback req/s", s2["status"]["rps"])
        st = s2["status"]
        add("2 status p50/p95/p99 ms", f"{st['p50_ms']}/{st['p95_ms']}/{st['p99_ms']}")
        add("2 status CPU ms/request", st.get("cpu_ms_per_request"))
        add("2 status / bare (ratio)", s2["ratio_rps"], ">= 0.5", failed_requests(st))
    s9 = res.get("s9_floor")
    if s9:
        fi, fs = s9["floor_inbound"], s9["floor_status"]
        add("9 floor inbound req/s, p50 ms, CPU ms/req", f"{fi['rps']}, {fi['p50_ms']}, {fi['cpu_ms_per_request']}")
        add("9 floor status req/s, p50 ms, CPU ms/req", f"{fs['rps']}, {fs['p50_ms']}, {fs['cpu_ms_per_request']}")
        add("9 floor inbound / bare (ratio)", s9["floor_inbound_over_bare"])
        add("9 inbound / floor (ratio)", s9["inbound_over_floor"], ">= 0.5")
        add("9 inbound / bare, same run (ratio)", s9["inbound_over_bare"])
        add("9 status / floor (ratio)", s9["status_over_floor"], ">= 0.5")
        add("9 status / bare, same run (ratio)", s9["status_over_bare"])
    s13 = res.get("s13_intake")
    if s13:
        ra, ib, sb = s13["ratios"], s13["inbound"], s13["status"]
        ack, sta = ib["acknowledged"], sb["acknowledged"]
        add(f"13 store-first inbound acknowledged req/s, p99 ms ({s13['processors']} processors)",
            f"{ack['rps']}, {ack['p99_ms']}")  # fmt: skip
        add("13 store-first inbound acknowledged / floor (ratio)", ra["inbound_acknowledged_over_floor"], ">= 0.5",
            failed_requests(ack))  # fmt: skip
        add("13 store-first inbound applied/s, lag p50/p99 ms",
            f"{ib['processed'].get('applied_per_s')}, {ib['processed'].get('lag_p50_ms')}/"
            f"{ib['processed'].get('lag_p99_ms')}")  # fmt: skip
        add("13 store-first inbound processed / floor (ratio)", ra["inbound_processed_over_floor"], ">= 0.5")
        add("13 store-first status acknowledged / floor (ratio)", ra["status_acknowledged_over_floor"], ">= 0.5",
            failed_requests(sta))  # fmt: skip
        add("13 store-first status processed / floor (ratio)", ra["status_processed_over_floor"], ">= 0.5")
        if "half_rate" in s13:
            h = s13["half_rate"]
            add(f"13 store-first p99 ms at half rate ({h['rate']}/s)", h["answers"]["p99_ms"], "<= 100 ms",
                failed_requests(h["answers"]))  # fmt: skip
            add("13 store-first applied lag p99 ms at half rate", h["processed"].get("lag_p99_ms"), "<= 100 ms")
        b = s13["burst"]
        full = b["posts"] >= 20_000
        add(f"13 burst of {b['posts']:,} in {b['seconds']:g} s: not 2xx or unanswered", b["not_2xx_or_unanswered"],
            "0")  # fmt: skip
        add("13 burst: all in threads, s after its end", b["all_in_threads_after_end_s"], "<= 60 s" if full else "")
    s3 = res.get("s3_costs")
    if s3 and "ratios" in s3:
        sm, lg, ra = s3["small"], s3["large"], s3["ratios"]
        add(f"3 inbound p50 ms ({sm['contacts']} → {lg['contacts']} contacts)",
            f"{sm['inbound_p50_ms']} → {lg['inbound_p50_ms']}")  # fmt: skip
        add("3 inbound queries (small → large)", f"{sm['inbound_queries']} → {lg['inbound_queries']}")
        add("3 inbound p50 large/small (ratio)", ra["inbound_p50"], "<= 1.2")
        add(f"3 inbox list p50 ms ({sm['conversations']} → {lg['conversations']} convs)",
            f"{sm['inbox_p50_ms']} → {lg['inbox_p50_ms']}")  # fmt: skip
        add("3 inbox list large/small (ratio)", ra["inbox_p50"], "<= 1.25")
        add("3 thread p50 ms (small → large)", f"{sm['thread_p50_ms']} → {lg['thread_p50_ms']}")
        add("3 thread large/small (ratio)", ra["thread_p50"], "<= 1.25")
        add("3 inbox/thread queries (small → large)",
            f"{sm['inbox_queries']}/{sm['thread_queries']} → {lg['inbox_queries']}/{lg['thread_queries']}")  # fmt: skip
    for n, p in (res.get("s4_push") or {}).items():
        target = "<= 100 ms" if n == "100" else "<= 250 ms" if n == "500" else ""
        add(f"4 push p50/p99 ms, {n} clients", f"{p['p50_ms']}/{p['p99_ms']}", f"p99 {target}" if target else "")
        add(f"4 push missing frames, {n} clients", p["missing_frames"], "0")
    s8 = res.get("s8_presence")
    if s8:
        f, h = s8["fan_out"], s8["heartbeats"]
        add(f"8 presence fan-out p50/p99 ms, {f['clients']} clients", f"{f['p50_ms']}/{f['p99_ms']}", "p99 <= 150 ms")
        add("8 presence missing frames", f["missing_frames"], "0")
        add(f"8 heartbeats of {h['staff']} staff: Redis ops/s, server CPU %",
            f"{h['redis_ops_per_s_for_presence']}, {h['server_cpu_pct_of_one_core']}")  # fmt: skip
    s5 = res.get("s5_outbound")
    if s5:
        add(f"5 outbound msg/s, no limit ({s5['rate_limit_off']['workers']} workers)",
            s5["rate_limit_off"]["per_s"], ">= 200/s")  # fmt: skip
        if "rate_limit_off_with_callbacks" in s5:
            add("5 outbound msg/s, no limit, callbacks on", s5["rate_limit_off_with_callbacks"]["per_s"])
        lim = s5["rate_limited"]
        add(
            f"5 achieved msg/s at limit {lim['limit_per_s']}/s",
            lim["achieved_per_s"],
            f">= {0.95 * lim['limit_per_s']:g}",
        )
        add("5 max sends in any 1 s window", lim["max_in_any_1s_window"], f"<= {lim['limit_per_s']}")
    s12 = res.get("s12_broadcasts")
    if s12:
        pv, free, lim = s12["preview"], s12["rate_limit_off"], s12["rate_limited"]
        add(f"12 broadcast preview s ({pv['recipients']} recipients)", pv["seconds"], "<= 2")
        add(f"12 broadcast recipients stored s ({free['recipients']})", free["create_s"])
        add("12 broadcast all messages queued s", free["all_handed_over_s"], "<= 20")
        add("12 broadcast msg/s, no limit / single sends", f"{free['per_s']} / {free['single_sends_per_s']}")
        add("12 broadcast / single sends (ratio)", free["ratio_over_single_sends"], ">= 0.9")
        add(f"12 broadcast achieved msg/s at {lim['limit_per_s']}/s", lim["achieved_per_s"],
            f">= {0.95 * lim['limit_per_s']:g}")  # fmt: skip
        add("12 broadcast max sends in any 1 s window", lim["max_in_any_1s_window"], f"<= {lim['limit_per_s']}")
    s6 = res.get("s6_pool")
    if s6:
        add("6 inbound req/s with pool / without", f"{s6['with_pool']['rps']} / {s6['without_pool']['rps']}")
        add("6 pool / no pool (ratio)", s6["ratio_rps_pool_over_nopool"])
    s7 = res.get("s7_memory")
    if s7:
        m = s7.get("main_server_end") or s7.get("main_server")
        add("7 RSS MB per server worker (end)", ", ".join(str(x) for x in m["workers_mb"]), "<= 150 MB")
        add("7 RSS MB uvicorn master", m["master_mb"])
        for key, val in s7.items():
            if key.startswith("db_worker_"):
                add(f"7 RSS MB {key.removeprefix('db_worker_').removesuffix('_mb')} db_workers",
                    ", ".join(str(x) for x in val))  # fmt: skip
    s10 = res.get("s10_reports")
    if s10:
        size = f"{s10['messages']:,} messages, {s10['conversations']:,} conversations"
        full = s10["messages"] >= 1_000_000
        add(f"10 reports page p50 ms ({size})", s10["p50_ms"], "<= 500 ms" if full else "")
        add("10 reports page p95 ms, queries", f"{s10['p95_ms']}, {s10['queries']}")
    s11 = res.get("s11_imports")
    if s11:
        full = s11["rows"] >= 100_000
        add(f"11 contacts import of {s11['rows']:,} rows, s", s11["seconds"], "<= 60 s" if full else "")
        add("11 contacts import rows/s", s11["rows_per_s"])
    w1 = max(len(r[0]) for r in rows) if rows else 10
    w2 = max(len(r[1]) for r in rows) if rows else 10
    w3 = max([len(r[2]) for r in rows] + [6])
    lines = [f"{'figure':<{w1}}  {'value':>{w2}}  {'target':<{w3}}  this run", "-" * (w1 + w2 + w3 + 16)]
    lines += [f"{a:<{w1}}  {b:>{w2}}  {c:<{w3}}  {d}".rstrip() for a, b, c, d in rows]
    judged = [(a, d) for a, _, _, d in rows if d]
    missed = [a for a, d in judged if d.endswith("missed")]
    res["verdicts"] = {a: d.split()[-1] for a, d in judged}
    lines.append("")
    lines.append(f"targets: {len(judged) - len(missed)} of {len(judged)} met in this run"
                 + (f"; missed: {'; '.join(missed)}" if missed else ""))  # fmt: skip
    return "\n".join(lines)
