"""``make bench``'s judgement of each figure against its target (``tests/bench/report.py``)."""

from __future__ import annotations

import pytest

from tests.bench.report import table, verdict


@pytest.mark.parametrize(
    ("value", "target", "failures", "expected"),
    [
        (0.52, ">= 0.5", 0, "met"),
        (0.17, ">= 0.5", 0, "missed"),
        (0.52, ">= 0.5", 3, "missed"),  # fast because it failed requests: missed
        ("20/58", "p99 <= 150 ms", 0, "met"),
        ("20/158", "p99 <= 150 ms", 0, "missed"),
        (21, "<= 20", 0, "missed"),
        (20, "<= 20", 0, "met"),
        (0, "0", 0, "met"),
        (2, "0", 0, "missed"),
        ("141.6, 139.5", "<= 150 MB", 0, "met"),
        (173.0, ">= 200/s", 0, "missed"),
        (12.0, "", 0, ""),  # no target: not judged
        (None, ">= 0.5", 0, ""),  # no figure: not judged
    ],
)
def test_each_figure_is_judged_against_its_target(value, target, failures, expected):
    assert verdict(value, target, failures) == expected


def test_the_table_says_which_targets_this_run_missed_and_counts_failed_requests():
    ok = {"rps": 500.0, "p50_ms": 1, "p95_ms": 2, "p99_ms": 3, "statuses": {"200": 10}, "errors": 0}
    results = {
        "s1_inbound": {"concurrency": 16, "bare": ok, "inbound": {**ok, "statuses": {"200": 8, "503": 2}},
                       "ratio_rps": 0.9},
        "s5_outbound": {"rate_limit_off": {"workers": 4, "per_s": 250.0},
                        "rate_limited": {"limit_per_s": 20, "achieved_per_s": 19.6, "max_in_any_1s_window": 21}},
    }  # fmt: skip
    text = table(results)
    assert "2 failed requests" in text
    assert results["verdicts"] == {
        "1 inbound / bare (ratio)": "missed",
        "5 outbound msg/s, no limit (4 workers)": "met",
        "5 achieved msg/s at limit 20/s": "met",
        "5 max sends in any 1 s window": "missed",
    }
    assert text.splitlines()[-1] == (
        "targets: 2 of 4 met in this run; missed: 1 inbound / bare (ratio); 5 max sends in any 1 s window"
    )


def test_the_broadcast_figures_are_judged_against_the_issues_targets():
    results = {
        "s12_broadcasts": {
            "preview": {"recipients": 10_000, "seconds": 1.2},
            "rate_limit_off": {"recipients": 10_000, "create_s": 3.1, "all_handed_over_s": 25.0, "per_s": 180.0,
                               "single_sends_per_s": 190.0, "ratio_over_single_sends": 0.947},
            "rate_limited": {"limit_per_s": 50, "achieved_per_s": 48.1, "max_in_any_1s_window": 50},
        }
    }  # fmt: skip
    table(results)
    assert results["verdicts"] == {
        "12 broadcast preview s (10000 recipients)": "met",
        "12 broadcast all messages queued s": "missed",
        "12 broadcast / single sends (ratio)": "met",
        "12 broadcast achieved msg/s at 50/s": "met",
        "12 broadcast max sends in any 1 s window": "met",
    }


def test_the_reports_page_and_import_figures_are_judged_at_full_size_only():
    reports = {"messages": 1_000_000, "conversations": 100_000, "p50_ms": 420.5, "p95_ms": 610.0, "queries": 17}
    imports = {"rows": 100_000, "seconds": 75.2, "rows_per_s": 1330}
    results = {"s10_reports": reports, "s11_imports": imports}
    text = table(results)
    assert results["verdicts"] == {
        "10 reports page p50 ms (1,000,000 messages, 100,000 conversations)": "met",
        "11 contacts import of 100,000 rows, s": "missed",
    }
    assert "10 reports page p95 ms, queries" in text
    quick = {"s10_reports": {**reports, "messages": 20_000}, "s11_imports": {**imports, "rows": 5_000}}
    table(quick)
    assert quick["verdicts"] == {}  # the quick sizes are not the targets' sizes
