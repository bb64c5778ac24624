"""``docs/promises.md`` maps every promise of the README to what holds it: every reference there must exist.

The table's last column names pytest tests (``tests/<path>.py::<test>`` or ``…::Test<Class>::<test>``),
figures of ``make bench`` (``bench:<figure>``, as ``tests/bench/report.py`` prints them) and scenarios of
``make chaos`` (``chaos:<scenario>``, a key of ``SCENARIOS`` in ``tests/chaos/run.py``). A test renamed or
deleted, a figure dropped or a scenario removed leaves a promise unheld: this test names the reference.
It reads the sources with ``ast`` and imports none of them (the browser, bench and chaos modules need tools
a plain run may lack).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "docs" / "promises.md"
HELD_HEADING = "## Held"
MIN_ROWS = 30

FIGURE = re.compile(r"^\d+ \S")
NODE = re.compile(r"^(?P<path>tests/[\w/]+\.py)::(?P<name>[\w:]+)$")


@dataclass(frozen=True)
class Row:
    promise: str
    references: tuple[str, ...]


def parse_index(text: str) -> list[Row]:
    """The rows of the first table after ``## Held``: the promise (first cell) and the references (the
    backquoted spans of the last cell). Stops at the next heading."""
    rows: list[Row] = []
    in_section = False
    for line in text.splitlines():
        if line.startswith("#"):
            if in_section:
                break
            in_section = line.strip() == HELD_HEADING
            continue
        if not in_section or not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):  # the separator row
            continue
        if cells[-1] == "Held by":  # the header row
            continue
        rows.append(Row(promise=cells[0], references=tuple(re.findall(r"`([^`]+)`", cells[-1]))))
    return rows


@cache
def _test_names(path: Path) -> frozenset[str]:
    """Module-level test functions (``name``) and methods of ``Test*`` classes (``Class::name``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(names)


def _literal(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with each replacement field as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


@cache
def _bench_literals(root: Path) -> frozenset[str]:
    literals: set[str] = set()
    for path in sorted((root / "tests" / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            text = _literal(node)
            if text:
                literals.add(text)
    return frozenset(literals)


def _bench_has(root: Path, key: str) -> bool:
    """A figure is named as the table prints it: ``<scenario number> <words>``, either a whole string of the
    bench code or the fixed start of an f-string (``4 push p50/p99 ms`` for ``f"4 push p50/p99 ms, {n} clients"``)."""
    if not FIGURE.match(key):
        return False
    return any(text == key or text.split("{}", 1)[0].rstrip(" (,") == key for text in _bench_literals(root))


@cache
def _chaos_scenarios(root: Path) -> frozenset[str]:
    path = root / "tests" / "chaos" / "run.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        )  # fmt: skip
        if isinstance(target, ast.Name) and target.id == "SCENARIOS" and isinstance(node.value, ast.List):
            return frozenset(
                item.elts[0].value
                for item in node.value.elts
                if isinstance(item, ast.Tuple) and isinstance(item.elts[0], ast.Constant)
            )
    return frozenset()


def missing_reference(reference: str, root: Path = ROOT) -> str | None:
    """Why ``reference`` names nothing, or None when it names a test, figure or scenario that exists."""
    if reference.startswith("bench:"):
        key = reference.removeprefix("bench:").strip()
        return None if key and _bench_has(root, key) else f"{reference}: no such figure in tests/bench/"
    if reference.startswith("chaos:"):
        key = reference.removeprefix("chaos:").strip()
        return None if key in _chaos_scenarios(root) else f"{reference}: not a key of SCENARIOS in tests/chaos/run.py"
    match = NODE.match(reference)
    if match is None:
        return f"{reference}: not a test (tests/<path>.py::<name>), bench:<figure> or chaos:<scenario>"
    path = root / match["path"]
    if not path.is_file():
        return f"{reference}: no file {match['path']}"
    if match["name"] not in _test_names(path):
        return f"{reference}: no function {match['name']} in {match['path']}"
    if not match["name"].rpartition("::")[2].startswith("test"):
        return f"{reference}: {match['name']} is not a test pytest collects"
    return None


def missing_references(rows: list[Row], root: Path = ROOT) -> list[str]:
    """Every reference of ``rows`` that names nothing, and every row that names nothing at all."""
    problems: list[str] = []
    for row in rows:
        if not row.references:
            problems.append(f"{row.promise}: held by nothing (move it to 'Not yet held by a test')")
        for reference in row.references:
            problem = missing_reference(reference, root)
            if problem:
                problems.append(problem)
    return problems


def test_every_reference_of_the_index_exists():
    rows = parse_index(INDEX.read_text(encoding="utf-8"))
    assert len(rows) >= MIN_ROWS, f"only {len(rows)} rows parsed from {INDEX}"
    assert missing_references(rows) == []


def test_a_reference_to_something_that_does_not_exist_is_reported():
    """The control: made-up references of each kind are named; real ones of each kind pass."""
    made_up = (
        "| A made-up promise | Nowhere | `tests/test_layers.py::test_nothing_by_this_name` "
        "`tests/no_such_dir/test_missing.py::test_x` `tests/test_layers.py::TestNone::test_y` "
        "`bench:9 figures nobody prints` `bench:1` `chaos:no-such-scenario` `test_layers.py::test_x` "
        "`tests/test_promises_index.py::parse_index` |"
    )
    real = (
        "| A real promise | Layout | `tests/test_layers.py::test_every_import_runs_downward` "
        "`bench:7 RSS MB per server worker (end)` `bench:4 push p50/p99 ms` `chaos:retry-storm` |"
    )
    header = "| Promise | README section | Held by |\n|---|---|---|"
    text = f"{HELD_HEADING}\n\n{header}\n{made_up}\n{real}\n| Empty | X | |\n## Not yet held by a test\n| `x` |\n"
    rows = parse_index(text)
    assert [row.promise for row in rows] == ["A made-up promise", "A real promise", "Empty"]
    problems = missing_references(rows)
    named = "\n".join(problems)
    for reference in (
        "tests/test_layers.py::test_nothing_by_this_name",
        "tests/no_such_dir/test_missing.py::test_x",
        "tests/test_layers.py::TestNone::test_y",
        "bench:9 figures nobody prints",
        "bench:1:",
        "chaos:no-such-scenario",
        "test_layers.py::test_x",
        "parse_index is not a test",
        "Empty: held by nothing",
    ):
        assert reference in named, reference
    assert len(problems) == 9
    for reference in rows[1].references:
        assert missing_reference(reference) is None, reference


def test_the_readers_of_the_sources_see_what_is_there():
    """The lookups are not vacuous: they find this very file's tests, every chaos scenario and bench figures."""
    assert "test_every_reference_of_the_index_exists" in _test_names(Path(__file__).resolve())
    assert {"postgres-stop", "redis-stop", "retry-storm"} <= _chaos_scenarios(ROOT)
    assert _bench_has(ROOT, "3 inbound p50 large/small (ratio)")
    assert _bench_has(ROOT, "4 push p50/p99 ms")  # the fixed start of an f-string
    assert not _bench_has(ROOT, "3 inbound p50 large")  # a prefix of a figure's name is not a figure
    assert not _bench_has(ROOT, "1")
