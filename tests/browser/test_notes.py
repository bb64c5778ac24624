"""Private notes and @mentions in the browser (issue 16): alice writes a note mentioning carol from the composer's
Note mode; carol, in her own browser, sees it live, distinct from texts, gets the mention's toast, and finds the
thread under "Mentions", linking to the note. The note never reaches Twilio (the emulator) and leaves the thread's
unread count and preview alone. Switching between Text and Note works from the keyboard alone. Screenshots at
desktop and phone widths (``/tmp/shots/notes/``) and no serious or critical axe violation.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, CAROL, conversation_row, expect, login, new_contact, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("NOTES_SHOTS", "/tmp/shots/notes"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_note_mentioning_a_colleague_reaches_them_live_and_never_the_contact(
    inbox_server, emulator, new_tab, width, height
):
    label = "desktop" if width > 700 else "phone"
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Can I move my appointment? {secrets.token_hex(3)}")
    alice_tab, carol_tab = new_tab(width=width, height=height), new_tab(width=width, height=height)
    alice, carol = alice_tab.page, carol_tab.page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    conversation_id = open_thread(alice, inbox_server, contact)
    open_thread(carol, inbox_server, contact)
    sent_before = len(emulator.messages("outbound-api"))

    # Alice switches to Note mode: the text composer goes, the note form shows, its button says "Add note".
    alice.locator("label[for=mode-note]").click()
    expect(alice.locator("#composer")).to_be_hidden()
    note_field = alice.get_by_label("Private note")
    expect(note_field).to_be_focused()
    expect(alice.get_by_role("button", name=re.compile("^Add note"))).to_be_visible()
    # @-autocomplete from the organization's members; Enter picks the highlighted one.
    note_field.press_sequentially("Rebook for Friday, @ca")
    options = alice.locator("#mention-list [role=option]")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("@carol")
    shot(alice, f"{label}-autocomplete")
    note_field.press("Enter")
    expect(note_field).to_have_value("Rebook for Friday, @carol ")
    note_field.press_sequentially("please call back. Not @bob though.")
    alice.get_by_role("button", name=re.compile("^Add note")).click()

    # Alice's thread shows the note at once, apart from the texts; the field is emptied.
    mine = alice.locator("#messages li.note").filter(has_text="Rebook for Friday")
    expect(mine).to_have_count(1)
    expect(note_field).to_have_value("")
    expect(mine.locator(".mention")).to_have_text(["@carol"])  # "@bob" is of another organization: plain text

    # Carol hears it live: the same note, distinct (no bubble), with its author and time; and a mention toast.
    theirs = carol.locator("#messages li.note").filter(has_text="Rebook for Friday")
    expect(theirs).to_have_count(1)
    expect(theirs.locator(".note-tag")).to_have_text("Note")
    expect(theirs.locator(".author")).to_have_text("alice")
    expect(theirs.locator("time")).to_have_text(re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}\s?[AP]M"))
    assert theirs.locator(".bubble").count() == 0
    background = theirs.locator(".note-card").evaluate("(el) => getComputedStyle(el).backgroundColor")
    bubble = carol.locator("#messages li.message .bubble").first.evaluate(
        "(el) => getComputedStyle(el).backgroundColor"
    )
    assert background != bubble
    toast = carol.locator(".mention-toast")
    expect(toast).to_contain_text("alice mentioned you in a note")
    note_id = theirs.get_attribute("data-note-id")
    expect(toast.get_by_role("link", name="Open the note")).to_have_attribute(
        "href", f"/c/{conversation_id}/#note-{note_id}"
    )
    expect(carol.locator('nav.filters a[href*="filter=mentions"] .mention-badge')).to_have_text("1")
    shot(carol, f"{label}-live-note")
    assert axe_violations(carol) == []
    assert horizontal_overflow(carol) == 0

    # Never a text: nothing went to Twilio, and the conversation's preview and unread count did not change.
    assert emulator.wait_idle(5)
    assert len(emulator.messages("outbound-api")) == sent_before
    alice.goto(f"{inbox_server.url}/")
    row = conversation_row(alice, contact)
    expect(row.locator(".preview")).to_contain_text("Can I move my appointment?")
    expect(row.locator(".unread-badge")).to_be_hidden()

    # Carol's "Mentions" lists the thread, linking to the note.
    carol.goto(f"{inbox_server.url}/?filter=mentions")
    listed = conversation_row(carol, contact)
    expect(listed).to_have_count(1)
    link = listed.locator("a").first
    expect(link).to_have_attribute("href", re.compile(rf"/c/{conversation_id}/\?filter=mentions#note-{note_id}$"))
    shot(carol, f"{label}-mentions-filter")
    assert axe_violations(carol) == []
    link.click()
    expect(carol.locator(f"#note-{note_id}")).to_be_visible()
    shot(carol, f"{label}-note-anchor")
    for tab in (alice_tab, carol_tab):
        assert tab.problems() == []


def test_switching_between_text_and_note_from_the_keyboard_alone(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hello there {secrets.token_hex(3)}")
    tab = new_tab(width=1366, height=800)
    page = tab.page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    text_mode = page.locator("#mode-text")
    # From the message box, Shift+Tab reaches the mode switch; arrow keys choose Note, Tab enters its field.
    page.locator("#body").focus()
    page.keyboard.press("Shift+Tab")
    expect(text_mode).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#mode-note")).to_be_checked()
    expect(page.locator("#mode-note")).to_be_focused()
    expect(page.locator("#note-composer")).to_be_visible()
    expect(page.locator("#composer")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.locator("#note-body")).to_be_focused()
    page.keyboard.type("Checked their file")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#messages li.note").filter(has_text="Checked their file")).to_have_count(1)
    shot(page, "desktop-keyboard-note-mode")
    # Escape leaves the note (shortcuts work again); "c" comes back to the field of the mode chosen.
    page.keyboard.press("Escape")
    expect(page.locator("#note-body")).not_to_be_focused()
    page.keyboard.press("c")
    expect(page.locator("#note-body")).to_be_focused()
    # Back to Text: Shift+Tab to the switch, arrow key, Tab into the message box.
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#mode-note")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(text_mode).to_be_checked()
    expect(page.locator("#composer")).to_be_visible()
    expect(page.locator("#note-composer")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.locator("#body")).to_be_focused()
    assert tab.problems() == []


def test_the_composers_mention_helpers(inbox_server, new_tab):
    """notes.js's pure functions, in Chromium: the "@word" at the caret, the members offered, the insertion."""
    from tests.browser.test_modules import IMPORT_JS

    tab = new_tab()
    page = tab.page
    login(page, inbox_server, ALICE)
    assert page.evaluate(IMPORT_JS) == []
    results = page.evaluate(
        """async () => {
          const entry = document.querySelector('script[type=module][src*="/js/inbox.js"]').src;
          const notes = await import(new URL("notes.js", entry));
          const members = [
            { id: 1, username: "alice", name: "Alice Smith" },
            { id: 2, username: "carol", name: "Carol Diaz" },
            { id: 3, username: "dan.k", name: "Dan K" },
          ];
          return {
            atStart: notes.mentionQuery("@ca", 3),
            afterSpace: notes.mentionQuery("hi @dan.", 8),
            email: notes.mentionQuery("ann@exa", 7),
            none: notes.mentionQuery("hello", 5),
            byName: notes.matchMembers(members, "diaz").map((m) => m.username),
            byPrefix: notes.matchMembers(members, "a").map((m) => m.username),
            inserted: notes.insertMention("hi @ca there", 3, 6, "carol"),
          };
        }"""
    )
    assert results["atStart"] == {"start": 0, "query": "ca"}
    assert results["afterSpace"] == {"start": 3, "query": "dan."}
    assert results["email"] is None  # as the server reads it: an address names nobody
    assert results["none"] is None
    assert results["byName"] == ["carol"]
    assert results["byPrefix"] == ["alice", "carol", "dan.k"]  # starts with "a" first, then contains it
    assert results["inserted"] == {"text": "hi @carol there", "caret": 10}
    assert tab.problems() == []
