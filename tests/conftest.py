"""Shared fixtures. State is built through the real services, not hand-made rows."""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from smsinbox.services import SetupResult, organization_setup

REQUIRE_SERVICES = os.environ.get("SMSINBOX_REQUIRE_SERVICES") == "1"


def _need(what: str, available: bool) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (SMSINBOX_REQUIRE_SERVICES=1) but is not configured or reachable.")
    pytest.skip(f"needs {what}; set DATABASE_URL / REDIS_URL to run it")


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


# A test that hangs ends the run with every thread's traceback instead of holding CI until its time
# limit: a lost cancellation once hung the suite for 90 minutes (smsinbox.redis_connections).
HANG_SECONDS = float(os.environ.get("SMSINBOX_TEST_HANG_SECONDS", "600"))
_hang_report = sys.stderr


def pytest_configure(config: pytest.Config) -> None:
    global _hang_report
    _hang_report = os.fdopen(os.dup(sys.stderr.fileno()), "w")  # the terminal, not a test's captured output


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True, file=_hang_report)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        _need("PostgreSQL", connection.vendor == "postgresql")
    if item.get_closest_marker("redis"):
        _need("Redis", redis_available())


@pytest.fixture
def org_a(db) -> SetupResult:
    """Organization A with one number and an admin user."""
    return organization_setup(name="Acme Dental", numbers=["+14155550001"], username="alice", password="pw-alice-1")


@pytest.fixture
def org_b(db) -> SetupResult:
    """Organization B, a different tenant."""
    return organization_setup(name="Bravo Vet", numbers=["+12125550002"], username="bob", password="pw-bob-1")


@pytest.fixture
def conversation_a(org_a):
    """A conversation of organization A with +14155550101."""
    from conversations.services import contact_get_or_create, conversation_get_or_create

    org = org_a.organization
    contact, _ = contact_get_or_create(organization=org, e164="+14155550101")
    conversation, _ = conversation_get_or_create(
        organization=org, contact=contact, phone_number=org.phone_numbers.get()
    )
    return conversation


class LogCapture(logging.Handler):
    """Every record, formatted, from every logger the settings configure (at their levels)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(levelname)s %(message)s").format(record))


@pytest.fixture
def captured_logs() -> Iterator[LogCapture]:
    """What the application logs during the test, as production would log it."""
    capture = LogCapture()
    names = ["", *settings.LOGGING["loggers"]]
    for name in names:
        logging.getLogger(name).addHandler(capture)
    yield capture
    for name in names:
        logging.getLogger(name).removeHandler(capture)
