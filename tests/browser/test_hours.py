"""Business hours in a real browser: an admin sets the week (keyboard only), a holiday and the after-hours
auto-reply on the Hours page, whose reply box counts segments as the composer does; a text then arrives (closed
all week) and its thread shows the automatic reply with its badge. Screenshots at 1366x800 and 375x812
(SHOTS_DIR, default test-artifacts/hours/), no horizontal scroll, axe finds nothing serious or critical.
The auto-reply is turned off again at the end: other modules share the server's database."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, expect, login, new_contact, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "hours"
REPLY = "Thanks for your text! We're closed now and answer from 9:00."


def _save(page) -> None:
    page.get_by_role("button", name="Save hours and replies").click()
    expect(page.locator(".flash")).to_contain_text("Business hours saved.")


def test_an_admin_sets_hours_and_a_text_after_hours_gets_the_automatic_reply(inbox_server, new_tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab = new_tab(width=1366, height=800)
    page = tab.page
    login(page, inbox_server, ALICE)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hours").click()
    page.wait_for_url(f"{inbox_server.url}/settings/hours/")
    expect(page.get_by_role("heading", name="Business hours", exact=True)).to_be_visible()
    try:
        page.get_by_label("Time zone").fill("America/New_York")
        page.get_by_label("Monday opens", exact=True).fill("09:00")
        page.get_by_label("Monday closes", exact=True).fill("17:00")
        page.get_by_label("Answer texts that arrive outside these hours").check()
        box = page.get_by_label("After-hours auto-reply")
        box.fill(REPLY)
        expect(page.locator("#id_auto_reply_text-counter")).to_have_text(f"{len(REPLY)} / 1600 · 1 segment · GSM-7")
        box.fill(REPLY + " 😀")
        expect(page.locator("#id_auto_reply_text-counter")).to_contain_text("UCS-2")
        box.fill(REPLY)
        page.get_by_label("Time zone").press("Enter")  # the keyboard submits the whole form
        expect(page.locator(".flash")).to_contain_text("Business hours saved.")
        expect(page.get_by_label("Monday opens", exact=True)).to_have_value("09:00")

        # A bad week: a half-filled day is refused beside its field, nothing saved.
        page.get_by_label("Tuesday opens", exact=True).fill("10:00")
        page.get_by_role("button", name="Save hours and replies").click()
        expect(page.locator("#hours-errors")).to_contain_text("Nothing was saved.")
        expect(page.locator("#id_d1_closes1-error")).to_have_text("Give both times, or neither (closed).")
        tab.console_errors[:] = [e for e in tab.console_errors if "status of 400" not in e]  # the refused form's
        assert axe_violations(page) == [], "the hours page with errors"

        page.get_by_label("Date").fill("2030-12-25")
        page.get_by_label("Name").fill("Christmas Day")
        page.get_by_role("button", name="Add holiday").click()
        expect(page.locator(".holiday-list")).to_contain_text("Christmas Day")
        assert axe_violations(page) == [], "the hours page"
        assert horizontal_overflow(page) == 0
        page.screenshot(path=str(SHOTS / "hours-1366.png"), full_page=True)

        # Closed all week: clear Monday, so any moment is after hours.
        page.get_by_label("Monday opens", exact=True).fill("")
        page.get_by_label("Monday closes", exact=True).fill("")
        _save(page)

        phone = new_tab(width=375, height=812).page
        login(phone, inbox_server, ALICE)
        phone.goto(f"{inbox_server.url}/settings/hours/")
        assert axe_violations(phone) == [], "the hours page on a phone"
        assert horizontal_overflow(phone) == 0
        phone.screenshot(path=str(SHOTS / "hours-375.png"), full_page=True)

        contact = new_contact()
        inbox_server.post_inbound(from_=contact, body=f"Are you open? {secrets.token_hex(3)}")
        page.goto(f"{inbox_server.url}/")
        open_thread(page, inbox_server, contact)
        bubble = page.locator("li.message.out").filter(has_text=REPLY)
        expect(bubble).to_be_visible()
        expect(bubble.locator(".tag.automatic")).to_have_text("Automatic reply")
        assert axe_violations(page) == [], "a thread with an automatic reply"
        page.screenshot(path=str(SHOTS / "thread-automatic-1366.png"))
    finally:
        page.goto(f"{inbox_server.url}/settings/hours/")
        page.get_by_label("Answer texts that arrive outside these hours").uncheck()
        _save(page)
