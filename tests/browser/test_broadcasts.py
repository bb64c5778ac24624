"""A broadcast in the browser (issue 17): alice writes one message with a variable to three contacts (pasted
numbers), previews the counts, sends it from the keyboard, and watches the report's live progress bar fill and the
state reach Done as the server's worker sends each text through the emulator. Screenshots at desktop and phone
widths (``/tmp/shots-broadcasts/``), no serious or critical axe violation, no horizontal scroll.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, expect, login, new_contact
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("BROADCAST_SHOTS", "/tmp/shots-broadcasts"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def checked(page) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_broadcast_to_three_contacts_with_a_live_progress_bar(inbox_server, emulator, new_tab, width, height):
    label = "desktop" if width > 700 else "phone"
    token = secrets.token_hex(3)
    contacts = [new_contact() for _ in range(3)]
    for contact in contacts:
        assert inbox_server.post_inbound(from_=contact, body=f"Hello {token}").status_code == 200
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    page.goto(f"{inbox_server.url}/broadcasts/new/")
    page.get_by_label("Message").fill(f"Hi {{{{contact.first_name|there}}}}, we open at 9 on Saturday. {token}")
    page.get_by_label("Phone numbers").fill("\n".join([*contacts, contacts[0], "not a number"]))
    page.get_by_role("button", name="Preview").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview-recipients")).to_have_text("3")
    shot(page, f"{label}-preview")
    checked(page)
    send = page.locator("#broadcast-send")
    expect(send).to_have_text("Send to 3")
    send.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/broadcasts/*/")
    bar = page.locator("#broadcast-progress")
    expect(bar).to_be_visible()
    shot(page, f"{label}-sending")
    checked(page)
    expect(page.locator("#broadcast-state")).to_have_text("Done", timeout=30_000)
    expect(page.locator('[data-count="delivered"]')).to_have_text("3", timeout=30_000)
    expect(page.locator('[data-count="excluded"]')).to_have_text("1")
    assert bar.evaluate("b => [b.value, b.max]") == [4, 4]
    # Done: the page offers no Pause or Cancel any more, and the table shows each recipient's outcome.
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel broadcast")).to_have_count(0)
    expect(page.locator("#broadcast table tbody tr").filter(has_text="Delivered")).to_have_count(3, timeout=10_000)
    sent = [m for m in emulator.messages() if token in (m.get("body") or "")]
    assert sorted(m["to"] for m in sent) == sorted(contacts)
    assert all(m["body"].startswith("Hi there, we open") for m in sent)
    shot(page, f"{label}-done")
    checked(page)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_broadcast_scheduled_for_later_from_the_keyboard_waits_and_can_be_cancelled(
    inbox_server, emulator, new_tab, width, height
):
    """Start at a time (the browser's zone, which the page names), previewed as "Starts …", scheduled: the report
    says when it starts and nothing is sent meanwhile; cancelled, it never is."""
    label = "desktop" if width > 700 else "phone"
    token = secrets.token_hex(3)
    contact = new_contact()
    assert inbox_server.post_inbound(from_=contact, body=f"Hello {token}").status_code == 200
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    page.goto(f"{inbox_server.url}/broadcasts/new/")
    page.get_by_label("Message").fill(f"Our new hours start Monday. {token}")
    page.get_by_label("Phone numbers").fill(contact)
    page.get_by_label("Start at", exact=True).check()
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(page.locator("#send-at-help")).to_contain_text(zone)
    when = page.evaluate(
        "() => { const d = new Date(Date.now() + 2 * 86400000); d.setHours(9, 30, 0, 0);"
        " const p = (n) => String(n).padStart(2, '0');"
        " return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:30`; }"
    )
    page.locator("#broadcast-send-at").fill(when)
    page.get_by_role("button", name="Preview").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview-starts")).to_contain_text("9:30 AM")
    send = page.locator("#broadcast-send")
    expect(send).to_have_text("Schedule for 1")
    shot(page, f"{label}-scheduled-preview")
    checked(page)
    send.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/broadcasts/*/")
    expect(page.locator("#broadcast-state")).to_have_text("Queued")
    expect(page.locator("#broadcast-starts")).to_contain_text("9:30 AM")
    shot(page, f"{label}-scheduled")
    checked(page)
    cancel = page.get_by_role("button", name="Cancel broadcast")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#broadcast-state")).to_have_text("Cancelled")
    assert not [m for m in emulator.messages() if token in (m.get("body") or "") and m["to"] == contact]


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_broadcast_from_the_second_number_chosen_from_the_keyboard(
    inbox_server, emulator, new_tab, second_number, width, height
):
    """With two numbers the page asks which one it goes from; the preview names it; the text reaches the emulator
    from it, and the contact's thread (on the first number until then) says it now texts from the second."""
    from tests.browser import open_thread

    label = "desktop" if width > 700 else "phone"
    token = secrets.token_hex(3)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hello {token}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    page.goto(f"{inbox_server.url}/broadcasts/new/")
    page.get_by_label("Message").fill(f"Uptown opens at 9. {token}")
    page.get_by_label("Phone numbers").fill(contact)
    chooser = page.get_by_label("From")
    chooser.focus()
    expect(chooser.locator("option:checked")).to_have_text("Each conversation's own number")  # the default
    for _ in range(2):  # a native select (each conversation's own, then the numbers as added), from the keyboard
        page.keyboard.press("ArrowDown")
    expect(chooser.locator("option:checked")).to_contain_text(second_number)
    page.get_by_role("button", name="Preview").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview-from")).to_have_text(f"{second_number} (Second line)")
    shot(page, f"{label}-from-preview")
    checked(page)
    page.locator("#broadcast-send").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/broadcasts/*/")
    expect(page.locator("#broadcast-state")).to_have_text("Done", timeout=30_000)
    sent = [m for m in emulator.messages() if token in (m.get("body") or "")]
    assert [(m["to"], m["from"]) for m in sent] == [(contact, second_number)]
    page.goto(f"{inbox_server.url}/")
    open_thread(page, inbox_server, contact)
    expect(page.locator("#thread-from-number")).to_contain_text(second_number)
    moved = f"{ALICE.username}'s broadcast texted from {second_number} (Second line): replies go from it now"
    expect(page.locator("#messages").get_by_text(moved)).to_have_count(1)
    shot(page, f"{label}-from-thread")
    checked(page)
