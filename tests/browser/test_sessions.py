"""Sessions in a real browser: a session that ends stops every tab's live updates and says "Signed out".

Logging out in one tab closes the websockets of every tab of that session within moments (the user's group
hears ``session.ended``; ``smsinbox/web/consumers.py``); a websocket refused because the session is gone is
told so with the signed-out code (the page stops reconnecting); a send from a signed-out page says so.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest

from tests.browser import ALICE, ARTIFACTS, CAROL, expect, login, message_bubble, new_contact, open_thread, wait_live

pytestmark = pytest.mark.browser

SIGNED_OUT = "You are signed out. Log in again to send."


def _signed_out(page, timeout: float = 5000) -> None:
    notice = page.locator("#signed-out")
    expect(notice).to_be_visible(timeout=timeout)
    expect(notice).to_contain_text("Signed out")
    expect(notice.get_by_role("link", name="Log in")).to_have_attribute("href", re.compile(r"^/accounts/login/\?next="))
    assert page.evaluate("document.getElementById('inbox').dataset.live") == "signed-out"


def test_logging_out_in_one_tab_ends_the_other_tabs_live_updates_within_5_s(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Before the logout {secrets.token_hex(3)}")
    tab_a = new_tab(width=1366, height=800)
    login(tab_a.page, inbox_server, ALICE)
    open_thread(tab_a.page, inbox_server, contact)
    tab_b = tab_a.page.context.new_page()  # the same browser: the same session
    tab_b.goto(f"{inbox_server.url}/")
    wait_live(tab_b)
    sockets: list[str] = []
    tab_a.page.on("websocket", lambda ws: sockets.append(ws.url))

    started = time.monotonic()
    tab_b.get_by_role("button", name="Log out").click()
    tab_b.wait_for_url(re.compile(r"/accounts/login/"))
    _signed_out(tab_a.page, timeout=5000)
    assert time.monotonic() - started < 5
    expect(tab_a.page.locator("#live-state")).to_have_text("Signed out")
    tab_a.page.screenshot(path=str(ARTIFACTS / "signed-out-1366.png"))

    # Nothing arrives any more, and the page does not try again.
    late = f"After the logout {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=contact, body=late)
    tab_a.page.wait_for_timeout(2500)
    expect(message_bubble(tab_a.page, late)).to_have_count(0)
    assert sockets == []

    # A send from the signed-out page says so (not the API's wording, not "Failed to fetch").
    tab_a.page.locator("#body").fill("Are you still there?")
    tab_a.page.locator("#send").click()
    expect(tab_a.page.locator("#composer-error")).to_have_text(SIGNED_OUT)
    expect(tab_a.page.locator("#body")).to_have_value("Are you still there?")
    tab_b.close()


def test_a_send_answered_401_says_signed_out_and_stops_the_live_connection(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hello {secrets.token_hex(3)}")
    tab = new_tab(width=375, height=812)
    login(tab.page, inbox_server, ALICE)
    open_thread(tab.page, inbox_server, contact)
    tab.page.context.clear_cookies()  # the session is gone from this browser (cleared, expired elsewhere)
    tab.page.locator("#body").fill("Hello again")
    tab.page.locator("#send").click()
    expect(tab.page.locator("#composer-error")).to_have_text(SIGNED_OUT)
    _signed_out(tab.page)
    tab.page.screenshot(path=str(ARTIFACTS / "signed-out-375.png"))
    # Chromium logs the refused request itself; that one is expected.
    tab.console_errors[:] = [e for e in tab.console_errors if "401" not in e]


def test_a_websocket_refused_for_a_dead_session_shows_signed_out_instead_of_reconnecting(inbox_server, new_tab):
    """The connection drops (a server restart); by the time the page tries again its session is gone: the
    server refuses it with the signed-out code, and the page says so and stops trying."""
    tab = new_tab()
    page = tab.page
    served = []

    def route(ws) -> None:
        served.append((ws, ws.connect_to_server()))

    page.route_web_socket(re.compile(r"/ws/inbox/"), route)
    login(page, inbox_server, ALICE)
    page.context.clear_cookies()
    page_side, server_side = served[-1]
    server_side.close(code=1000)
    page_side.close(code=1011)  # as a server going away does
    _signed_out(page, timeout=5000)
    attempts = len(served)
    page.wait_for_timeout(3000)  # (reconnecting would have tried again twice by now)
    assert len(served) == attempts == 2
    expect(page.locator("#live-state")).to_have_text("Signed out")


def _change_password(page, server, old: str, new: str) -> None:
    page.goto(f"{server.url}/admin/password_change/")
    page.locator("input[name=old_password]").fill(old)
    page.locator("input[name=new_password1]").fill(new)
    page.locator("input[name=new_password2]").fill(new)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/password_change/done/"))


def test_a_password_change_signs_out_the_other_browsers_and_keeps_this_one_live(inbox_server, new_tab):
    """The browser that changed it keeps its session (under a new key: its websocket, opened with the old key,
    is closed, and the page finds itself still signed in and reconnects); every other browser is signed out."""
    here = new_tab()
    login(here.page, inbox_server, CAROL)
    elsewhere = new_tab(width=375, height=812)
    login(elsewhere.page, inbox_server, CAROL)
    admin = here.page.context.new_page()
    new_password = f"carol-new-{secrets.token_hex(4)}"
    try:
        _change_password(admin, inbox_server, CAROL.password, new_password)
        _signed_out(elsewhere.page, timeout=5000)
        here.page.wait_for_timeout(1500)
        expect(here.page.locator("#signed-out")).to_have_count(0)
        wait_live(here.page)
    finally:
        _change_password(admin, inbox_server, new_password, CAROL.password)
        admin.close()
