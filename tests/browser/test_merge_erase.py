"""Merge and erase from the contact page in a real browser, from the keyboard: the same person texted from two
numbers; staff merge the second contact into the first (search, confirmation) and an open inbox drops the
merged row; then erase the contact (typing the confirmation) and the inbox drops its row too. Screenshots at
1366x800 and 375x812 (in SHOTS_DIR, default test-artifacts/merge-erase); axe finds nothing serious or critical."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, conversation_row, display_number, expect, login, new_contact, wait_live
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ["SHOTS_DIR"]) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "merge-erase"


def _press(page, locator) -> None:
    """Activate a link or button from the keyboard."""
    locator.focus()
    page.keyboard.press("Enter")


def _check(page, name: str) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _contact_page(page, server, number: str) -> None:
    page.goto(f"{server.url}/contacts/?q={number[2:]}")
    _press(page, page.locator("table.contacts td.name-cell a").first)
    expect(page.get_by_role("heading", level=1)).to_have_text(display_number(number))


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)])
def test_merge_then_erase_from_the_contact_page(inbox_server, new_tab, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    mobile, work = new_contact(), new_contact()
    inbox_server.post_inbound(from_=mobile, body=f"From my mobile {secrets.token_hex(3)}")
    inbox_server.post_inbound(from_=work, body=f"From work {secrets.token_hex(3)}")
    watcher = new_tab(width=1366, height=800).page
    login(watcher, inbox_server, ALICE)
    wait_live(watcher)
    expect(conversation_row(watcher, work)).to_have_count(1)

    tab = new_tab(width=width, height=height)
    page = tab.page
    login(page, inbox_server, ALICE)
    _contact_page(page, inbox_server, work)
    _press(page, page.get_by_role("link", name="Merge into…"))
    page.get_by_label("Find the contact to keep").focus()
    page.keyboard.type(display_number(mobile))
    page.keyboard.press("Enter")
    candidate = page.get_by_role("list", name="Contacts found").get_by_role("link")
    expect(candidate).to_have_count(1)
    _check(page, f"merge-search-{width}")
    _press(page, candidate)
    expect(page.locator(".merge-effects")).to_contain_text("replies go to the number they last texted from")
    _check(page, f"merge-confirm-{width}")
    _press(page, page.get_by_role("button", name=f"Merge into {display_number(mobile)}"))
    expect(page.locator("ul.flash")).to_contain_text(f"Merged {display_number(work)} into")
    expect(page.locator(".contact-numbers")).to_contain_text(f"Also texts from: {display_number(work)} (merged)")
    _check(page, f"merged-contact-{width}")
    expect(conversation_row(watcher, work)).to_have_count(0)  # the open inbox dropped the merged thread's row
    expect(conversation_row(watcher, mobile)).to_have_count(1)

    _press(page, page.get_by_role("link", name="Erase…"))
    expect(page.locator(".erase-warning")).to_contain_text("This cannot be undone.")
    confirm = page.get_by_label(f"Type {display_number(mobile)} or ERASE to confirm")
    confirm.focus()
    page.keyboard.type("yes")
    page.keyboard.press("Enter")
    expect(page.locator(".form-error")).to_contain_text("Type the contact's number or the word ERASE")
    expected = [e for e in tab.console_errors if "status of 400" in e and "/erase/" in e]
    assert len(expected) == 1  # the refused confirmation is a 400, as it should be; nothing else went wrong
    tab.console_errors.remove(expected[0])
    _check(page, f"erase-confirm-{width}")
    page.get_by_label(f"Type {display_number(mobile)} or ERASE to confirm").focus()
    page.keyboard.type("ERASE")
    _press(page, page.get_by_role("button", name="Erase for good"))
    expect(page.locator("ul.flash")).to_contain_text("was erased")
    _check(page, f"erased-{width}")
    expect(conversation_row(watcher, mobile)).to_have_count(0)  # and the erased one's


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)])
def test_check_number_on_the_contact_page(inbox_server, new_tab, width, height):
    """The contact page's Check number asks the emulator's Twilio Lookup (a mobile) and shows the answer."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    number = new_contact()
    inbox_server.post_inbound(from_=number, body=f"Hello {secrets.token_hex(3)}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    _contact_page(page, inbox_server, number)
    expect(page.locator("#line-type-state")).to_have_text("Not checked.")
    _press(page, page.get_by_role("button", name="Check number"))
    expect(page.locator("#line-type-state")).to_contain_text("Twilio Lookup says: Mobile")
    expect(page.get_by_text("Twilio Lookup: Mobile.")).to_be_visible()
    _check(page, f"contact-line-type-{width}")
