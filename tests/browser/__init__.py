"""Browser tests of the staff inbox: Playwright for Python driving Debian's Chromium against live servers.

The server under test is a real ASGI server (``uvicorn smsinbox.asgi:application``) in a
subprocess with its own database, built by ``manage.py migrate`` and ``manage.py setup_org``;
the test process never touches that database through models. The local Twilio emulator runs
in the test process as the outside world: the server sends through it, and it posts signed
status callbacks back. Inbound webhooks are posted by the tests with ``requests``, signed with
the twilio SDK's ``RequestValidator`` over the exact URL posted to.

This module holds what the fixtures (``conftest.py``) and the tests share: the made-up
account, the staff, the live-server handle and small page helpers.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.twilio_posts import inbound_params

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LATENCY_FILE = ARTIFACTS / "browser-latency.txt"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_SERVICES = os.environ.get("SMSINBOX_REQUIRE_SERVICES") == "1"

# The servers' made-up Twilio account: the emulator holds the same SID and token and signs its
# callbacks with it; the tests sign their inbound posts with it too.
ACCOUNT_SID = "AC" + "b0" * 16
AUTH_TOKEN = "browser-tests-auth-token-0123456789"
SECRET_KEY = "browser-tests-only-secret-key-" + "k" * 40

ORG_A = "Acme Dental (browser)"
NUMBER_A = "+15005550006"
SECOND = "+15005550008"  # organization A's second number, while a test holds ``second_number``
ORG_B = "Bravo Vet (browser)"
NUMBER_B = "+15005550007"

LIVE_BUDGET_MS = 2000  # a webhook must be on screen within 2 s


@dataclass(frozen=True)
class Staff:
    username: str
    password: str
    organization: str
    number: str


ALICE = Staff("alice", "pw-alice-browser-1", ORG_A, NUMBER_A)
CAROL = Staff("carol", "pw-carol-browser-1", ORG_A, NUMBER_A)  # a second member of organization A
BOB = Staff("bob", "pw-bob-browser-1", ORG_B, NUMBER_B)  # organization B, another tenant
STAFF = (ALICE, CAROL, BOB)

# Contacts' numbers, unique over the session (every test texts from its own contacts).
_contact_numbers = (f"+1415555{n:04d}" for n in itertools.count(110))


def new_contact() -> str:
    return next(_contact_numbers)


def display_number(e164: str) -> str:
    """How the inbox shows a US number without a contact name: ``(415) 555-0110``."""
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


# Variables the settings read: the servers get exactly the ones we set, never the test process's.
SETTINGS_VARIABLES = frozenset(
    {
        "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DATABASE_URL", "TEST_DATABASE_NAME", "SQLITE_PATH",
        "ALLOW_SQLITE", "REDIS_URL", "PUBLIC_BASE_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "TRUSTED_PROXY",
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL", "TWILIO_EMULATOR_PORT",
        "TWILIO_HTTP_TIMEOUT", "TASKS_IN_SERVER_PROCESS", "SEND_RATE_LIMIT", "SEND_RATE_MAX_WAIT_SECONDS",
        "SEND_MAX_ATTEMPTS", "SEND_RETRY_BASE_SECONDS", "RECONCILE_AFTER_SECONDS", "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD", "DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE", "DB_POOL_TIMEOUT", "DB_LOCK_TIMEOUT_MS",
        "LOG_LEVEL", "PHONENUMBER_DEFAULT_REGION", "WEB_PUSH_VAPID_PRIVATE_KEY", "WEB_PUSH_VAPID_KEY_FILE",
        "WEB_PUSH_CONTACT", "WEB_PUSH_ALLOW_HTTP_ENDPOINTS",
    }
)  # fmt: skip


def base_environment(database: dict[str, str], emulator_url: str) -> dict[str, str]:
    """The environment of every server and ``manage.py`` subprocess (without a channel layer choice)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="smsinbox.settings",
        DEBUG="1",
        SECRET_KEY=SECRET_KEY,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE_URL=emulator_url,
        SEND_RATE_LIMIT="0",
        ATTACHMENTS_DIR=tempfile.mkdtemp(prefix="smsinbox-browser-attachments-"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **database,
    )
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``python manage.py …`` in a subprocess with ``env``; return its output, raise on failure."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} exited with {done.returncode}\n{done.stdout}\n{done.stderr}".rstrip()
        )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``uvicorn smsinbox.asgi:application`` in a subprocess, logging to ``test-artifacts/``."""

    def __init__(self, label: str, env: dict[str, str]) -> None:
        self.label = label
        self.env = env
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = ARTIFACTS / f"browser-server-{label}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> LiveServer:
        ARTIFACTS.mkdir(exist_ok=True)
        for _attempt in range(3):  # another process may take the free port before uvicorn binds it
            self.port = free_port()
            env = {**self.env, "PUBLIC_BASE_URL": self.url}
            with self.log_path.open("wb") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "smsinbox.asgi:application", "--host", "127.0.0.1",
                     "--port", str(self.port), "--timeout-graceful-shutdown", "5"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            if self._wait_ready(timeout):
                return self
            if "address already in use" not in self.log_tail().lower():
                break
        raise RuntimeError(f"server {self.label} did not start; {self.log_path}:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(f"{self.url}/accounts/login/", timeout=2).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        return False

    def stop(self) -> int:
        """Stop the server with SIGTERM and return its exit code; raise if it had to be killed."""
        proc, self.proc = self.proc, None
        if proc is None:
            return 0
        self.served_log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
                raise RuntimeError(f"server {self.label} did not exit on SIGTERM within 15 s; killed") from None
        assert proc.returncode is not None
        return proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_tracebacks(self, *, while_serving: bool = True) -> list[str]:
        """Tracebacks the server logged while serving (an exception then is a bug, even if the page coped),
        or, with ``while_serving=False``, during its shutdown."""
        raw = self.log_path.read_bytes() if self.log_path.exists() else b""
        cut = getattr(self, "served_log_size", len(raw))
        text = (raw[:cut] if while_serving else raw[cut:]).decode(errors="replace")
        return re.findall(r"Traceback \(most recent call last\):\n(?:[ \t].*\n)*.*", text)

    # --- the outside world ---------------------------------------------------------------

    def post_inbound(self, *, from_: str, body: str, to: str = NUMBER_A) -> requests.Response:
        """POST a signed incoming-message webhook, as Twilio does, and check it was accepted."""
        url = f"{self.url}/api/twilio/sms-incoming"
        params = inbound_params(to=to, from_=from_, body=body, AccountSid=ACCOUNT_SID)
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        response = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
        assert response.status_code == 200, f"webhook answered {response.status_code}: {response.text[:300]}"
        return response


def stop_and_check(*servers: LiveServer) -> None:
    """Stop the servers (each must exit on SIGTERM) and fail if any logged a traceback."""
    problems = []
    for server in servers:
        try:
            code = server.stop()
        except RuntimeError as exc:
            problems.append(str(exc))
        else:
            # uvicorn shuts down gracefully on SIGTERM, then re-raises it: -15 is a clean exit.
            if code not in {0, -signal.SIGTERM} or "Finished server process" not in server.log_tail(5):
                problems.append(
                    f"server {server.label} exited with {code} without a clean shutdown ({server.log_path})"
                )
        problems += [f"server {server.label} logged ({server.log_path}):\n{tb}" for tb in server.log_tracebacks()]
        for tb in server.log_tracebacks(while_serving=False):  # cancelled tasks at SIGTERM: reported, not failed
            print(f"server {server.label} logged while shutting down:\n{tb}")
    if problems:
        pytest.fail("\n\n".join(problems))


def expect(actual: Any, message: str | None = None) -> Any:
    """Playwright's ``expect``, imported when first used: without Playwright the tests skip (or fail
    under ``SMSINBOX_REQUIRE_SERVICES=1``) in ``pytest_runtest_setup`` instead of breaking collection."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, message)


# --- pages ----------------------------------------------------------------------------------


def wait_live(page: Page, timeout: float = 5000) -> None:
    """Wait until the inbox's websocket is connected (live events reach the page from then on)."""
    page.wait_for_function("() => document.getElementById('inbox')?.dataset.live === 'connected'", timeout=timeout)


def login(page: Page, server: LiveServer, staff: Staff) -> None:
    """Log in through the login form and wait for the live inbox."""
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(staff.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/")
    wait_live(page)


def conversation_rows(page: Page) -> Locator:
    return page.locator("#conversation-list li.conversation")


def conversation_row(page: Page, contact: str) -> Locator:
    return conversation_rows(page).filter(has=page.locator(".name", has_text=display_number(contact)))


def open_thread(page: Page, server: LiveServer, contact: str) -> str:
    """Open a conversation from the list by clicking its row; return the conversation's id."""
    row = conversation_row(page, contact)
    conversation_id = row.get_attribute("data-id")
    assert conversation_id, f"no row for {contact}"
    row.locator("a").click()
    page.wait_for_url(f"{server.url}/c/{conversation_id}/")
    wait_live(page)
    return conversation_id


def message_bubble(page: Page, text: str, direction: str = "in") -> Locator:
    return page.locator(f"#messages li.message.{direction}").filter(
        has=page.locator(".body", has_text=re.compile(re.escape(text)))
    )


def title_unread(page: Page) -> int:
    """The unread count the document title shows: ``(3) Inbox · …`` is 3, no prefix is 0."""
    match = re.match(r"^\((\d+)\)\s", page.title())
    return int(match.group(1)) if match else 0


def record_latency(label: str, ms: float, detail: str = "") -> None:
    """Print a measured time and keep it in ``test-artifacts/browser-latency.txt`` (one line per label)."""
    line = f"{label}: {ms:.0f} ms"
    print(f"\n{line} ({detail})" if detail else f"\n{line}")
    ARTIFACTS.mkdir(exist_ok=True)
    kept = []
    if LATENCY_FILE.exists():
        kept = [x for x in LATENCY_FILE.read_text().splitlines() if x and not x.startswith(f"{label}:")]
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kept.append(f"{line} ({detail}; {stamp})" if detail else f"{line} ({stamp})")
    LATENCY_FILE.write_text("\n".join(kept) + "\n")


def describe_setup(env: dict[str, str]) -> str:
    database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    layer = "Redis channel layer" if env.get("REDIS_URL") else "in-memory channel layer"
    return f"{database}, {layer}"


# JavaScript run in the page: the moment a message body containing ``text`` is inserted into the
# thread, and the moment two animation frames later (it has been painted by then).
WATCH_ARRIVAL_JS = """(text) => {
  const messages = document.getElementById('messages');
  window.__arrival = {};
  const observer = new MutationObserver(() => {
    for (const node of messages.querySelectorAll('li.message .body')) {
      if (!node.textContent.includes(text)) continue;
      window.__arrival.inserted = Date.now();
      requestAnimationFrame(() => requestAnimationFrame(() => { window.__arrival.painted = Date.now(); }));
      observer.disconnect();
      return;
    }
  });
  observer.observe(messages, { childList: true, subtree: true, characterData: true });
}"""


def webhook_to_screen(page: Page, server: LiveServer, *, contact: str, body: str) -> dict[str, float]:
    """Post a signed inbound webhook to ``server`` and time it onto ``page``'s open thread.

    ``started`` is the epoch time in milliseconds just before the POST; the other times are
    milliseconds from then: ``post_ms`` until the webhook answered,
    ``inserted_ms`` until the bubble was in the DOM, ``painted_ms`` two animation frames later
    (on screen), ``observed_ms`` until Playwright saw it visible (an upper bound). Browser and
    test share the machine's clock.
    """
    page.evaluate(WATCH_ARRIVAL_JS, body)
    started = time.time() * 1000
    server.post_inbound(from_=contact, body=body)
    posted = time.time() * 1000
    expect(message_bubble(page, body)).to_be_visible(timeout=LIVE_BUDGET_MS)
    observed = time.time() * 1000
    page.wait_for_function("() => Boolean(window.__arrival && window.__arrival.painted)", timeout=LIVE_BUDGET_MS)
    arrival = page.evaluate("window.__arrival")
    return {
        "started": started,
        "post_ms": posted - started,
        "inserted_ms": arrival["inserted"] - started,
        "painted_ms": arrival["painted"] - started,
        "observed_ms": observed - started,
    }
