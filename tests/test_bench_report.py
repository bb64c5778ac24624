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
