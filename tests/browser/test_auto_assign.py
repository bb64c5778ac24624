"""Automatic assignment in real browsers, two staff members, keyboard only: the admin (Alice) turns it on from the
Team page; Carol sets herself Away from her settings (at phone width); a new customer's text lands in both open
inboxes already assigned to Alice; Carol comes back (Available) and the next new text is hers, live in both
inboxes. Screenshots at 1366x800 and 375x812 (SHOTS_DIR, default test-artifacts/auto-assign/); no horizontal
scroll; axe finds nothing serious or critical. The setting is turned off again at the end (one shared server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, CAROL, conversation_row, expect, login, new_contact, wait_live
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ["SHOTS_DIR"]) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "auto-assign"


def _check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _press(page, locator) -> None:
    locator.focus()
    page.keyboard.press("Enter")


def _set_availability(page, server, button: str) -> None:
    page.goto(f"{server.url}/settings/")
    _press(page, page.get_by_role("button", name=button))
    expect(page.locator("ul.flash")).to_be_visible()


def test_new_texts_go_to_available_members_in_turn(inbox_server, new_tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = new_tab(width=1366, height=800).page
    login(admin, inbox_server, ALICE)
    carol = new_tab(width=375, height=812).page
    login(carol, inbox_server, CAROL)
    try:
        admin.goto(f"{inbox_server.url}/team/")
        box = admin.get_by_label("Assign new conversations automatically")
        box.focus()
        admin.keyboard.press("Space")
        expect(box).to_be_checked()
        cap = admin.get_by_label("Most open conversations per member")
        cap.focus()
        admin.keyboard.press("Control+A")
        admin.keyboard.type("50")
        _press(admin, admin.get_by_role("button", name="Save automatic assignment"))
        expect(admin.locator("ul.flash")).to_contain_text("Automatic assignment is on.")
        _check(admin, "team-1366")

        _set_availability(carol, inbox_server, "Set me Away")
        expect(carol.locator("#availability-state")).to_contain_text("You are Away")
        _check(carol, "settings-away-375")

        # Both inboxes open; a new customer texts: Carol is away, so it is Alice's, in both lists at once.
        admin.goto(f"{inbox_server.url}/")
        carol.goto(f"{inbox_server.url}/")
        wait_live(admin)
        wait_live(carol)
        first = new_contact()
        inbox_server.post_inbound(from_=first, body="Is the clinic open on Saturday?")
        for page in (admin, carol):
            expect(conversation_row(page, first).locator(".tag.assignee")).to_have_text("alice")

        # Carol is back; the next new text goes to her (Alice had the last one), live in both inboxes.
        _set_availability(carol, inbox_server, "Set me Available")
        carol.goto(f"{inbox_server.url}/")
        wait_live(carol)
        second = new_contact()
        inbox_server.post_inbound(from_=second, body="Can I move my appointment?")
        for page in (admin, carol):
            expect(conversation_row(page, second).locator(".tag.assignee")).to_have_text("carol")
        _check(carol, "inbox-assigned-375")
    finally:  # the server is shared with the other browser tests: leave the setting as they expect it
        admin.goto(f"{inbox_server.url}/team/")
        box = admin.get_by_label("Assign new conversations automatically")
        if box.is_checked():
            box.uncheck()
            admin.get_by_role("button", name="Save automatic assignment").click()
            expect(admin.locator("ul.flash")).to_contain_text("Automatic assignment is off.")
        carol.goto(f"{inbox_server.url}/settings/")
        if carol.get_by_role("button", name="Set me Available").count():
            carol.get_by_role("button", name="Set me Available").click()
