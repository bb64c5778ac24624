"""The Failed page in a real browser: two failed sends (one the carrier may pass next time, one refused because
the recipient opted out) selected from the keyboard and retried: one new message reaches Twilio, the other is
skipped with its reason on screen. Screenshots at 1366x800 and 375x812; axe finds nothing serious."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, display_number, expect, login, message_bubble, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow
from tests.pipeline import wait_for

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "triage"
FAILS = "+15005550011"  # the emulator's magic number: the send ends "failed" with 30008 (may pass next time)
OPTED_OUT = "+15005550013"  # the emulator accepts, then fails the send with 21610 (the recipient had replied STOP)


def _send_failing(page, server, contact: str, text: str, code: str) -> None:
    open_thread(page, server, contact)
    page.locator("#body").fill(text)
    page.locator("#body").press("Control+Enter")
    bubble = message_bubble(page, text, "out:not(.pending)")
    expect(bubble).to_have_class(re.compile(r"\bfailed\b"), timeout=10_000)
    expect(bubble.locator(".error")).to_contain_text(code)
    page.goto(f"{server.url}/")


def test_the_failed_page_retries_the_retryable_and_says_why_not_the_other(inbox_server, new_tab, emulator):
    SHOTS.mkdir(parents=True, exist_ok=True)
    passing, refused = f"Your order is ready {secrets.token_hex(3)}", f"See you soon {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=FAILS, body=f"Text me {secrets.token_hex(3)}")
    inbox_server.post_inbound(from_=OPTED_OUT, body=f"Hello {secrets.token_hex(3)}")
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    _send_failing(page, inbox_server, FAILS, passing, "30008")
    _send_failing(page, inbox_server, OPTED_OUT, refused, "21610")

    page.get_by_role("link", name="Failed messages").click()
    page.wait_for_url(f"{inbox_server.url}/failed/")
    expect(page.get_by_role("heading", name="Failed messages")).to_be_visible()
    expect(page.get_by_role("navigation", name="Failed messages by error code")).to_contain_text("21610")
    rows = page.locator("#failed-list li.failed-item")
    row_ok, row_refused = rows.filter(has_text=passing), rows.filter(has_text=refused)
    expect(row_ok.locator(".why")).to_contain_text("Retry; if it keeps failing")
    expect(row_refused.locator(".why")).to_contain_text("Not retryable")
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "failed-1366.png"), full_page=True)

    # "Select all" then keyboard: all on, then off, then the two rows by Space.
    select_all = page.get_by_label("Select all on this page")
    select_all.focus()
    page.keyboard.press("Space")
    expect(rows.locator("input[type=checkbox]:checked")).to_have_count(rows.count())
    page.keyboard.press("Space")
    expect(rows.locator("input[type=checkbox]:checked")).to_have_count(0)
    for row in (row_ok, row_refused):
        row.locator("input[type=checkbox]").focus()
        page.keyboard.press("Space")
    expect(rows.locator("input[type=checkbox]:checked")).to_have_count(2)
    sent_before = len([m for m in emulator.messages("outbound-api") if m["body"] == passing])
    refused_before = len([m for m in emulator.messages("outbound-api") if m["body"] == refused])  # the original
    page.get_by_role("button", name="Retry selected").focus()
    page.keyboard.press("Enter")

    flash = page.locator("ul.flash")
    expect(flash).to_contain_text("Retried 1 message.")
    expect(flash).to_contain_text("(error 21610) skipped: Not retried: The recipient replied STOP")

    def sent() -> list[dict]:
        return [m for m in emulator.messages("outbound-api") if m["body"] == passing]

    wait_for(lambda: len(sent()) > sent_before, timeout=10)  # the worker handed the retry to Twilio
    wait_for(lambda: sent()[-1]["status"] == "failed", timeout=10)
    assert emulator.wait_idle(10)  # and its status callbacks reached the inbox
    assert len(sent()) == sent_before + 1  # one new message, once
    assert len([m for m in emulator.messages("outbound-api") if m["body"] == refused]) == refused_before  # no retry
    page.screenshot(path=str(SHOTS / "failed-1366-retried.png"), full_page=True)

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{inbox_server.url}/failed/")
    expect(rows.filter(has_text=passing)).to_have_count(2)  # the original and its retry, failed again at 30008
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / "failed-375.png"), full_page=True)


UNKNOWN_HANDSET = "+15005550012"  # the emulator ends the send undelivered with 30005


def test_a_failure_missed_while_the_socket_was_down_reaches_the_failed_tab_on_resync(inbox_server, new_tab):
    """The Failed tab is open but its websocket is down when a sent message fails; on reconnection the
    resync marks and lists the row (a failure updates the message, not the conversation)."""
    inbox_server.post_inbound(from_=UNKNOWN_HANDSET, body=f"Still open? {secrets.token_hex(3)}")
    refuse = False
    served: list = []

    def route(ws) -> None:
        if refuse:
            ws.close(code=1011)
        else:
            served.append((ws, ws.connect_to_server()))

    watcher = new_tab(width=1366, height=800).page
    watcher.route_web_socket(re.compile(r"/ws/inbox/"), route)
    login(watcher, inbox_server, ALICE)
    watcher.goto(f"{inbox_server.url}/?filter=failed")
    expect(watcher.locator("#inbox")).to_have_attribute("data-live", "connected")
    refuse = True
    page_side, server_side = served[-1]
    server_side.close(code=1000)
    page_side.close(code=1011)
    expect(watcher.locator("#inbox")).not_to_have_attribute("data-live", "connected")

    sender = new_tab(width=1366, height=800).page
    login(sender, inbox_server, ALICE)
    _send_failing(sender, inbox_server, UNKNOWN_HANDSET, f"Your parcel {secrets.token_hex(3)}", "30005")
    row = watcher.locator("#conversation-list li.conversation.failed").filter(has_text=display_number(UNKNOWN_HANDSET))
    expect(row).to_have_count(0)  # not heard yet: the socket is down
    refuse = False
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.locator(".tag.failed")).to_be_visible()
