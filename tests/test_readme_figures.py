"""The README's benchmark table marks a target ✓ only when every run the row quotes met it.

A row quotes the latest run's figure in bold and, in brackets right after it, the same figure in earlier runs
(``**0.74** (1.22, 0.96)``). A target clause marked ✓ (``≤ 1.2 ✓``, ``p99 ≤ 100 ms ✓``) is checked against
each of them: one run over the target makes the ✓ false, and this test names the row. Clauses without ✓
(a miss, ✗, says how many runs met it) and clauses without a ≤/≥ bound are not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
BOUND = re.compile(r"(≤|≥)\s*(" + NUMBER.pattern + ")")
QUOTED = re.compile(r"\*\*(?P<latest>[^*]+)\*\*(?:\s*\((?P<earlier>[^)]*)\))?")
PLAIN_RUNS = re.compile(r"^[\d.,\s]+(?:ms|MB|/s)?$")  # "(1.22, 0.96)", "(27, 30)"; not "(97.7 %)" nor words


@dataclass(frozen=True)
class Tick:
    row: str
    bound: str
    runs: tuple[float, ...]

    def missed(self) -> list[float]:
        op, limit = self.bound[0], _number(self.bound[1:].strip())
        return [run for run in self.runs if (run > limit if op == "≤" else run < limit)]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _numbers(text: str) -> list[float]:
    return [_number(n) for n in NUMBER.findall(re.sub(r"\bp\d+\b", "", text))]  # "p99 28 ms" is 28


def benchmark_rows(text: str) -> list[list[str]]:
    """The cells of the first table under ``## Benchmarks`` (header and separator left out)."""
    section = text.split("\n## Benchmarks\n", 1)[1].split("\n## ", 1)[0]
    rows, started = [], False
    for line in section.splitlines():
        if line.startswith("| # |"):
            started = True
            continue
        if started and not line.startswith("|"):
            break
        if started and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def ticks(rows: list[list[str]]) -> list[Tick]:
    """Every ✓ clause with a bound, with the runs its row quotes (the first bold figure and its brackets)."""
    found = []
    for cells in rows:
        value, target = cells[2], cells[3]
        quoted = QUOTED.search(value)
        if quoted is None:
            continue
        runs = _numbers(quoted["latest"])
        if quoted["earlier"] and PLAIN_RUNS.match(quoted["earlier"].strip()):
            runs += _numbers(quoted["earlier"])
        for clause in target.split(";"):
            bound = BOUND.search(clause)
            if "✓" in clause and bound:
                found.append(Tick(row=f"{cells[0]} | {cells[1]}", bound=f"{bound[1]} {bound[2]}", runs=tuple(runs)))
    return found


def test_no_target_is_ticked_that_a_quoted_run_missed():
    checked = ticks(benchmark_rows(README.read_text(encoding="utf-8")))
    assert len(checked) >= 5  # the table was found and read
    wrong = {t.row: t.missed() for t in checked if t.missed()}
    assert not wrong, f"✓ on a target some quoted run missed (mark it ✗ with how many runs met it): {wrong}"


def test_a_tick_over_a_missed_run_is_caught():
    """The positive control: the S3 row as it was, ✓ though one of its three runs was 1.22."""
    row = "| 3 | inbound p50 | 11.7 → 8.7 ms — **0.74** (1.22, 0.96) | ≤ 1.2 ✓ |"
    [tick] = ticks(benchmark_rows(f"\n## Benchmarks\n| # | figure | value | target |\n|---|\n{row}\n"))
    assert tick.runs == (0.74, 1.22, 0.96)
    assert tick.missed() == [1.22]


def test_the_bold_figures_units_and_brackets_are_read_as_runs():
    rows = [
        ["4", "push", "p50 21 ms, **p99 28 ms** (27, 30), 0 frames lost", "p99 ≤ 100 ms ✓"],
        ["7", "memory", "**141.6, 139.5 MB** (master 26 MB)", "≤ 150 MB ✓"],
        ["5", "paced", "**19.53/s** (97.7 %)", "≥ 19/s ✓; never above 20 ✓"],
        ["1", "bare", "1,068 req/s", ""],
    ]
    assert [(t.bound, t.runs) for t in ticks(rows)] == [
        ("≤ 100", (28.0, 27.0, 30.0)),
        ("≤ 150", (141.6, 139.5)),
        ("≥ 19", (19.53,)),
    ]
    assert Tick("x", "≥ 19", (19.53, 9.35)).missed() == [9.35]
