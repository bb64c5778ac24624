"""Canned replies in the browser (issue 16): alice saves two shared replies on the management page, then in a
thread types "/" and a part of the shortcut; the picker lists both with their size in segments and encoding, is
worked with the arrow keys and Enter (Escape closes it), and inserts the reply with its variables filled in by the
server. The first [[placeholder]] is selected; Send is refused until every one is filled (Tab goes to the next);
then the text reaches Twilio (the emulator) exactly as completed. Screenshots at desktop and phone widths
(``/tmp/shots/canned/``) and no serious or critical axe violation.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, ORG_A, expect, login, message_bubble, new_contact, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CANNED_SHOTS", "/tmp/shots/canned"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def save_reply(page, server, *, name: str, shortcut: str, body: str) -> None:
    page.goto(f"{server.url}/canned-replies/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Shortcut").fill(shortcut)
    page.get_by_label("Text of the reply").fill(body)
    page.get_by_label("Shared with the whole organization").check()
    page.get_by_role("button", name="Save reply").click()
    expect(page.locator("table.canned-replies")).to_contain_text(f"/{shortcut}")


def selection(field) -> str:
    return field.evaluate("(el) => el.value.slice(el.selectionStart, el.selectionEnd)")


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_inserting_a_canned_reply_with_variables_and_placeholders(inbox_server, emulator, new_tab, width, height):
    label = "desktop" if width > 700 else "phone"
    tag = secrets.token_hex(3)
    tab = new_tab(width=width, height=height)
    page = tab.page
    login(page, inbox_server, ALICE)
    save_reply(page, inbox_server, name="Thanks", shortcut=f"q{tag}-thanks", body="Thanks, {{user.name}}!")
    save_reply(
        page,
        inbox_server,
        name="Visit time",
        shortcut=f"q{tag}-visit",
        body="Hi {{contact.first_name|there}}, see you at [[time]] on [[day]]. {{organization.name}}",
    )
    shot(page, f"{label}-manage")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"When can I come in? {tag}")
    page.goto(f"{inbox_server.url}/")
    open_thread(page, inbox_server, contact)
    body = page.locator("#body")
    body.focus()
    sent_before = len(emulator.messages("outbound-api"))

    # "/" and a part of the shortcut: both replies, each with its size for this contact, the first highlighted.
    body.press_sequentially(f"/q{tag}")
    options = page.locator("#canned-list [role=option]")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text(f"/q{tag}-thanks")
    expect(options.nth(1)).to_contain_text("1 segment · GSM-7")
    expect(options.nth(1)).to_contain_text(f"Hi there, see you at [[time]] on [[day]]. {ORG_A}")
    expect(body).to_have_attribute("aria-activedescendant", "canned-option-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    shot(page, f"{label}-picker")
    assert axe_violations(page) == []

    # Escape closes it; typing reopens it, filtered; the arrow keys move, Enter inserts.
    body.press("Escape")
    expect(page.locator("#canned-list")).to_be_hidden()
    expect(body).to_be_focused()
    body.press_sequentially("-v")
    expect(options).to_have_count(1)
    body.press("Backspace")
    body.press("Backspace")
    expect(options).to_have_count(2)
    body.press("ArrowDown")
    expect(body).to_have_attribute("aria-activedescendant", "canned-option-1")
    body.press("Enter")
    expect(page.locator("#canned-list")).to_be_hidden()
    expect(body).to_have_value(f"Hi there, see you at [[time]] on [[day]]. {ORG_A}")
    assert selection(body) == "[[time]]"
    shot(page, f"{label}-inserted")

    # Send is refused while a placeholder is left: the button, and Ctrl+Enter.
    body.press("Control+Enter")
    error = page.locator("#canned-error")
    expect(error).to_have_text("Fill in [[time]], [[day]] before sending.")
    page.locator("#send").click()
    expect(error).to_be_visible()
    assert selection(body) == "[[time]]"
    shot(page, f"{label}-refused")
    page.keyboard.type("3 pm")
    body.press("Tab")  # to the next placeholder
    assert selection(body) == "[[day]]"
    expect(body).to_be_focused()
    page.keyboard.type("Friday")
    expect(error).to_be_hidden()
    text = f"Hi there, see you at 3 pm on Friday. {ORG_A}"
    expect(body).to_have_value(text)
    page.locator("#send").click()
    expect(body).to_have_value("")
    bubble = message_bubble(page, text, "out:not(.pending)")
    expect(bubble.locator(".status")).to_have_text("Delivered", timeout=10_000)  # it reached Twilio, as completed
    assert emulator.wait_idle(5)
    sent = emulator.messages("outbound-api")[sent_before:]
    assert [m["body"] for m in sent] == [text]
    shot(page, f"{label}-sent")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    assert tab.problems() == []


def test_the_pickers_helpers(inbox_server, new_tab):
    """canned.js's pure functions, in Chromium: the "/word" at the caret, matching, insertion, placeholders."""
    tab = new_tab()
    page = tab.page
    login(page, inbox_server, ALICE)
    results = page.evaluate(
        r"""async () => {
          const entry = document.querySelector('script[type=module][src*="/js/inbox.js"]').src;
          const canned = await import(new URL("canned.js", entry));
          const replies = [
            { shortcut: "hours", name: "Opening hours" },
            { shortcut: "thanks", name: "Thank you" },
            { shortcut: "visit", name: "Visit hours" },
          ];
          const pattern = "\\[\\[[^\\[\\]\\n]{1,40}\\]\\]";
          const text = "At [[time]] on [[day]]";
          return {
            atStart: canned.slashQuery("/ho", 3),
            afterSpace: canned.slashQuery("hi /th", 6),
            inWord: canned.slashQuery("and/or", 6),
            url: canned.slashQuery("see http://x", 12),
            matched: canned.matchReplies(replies, "hour").map((r) => r.shortcut),
            inserted: canned.insertReply("hi /th there", 3, 6, "Thanks!"),
            ranges: canned.placeholderRanges(text, pattern).map((r) => r.text),
            next: canned.nextPlaceholder(text, pattern, 3, 11).text,
            wrap: canned.nextPlaceholder(text, pattern, 15, 22).text,
            none: canned.nextPlaceholder("done", pattern, 0, 0),
          };
        }"""
    )
    assert results["atStart"] == {"start": 0, "query": "ho"}
    assert results["afterSpace"] == {"start": 3, "query": "th"}
    assert results["inWord"] is None
    assert results["url"] is None
    assert results["matched"] == ["hours", "visit"]  # the shortcut first, then the name
    assert results["inserted"] == {"text": "hi Thanks! there", "end": 10}
    assert results["ranges"] == ["[[time]]", "[[day]]"]
    assert (results["next"], results["wrap"], results["none"]) == ("[[day]]", "[[time]]", None)
    assert tab.problems() == []


def test_a_reply_saved_elsewhere_reaches_an_open_picker_live(inbox_server, new_tab):
    tag = secrets.token_hex(3)
    tab, other = new_tab(width=1366, height=800), new_tab(width=1366, height=800)
    page = tab.page
    login(page, inbox_server, ALICE)
    save_reply(page, inbox_server, name="One", shortcut=f"r{tag}-one", body="One.")
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hello {tag}")
    page.goto(f"{inbox_server.url}/")
    open_thread(page, inbox_server, contact)
    body = page.locator("#body")
    body.focus()
    body.press_sequentially(f"/r{tag}")
    options = page.locator("#canned-list [role=option]")
    expect(options).to_have_count(1)
    # In another tab, a second reply: the open picker hears canned_reply.changed and lists it.
    login(other.page, inbox_server, ALICE)
    save_reply(other.page, inbox_server, name="Two", shortcut=f"r{tag}-two", body="Two.")
    expect(options).to_have_count(2)
    expect(options.nth(1)).to_contain_text(f"/r{tag}-two")
    assert tab.problems() == []
    assert other.problems() == []
