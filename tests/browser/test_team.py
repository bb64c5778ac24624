"""The team in a real browser: an admin invites a colleague from the Team page (keyboard only); the link is read
from the invitation email the server printed (the console email backend of the embedded default); the colleague
opens it in another browser, sets a password and lands in the live inbox; the admin deactivates them and the
colleague's open inbox says "Signed out" within 5 s. Screenshots at 1366x800 and 375x812 (SHOTS_DIR, default
test-artifacts/team/), no horizontal scroll, axe finds nothing serious or critical."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, LiveServer, expect, login, wait_live
from tests.browser.test_accessibility import axe_violations, horizontal_overflow
from tests.pipeline import wait_for

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "team"
PASSWORD = "Teal-harbour-42-lanterns"


def invitation_link(server: LiveServer, email: str) -> str | None:
    """The link of the newest invitation email to ``email`` in the server's log (printed by the console backend)."""
    text = server.log_path.read_text(errors="replace")
    start = text.rfind(f"To: {email}")
    if start < 0:
        return None
    found = re.search(r"(http://127\.0\.0\.1:\d+/invite/[\w-]+/)", text[start:])
    return found[1] if found else None


def test_an_admin_invites_a_colleague_who_signs_up_and_is_signed_out_when_deactivated(inbox_server, new_tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"dana{secrets.token_hex(3)}"
    email = f"{name}@example.com"
    admin = new_tab(width=1366, height=800).page
    login(admin, inbox_server, ALICE)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    admin.wait_for_url(f"{inbox_server.url}/team/")
    expect(admin.get_by_role("heading", name="Team", exact=True)).to_be_visible()

    # Invite from the keyboard.
    admin.get_by_label("Email").focus()
    admin.keyboard.type(email)
    admin.keyboard.press("Tab")  # the role: agent by default
    admin.keyboard.press("Tab")
    admin.keyboard.press("Enter")
    expect(admin.locator(".flash")).to_contain_text(f"Invitation sent to {email}")
    expect(admin.locator("table.invites")).to_contain_text(email)
    assert axe_violations(admin) == [], "the team page"
    assert horizontal_overflow(admin) == 0
    admin.screenshot(path=str(SHOTS / "team-1366.png"), full_page=True)

    wait_for(lambda: invitation_link(inbox_server, email) is not None, timeout=10)
    link = invitation_link(inbox_server, email)
    assert link is not None

    # The colleague, on a phone, in a browser of their own.
    colleague = new_tab(width=375, height=812).page
    colleague.goto(link)
    expect(colleague.get_by_role("heading", name="Join Acme Dental")).to_be_visible()
    assert axe_violations(colleague) == [], "the invitation page"
    assert horizontal_overflow(colleague) == 0
    colleague.get_by_label("Username").fill(name)
    colleague.get_by_label("Password", exact=True).fill(PASSWORD)
    colleague.get_by_label("Password again").fill(PASSWORD)
    colleague.screenshot(path=str(SHOTS / "invite-375.png"), full_page=True)
    colleague.get_by_role("button", name="Create my account").click()
    colleague.wait_for_url(f"{inbox_server.url}/")
    wait_live(colleague)
    expect(colleague.locator(".flash")).to_contain_text("Welcome to Acme Dental")

    # The admin sees them and deactivates them.
    admin.reload()
    row = admin.locator("table.members tr").filter(has=admin.locator("td[data-label=Member] strong", has_text=name))
    expect(row.get_by_label(f"Role of {name}")).to_have_value("agent")
    row.locator("summary").click()
    started = time.monotonic()
    row.get_by_role("button", name=f"Deactivate {name}").click()
    expect(admin.locator(".flash")).to_contain_text(f"{name} was removed from Acme Dental")

    notice = colleague.locator("#signed-out")
    expect(notice).to_be_visible(timeout=5000)
    expect(notice).to_contain_text("Signed out")
    assert time.monotonic() - started < 5
    colleague.screenshot(path=str(SHOTS / "signed-out-375.png"))

    # The link works once.
    used_tab = new_tab(width=375, height=812)
    used_tab.page.goto(link)
    expect(used_tab.page.get_by_role("alert")).to_contain_text("already used")
    used_tab.console_errors[:] = [e for e in used_tab.console_errors if "410" not in e]  # Chromium logs the 410

    # The Team page on a phone.
    phone = new_tab(width=375, height=812).page
    login(phone, inbox_server, ALICE)
    phone.goto(f"{inbox_server.url}/team/")
    assert horizontal_overflow(phone) == 0
    assert axe_violations(phone) == [], "the team page on a phone"
    phone.screenshot(path=str(SHOTS / "team-375.png"), full_page=True)


def test_forgot_password_is_offered_and_never_says_whether_an_address_exists(inbox_server, new_tab):
    page = new_tab(width=375, height=812).page
    page.goto(f"{inbox_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Email").fill(f"nobody-{secrets.token_hex(3)}@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / "password-reset-375.png"))
