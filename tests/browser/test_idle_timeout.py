"""The idle timeout in a real browser, with controllable clocks: the page's (Playwright's fake timers) and the
server's session (its stored times moved back, ``smsinbox.session_limits``, by a ``manage.py shell``).

A minute before the session ends the inbox shows "Still there? You'll be signed out in 60 s" (a modal dialog,
its button focused, usable with the keyboard, no serious axe violation); "Stay signed in" starts the idle
clock again; left alone past the timeout the page is signed out and says so.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import ALICE, ARTIFACTS, expect, login, manage
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

AGE = """
from django.contrib.sessions.backends.db import SessionStore
from smsinbox import session_limits as s
store = SessionStore("{key}")
for name in (s.SIGNED_IN_AT, s.ACTIVE_AT):
    store[name] = store[name] - {seconds}
store.save()
"""


def age_session(env: dict[str, str], page, seconds: int) -> None:
    """Move the page's session's clock ``seconds`` on (its sign-in and last activity that much earlier)."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    manage(env, "shell", "-c", AGE.format(key=key, seconds=seconds))


@pytest.mark.parametrize("size", [(1366, 800), (375, 812)])
def test_the_inbox_warns_a_minute_before_the_idle_timeout_and_signs_out(inbox_server, server_env, new_tab, size):
    tab = new_tab(width=size[0], height=size[1])
    page = tab.page
    page.clock.install()
    login(page, inbox_server, ALICE)
    dialog = page.locator("#idle-warning")
    expect(dialog).to_be_hidden()

    # 29 minutes without activity (the page's own polls and pings do not count).
    age_session(server_env, page, 29 * 60)
    page.clock.fast_forward("29:00")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Still there?")).to_be_visible()
    expect(page.locator("#idle-warning-text")).to_contain_text(re.compile(r"You'll be signed out in \d+ s"))
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / f"idle-warning-{size[0]}.png"))

    page.keyboard.press("Enter")  # "Stay signed in": a real request, the idle clock starts again
    expect(dialog).to_be_hidden()
    state = page.evaluate("fetch('/session/').then((r) => r.json())")
    assert state["signedIn"] is True
    assert state["expiresIn"] > 29 * 60

    # Left alone: the warning, then the end.
    age_session(server_env, page, 29 * 60 + 30)
    page.clock.fast_forward("29:30")
    expect(dialog).to_be_visible()
    age_session(server_env, page, 31)
    page.clock.fast_forward("00:31")
    notice = page.locator("#signed-out")
    expect(notice).to_be_visible(timeout=5000)
    expect(dialog).to_be_hidden()
    expect(page.locator("#live-state")).to_have_text("Signed out")
    page.screenshot(path=str(ARTIFACTS / f"idle-signed-out-{size[0]}.png"))
    page.goto(f"{inbox_server.url}/")
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_the_sign_in_rules_page(inbox_server, new_tab):
    """Admins' Sign-in rules: labelled fields, saved with the keyboard; no serious axe violation; both sizes."""
    tab = new_tab(width=1366, height=800)
    page = tab.page
    login(page, inbox_server, ALICE)
    page.goto(f"{inbox_server.url}/team/")
    page.get_by_role("link", name="Sign-in rules").click()
    field = page.get_by_label("Sign out after this many minutes without activity")
    expect(field).to_have_value("30")
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "sign-in-rules-1366.png"), full_page=True)
    field.fill("45")
    field.press("Enter")
    expect(page.locator("ul.flash")).to_contain_text("Sign-in rules saved.")
    field = page.get_by_label("Sign out after this many minutes without activity")
    expect(field).to_have_value("45")
    page.set_viewport_size({"width": 375, "height": 812})
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "sign-in-rules-375.png"), full_page=True)
    field.fill("30")
    field.press("Enter")
    expect(page.locator("ul.flash")).to_contain_text("Sign-in rules saved.")
