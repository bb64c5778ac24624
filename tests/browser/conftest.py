"""Fixtures of the browser tests: the servers' database, the Twilio emulator, the live server, Chromium.

Scopes: the database (migrated, organizations set up) and the emulator live for the session;
servers and Chromium for a module; each test opens its own browser contexts, whose console
errors, page errors and dialogs fail the test.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from messaging.twilio.emulator import TwilioEmulator
from tests.browser import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CHROMIUM,
    CHROMIUM_ARGS,
    LATENCY_FILE,
    NUMBER_A,
    REQUIRE_SERVICES,
    SECOND,
    STAFF,
    LiveServer,
    base_environment,
    manage,
    stop_and_check,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A browser test needs Playwright and Debian's Chromium: skip without them, fail where required."""
    if not item.get_closest_marker("browser"):
        return
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright for Python (pip install -r requirements-dev.txt)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not missing:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"browser tests need {' and '.join(missing)} (SMSINBOX_REQUIRE_SERVICES=1)")
    pytest.skip(f"needs {' and '.join(missing)}")


# --- the servers' database ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Settings variables naming a database of the servers' own, never pytest-django's.

    Without ``DATABASE_URL``: a temporary SQLite file. With it: a fresh database created on the
    same PostgreSQL server (``<name>_browser_<pid>``) and dropped at the end of the session.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        path = tmp_path_factory.mktemp("browser-db") / "inbox.sqlite3"
        yield {"SQLITE_PATH": str(path), "ALLOW_SQLITE": "1"}
        return

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    base = (parts.path.lstrip("/") or "postgres")[:40]
    name = f"{base}_browser_{os.getpid()}"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:  # left by an earlier run whose pid was the same: not ours to drop
            name = f"{name}_{secrets.token_hex(3)}"
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session", autouse=True)
def _fresh_latency_file() -> None:
    """``test-artifacts/browser-latency.txt`` holds this session's measurements only."""
    LATENCY_FILE.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def emulator() -> Iterator[TwilioEmulator]:
    """The outside world: a local Twilio holding the servers' account, signing callbacks with its token."""
    twilio = TwilioEmulator(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, port=0, callback_delay=0.2)
    twilio.start()
    yield twilio
    twilio.stop()


@pytest.fixture(scope="session")
def server_env(server_database: dict[str, str], emulator: TwilioEmulator) -> dict[str, str]:
    """The migrated database with two organizations (built by ``manage.py`` subprocesses) and its environment.

    Organization A has alice and carol, organization B has bob.
    """
    env = base_environment(server_database, emulator.base_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    for staff in STAFF:
        manage(
            env, "setup_org", "--name", staff.organization, "--number", staff.number,
            "--username", staff.username, "--password", staff.password,
        )  # fmt: skip
    return env


@pytest.fixture(scope="module")
def inbox_server(server_env: dict[str, str], emulator: TwilioEmulator) -> Iterator[LiveServer]:
    """One uvicorn process. Without ``REDIS_URL`` it runs the in-memory channel layer and its own task
    worker thread (the embedded default); with ``REDIS_URL`` it uses Redis and still runs the task
    worker inside (``TASKS_IN_SERVER_PROCESS=1``), so sends are processed without a ``db_worker``.
    """
    env = dict(server_env)
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        env.update(REDIS_URL=redis_url, TASKS_IN_SERVER_PROCESS="1")
    server = LiveServer("single", env).start()
    emulator.add_number(NUMBER_A, sms_url=f"{server.url}/api/twilio/sms-incoming")
    yield server
    stop_and_check(server)


# --- Chromium -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page in its own browser context (its own cookies), with everything it reported."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    ws_frames: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {e}" for e in self.console_errors]
            + [f"page error: {e}" for e in self.page_errors]
            + [f"dialog opened: {d}" for d in self.dialogs]
        )


@pytest.fixture
def new_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Open pages in fresh browser contexts; console errors, page errors and dialogs fail the test."""
    contexts = []
    tabs: list[Tab] = []

    def open_tab(*, width: int = 1280, height: int = 800) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-US", timezone_id="America/New_York"
        )
        # Actions (click, fill, goto) wait up to 15 s: a CI machine shared with other work was seen taking
        # over 5 s to click the login button. Latency promises are asserted with their own budgets.
        context.set_default_timeout(15000)
        contexts.append(context)
        tab = Tab(page=context.new_page())
        tabs.append(tab)

        def on_console(message):
            if message.type == "error":
                tab.console_errors.append(f"{message.text} at {message.location.get('url', '?')}")

        def on_dialog(dialog):
            tab.dialogs.append(f"{dialog.type}({dialog.message!r})")
            dialog.dismiss()

        def on_websocket(ws):
            ws.on("framereceived", lambda payload: tab.ws_frames.append(str(payload)))

        tab.page.on("console", on_console)
        tab.page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
        tab.page.on("dialog", on_dialog)
        tab.page.on("websocket", on_websocket)
        return tab

    yield open_tab
    problems = [problem for tab in tabs for problem in tab.problems()]
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems))


SECOND_ADD = (
    "from smsinbox.models import Organization; from smsinbox.services import phone_number_create; "
    f"org = Organization.objects.get(phone_numbers__number='{NUMBER_A}'); "
    f"org.phone_numbers.filter(number='{SECOND}').exists() or phone_number_create(organization=org, number='{SECOND}', "
    "friendly_name='Second line')"
)
SECOND_REMOVE = (
    "from conversations.models import Conversation; from smsinbox.models import PhoneNumber; "
    "from messaging.hours.models import QuietHours; from messaging.broadcasts.models import Broadcast; "
    f"first = PhoneNumber.objects.get(number='{NUMBER_A}'); "
    f"Conversation.objects.filter(phone_number__number='{SECOND}').update(phone_number=first); "
    f"Broadcast.objects.filter(phone_number__number='{SECOND}').update(phone_number=first); "
    f"PhoneNumber.objects.filter(number='{SECOND}').delete(); QuietHours.objects.all().delete()"
)


@pytest.fixture
def second_number(server_env, inbox_server, emulator):
    """A second number for organization A (taken away again: other tests expect one)."""
    manage(server_env, "shell", "-c", SECOND_ADD)
    emulator.add_number(SECOND, sms_url=f"{inbox_server.url}/api/twilio/sms-incoming")
    yield SECOND
    manage(server_env, "shell", "-c", SECOND_REMOVE)
