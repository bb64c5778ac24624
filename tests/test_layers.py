"""Layers import downward only: core ← conversations ← messaging ← the faces ← the project's wiring.

Every import statement of every module (at the top or inside a function) is read with ``ast``;
one that names a module of a higher layer fails the test, with the file and line. The local
Twilio emulator is fenced off further: it imports nothing of the product, so it keeps its own
copy of Twilio's rules and can disagree with ours.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("smsinbox", "conversations", "messaging")

# Lowest first. A module belongs to the layer of the longest prefix naming it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("smsinbox",)),
    ("conversations", ("conversations",)),
    ("messaging", ("messaging",)),
    ("faces", ("smsinbox.web",)),
    # The project's wiring: settings, routes, the ASGI app and the embedded default's in-process worker.
    ("wiring", ("smsinbox.urls", "smsinbox.asgi", "smsinbox.wsgi", "smsinbox.settings", "smsinbox.embedded")),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
EMULATOR = "messaging.twilio.emulator"


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    module: str
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.imported} ({self.why})"


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name, or ``None`` for one outside the project (stdlib, packages)."""
    best: tuple[int, str] | None = None
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), name)
    return best[1] if best else None


def _imported_names(tree: ast.AST, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import in ``tree``; relative imports resolved against ``module``."""
    found: list[tuple[int, str]] = []
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from package import module`` names a module too.
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def check_source(source: str, *, module: str, path: str = "<source>", is_package: bool = False) -> list[Violation]:
    """The upward imports of one module's source."""
    own = layer_of(module)
    if own is None:
        return []
    violations = []
    seen: set[tuple[int, str]] = set()
    for line, imported in _imported_names(ast.parse(source), module, is_package=is_package):
        target = layer_of(imported)
        if target is None or (line, imported) in seen:
            continue
        seen.add((line, imported))
        if RANK[target] > RANK[own]:
            violations.append(Violation(path, line, module, imported, f"{own} must not import {target}"))
        elif module.startswith(EMULATOR) and not imported.startswith(EMULATOR):
            violations.append(Violation(path, line, module, imported, "the emulator imports nothing of the product"))
    return violations


def _modules() -> list[tuple[Path, str, bool]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            found.append((path, ".".join(parts), is_package))
    return found


def test_every_import_runs_downward():
    violations = []
    for path, module, is_package in _modules():
        violations += check_source(
            path.read_text(encoding="utf-8"), module=module, path=str(path.relative_to(ROOT)), is_package=is_package
        )
    assert not violations, "upward imports:\n" + "\n".join(map(str, violations))


def test_the_walk_reads_every_layer():
    layers = {layer_of(module) for _, module, _ in _modules()}
    assert layers == set(RANK)


def test_an_upward_import_is_caught():
    assert check_source("from messaging.models import Message\n", module="conversations.selectors")
    assert check_source("def f():\n    import smsinbox.web.pages.inbox\n", module="messaging.services.inbound")
    assert check_source("from smsinbox.web import media\n", module="smsinbox.events")
    assert check_source("from ..web import consumers\n", module="smsinbox.events.publish")
    assert check_source("from messaging.segments import segment_info\n", module=f"{EMULATOR}.state")


def test_downward_and_sideways_imports_pass():
    assert not check_source("from conversations.models import Contact\n", module="messaging.models")
    assert not check_source("from smsinbox.web.api import urls\n", module="smsinbox.urls")
    assert not check_source("from messaging.selectors import message_page\n", module="smsinbox.web.pages.inbox")
    assert not check_source("from .resources import Message\n", module=f"{EMULATOR}.state")
    assert not check_source("import django.db\nfrom twilio.rest import Client\n", module="messaging.twilio.client")
