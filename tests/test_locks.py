"""The two locks (``requirements.lock`` for running, ``requirements-dev.lock`` for developing and testing) pin
every package they share to the same version: the tests run what production runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)", re.M)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    found = {re.sub(r"[-_.]+", "-", package).lower(): version for package, version in PIN.findall(text)}
    assert found, f"{name} pins nothing"
    return found


def test_the_two_locks_pin_every_shared_package_to_one_version():
    run, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    shared = run.keys() & dev.keys()
    assert {"django", "twilio", "channels"} <= shared
    assert {package: (run[package], dev[package]) for package in shared if run[package] != dev[package]} == {}


def test_everything_production_runs_is_in_the_development_lock():
    """The dev lock installs the runtime requirements too (``-r requirements.txt``): nothing runs untested."""
    assert sorted(pins("requirements.lock").keys() - pins("requirements-dev.lock").keys()) == []


def test_every_pin_carries_a_hash():
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
        unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
        assert unhashed == [], f"{name}: {unhashed}"
