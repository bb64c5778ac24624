"""The inbox from the keyboard: shortcuts (``static/js/keyboard.js``), the "?" overlay, the skip link to the
composer, and the focus a thread puts in its composer."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser import ALICE, ARTIFACTS, expect, login, new_contact, wait_live
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser


def _row_ids(page) -> list[str]:
    return page.locator("#conversation-list li.conversation").evaluate_all("rows => rows.map(r => r.dataset.id)")


def _focused_id(page) -> str:
    return page.evaluate("document.activeElement?.id || document.activeElement?.tagName")


def _opened(page, server, conversation_id: str) -> None:
    page.wait_for_url(f"{server.url}/c/{conversation_id}/")
    wait_live(page)


def test_shortcuts_move_between_conversations_and_focus_the_composer(inbox_server, new_tab):
    for _ in range(3):
        inbox_server.post_inbound(from_=new_contact(), body=f"Keyboard {secrets.token_hex(3)}")
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    ids = _row_ids(page)
    assert len(ids) >= 3

    page.keyboard.press("j")  # no thread open: the first conversation
    _opened(page, inbox_server, ids[0])
    assert _focused_id(page) == "body"  # a thread that opens puts the focus in its composer

    page.keyboard.type("j")  # typing in the composer is typing, not a shortcut
    expect(page.locator("#body")).to_have_value("j")
    page.locator("#body").fill("")
    page.keyboard.press("Escape")  # leaves the composer: the shortcuts work again
    assert _focused_id(page) == "main"
    page.keyboard.press("j")
    _opened(page, inbox_server, ids[1])
    page.keyboard.press("Escape")
    page.keyboard.press("k")
    _opened(page, inbox_server, ids[0])

    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert _focused_id(page) == "q"
    page.keyboard.type("jk")  # typed into the search, nothing else
    assert page.url == f"{inbox_server.url}/c/{ids[0]}/"
    page.locator("#q").fill("")
    page.keyboard.press("Escape")
    page.locator("#main").focus()
    page.keyboard.press("c")
    assert _focused_id(page) == "body"


def test_assign_to_me_and_close_reopen_from_the_keyboard(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Assign me {secrets.token_hex(3)}")
    page = new_tab().page
    login(page, inbox_server, ALICE)
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/c/\d+/"))
    wait_live(page)
    page.keyboard.press("Escape")
    page.keyboard.press("a")  # assignment and status change in place (no reload)
    expect(page.locator("#assignee option:checked")).to_have_text("alice (me)")
    expect(page.locator("#conversation-list li.conversation.selected")).to_contain_text("alice")
    page.keyboard.press("Escape")
    page.keyboard.press("x")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("x")
    expect(page.get_by_role("button", name="Close", exact=True)).to_be_visible()
    page.reload()  # stored, not only shown
    wait_live(page)
    expect(page.locator("#assignee option:checked")).to_have_text("alice (me)")
    expect(page.get_by_role("button", name="Close", exact=True)).to_be_visible()


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)])
def test_the_question_mark_lists_the_shortcuts_in_a_dialog_that_escape_closes(inbox_server, new_tab, width, height):
    inbox_server.post_inbound(from_=new_contact(), body=f"Help {secrets.token_hex(3)}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    page.locator("#q").focus()
    page.keyboard.press("Escape")
    page.locator("#main").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for label in (
        "Next conversation",
        "Previous conversation",
        "Search conversations",
        "Assign the conversation to me",
    ):
        expect(dialog).to_contain_text(label)
    assert page.evaluate("document.activeElement.closest('dialog') !== null")  # the focus is in the dialog
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / f"shortcuts-{width}.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert _focused_id(page) == "main"  # back where it was


def test_the_composer_is_three_tab_presses_from_the_top(inbox_server, new_tab):
    inbox_server.post_inbound(from_=new_contact(), body=f"Tab {secrets.token_hex(3)}")
    page = new_tab().page
    login(page, inbox_server, ALICE)
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/c/\d+/"))
    wait_live(page)
    # From the top of the page the first Tab lands on the first skip link (focused here: after a blur, Chromium
    # would go on from where the focus was), the second on the one to the message box.
    page.locator(".skip-link").first.focus()
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the message box")
    expect(page.locator(":focus")).to_be_visible()  # the skip link shows when focused
    page.keyboard.press("Enter")
    assert _focused_id(page) == "body"


def test_the_shortcuts_can_be_found_without_knowing_the_question_mark(inbox_server, new_tab):
    """A visible "Keyboard shortcuts" button opens the list from a click or Enter, and the controls that have
    a shortcut say so in their tooltip and to screen readers (aria-keyshortcuts), from the one table."""
    inbox_server.post_inbound(from_=new_contact(), body=f"Find {secrets.token_hex(3)}")
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/c/\d+/"))
    button = page.get_by_role("button", name="Keyboard shortcuts")
    expect(button).to_be_visible()
    expect(page.locator("#q")).to_have_attribute("aria-keyshortcuts", "/")
    expect(page.locator("#q")).to_have_attribute("title", "Shortcut: /")
    expect(page.locator("#assignee")).to_have_attribute("aria-keyshortcuts", "a")
    close = page.get_by_role("button", name="Close", exact=True)
    expect(close).to_have_attribute("aria-keyshortcuts", "x")
    page.screenshot(path=str(ARTIFACTS / "shortcuts-button-1366.png"))
    button.click()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert _focused_id(page) == "shortcuts-button"  # back on the button
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
