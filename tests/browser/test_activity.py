"""The activity log in the browser (issue 16): alice keeps a thread open while carol, in her own browser, assigns
it, labels it and closes it; each change appears live in alice's thread as a muted one-line row, in time order,
and the same rows are there after a reload (stored, not only heard). Screenshots at desktop and phone widths
(``/tmp/shots-contact/``), no serious or critical axe violation, no horizontal scroll.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, CAROL, expect, login, new_contact, open_thread, wait_live
from tests.browser.test_accessibility import axe_violations, horizontal_overflow
from tests.browser.test_labels import create_label

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CONTACT_SHOTS", "/tmp/shots-contact"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_colleagues_changes_appear_live_as_activity_rows(inbox_server, new_tab, width, height):
    size = "desktop" if width > 700 else "phone"
    tag = secrets.token_hex(2)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Where is my parcel {tag}?")
    alice_tab, carol_tab = new_tab(width=width, height=height), new_tab(width=width, height=height)
    alice, carol = alice_tab.page, carol_tab.page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    name = f"Parcel {tag}"
    create_label(carol, inbox_server, name, color="Teal")
    carol.goto(f"{inbox_server.url}/")
    wait_live(carol)
    conversation_id = open_thread(carol, inbox_server, contact)
    open_thread(alice, inbox_server, contact)
    rows = alice.locator("#messages li.activity .activity-text")
    expect(rows).to_have_count(0)

    # Carol assigns it to alice, labels it and closes it; alice's open thread shows each change live.
    carol.locator("#assignee").select_option(label="alice")
    carol.locator("#assign-form button[type=submit]").click()
    expect(rows).to_have_text(["carol assigned this to alice"])
    carol.locator("#thread-label-picker summary").click()
    box = carol.locator("#thread-labels-form label.check", has_text=name).locator("input")
    box.focus()  # from the keyboard: at a phone's width the picker may open past the viewport's edge
    carol.keyboard.press("Space")
    expect(box).to_be_checked()
    carol.locator("#thread-labels-form").get_by_role("button", name="Apply").focus()
    carol.keyboard.press("Enter")
    expect(rows).to_have_text(["carol assigned this to alice", f"carol added the label “{name}”"])
    carol.locator("#status-form button[value=closed]").click()
    expect(rows).to_have_text(["carol assigned this to alice", f"carol added the label “{name}”", "carol closed this"])
    expect(alice.locator("#messages li.activity time.activity-time")).to_have_count(3)
    alice.locator("#messages li.activity").last.scroll_into_view_if_needed()
    shot(alice, f"{size}-activity-live")
    assert axe_violations(alice) == []
    assert horizontal_overflow(alice) == 0

    # Stored, not only heard: after a reload the same rows, between the texts, in time order.
    alice.goto(f"{inbox_server.url}/c/{conversation_id}/")
    wait_live(alice)
    expect(rows).to_have_text(["carol assigned this to alice", f"carol added the label “{name}”", "carol closed this"])
    shot(alice, f"{size}-activity-reloaded")
    for tab in (alice_tab, carol_tab):
        assert tab.problems() == []


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_contact_panel_renames_the_person_and_a_colleague_sees_it_live(inbox_server, new_tab, width, height):
    size = "desktop" if width > 700 else "phone"
    tag = secrets.token_hex(2)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hi, it's me {tag}")
    alice_tab, carol_tab = new_tab(width=width, height=height), new_tab(width=width, height=height)
    alice, carol = alice_tab.page, carol_tab.page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    conversation_id = open_thread(carol, inbox_server, contact)
    open_thread(alice, inbox_server, contact)

    # The panel opens from the keyboard; alice writes the name and a note and saves.
    summary = alice.locator("#contact-panel > summary")
    summary.focus()
    alice.keyboard.press("Enter")
    expect(alice.locator("#contact-panel-form")).to_be_visible()
    expect(alice.locator("#profile-number")).to_contain_text("United States")
    name = f"Ada {tag}"
    alice.locator("#profile-first-name").fill(name)
    alice.locator("#profile-notes").fill("Prefers texts in the morning")
    shot(alice, f"{size}-contact-panel")
    assert axe_violations(alice) == []
    assert horizontal_overflow(alice) == 0
    alice.locator("#contact-panel-form").get_by_role("button", name="Save contact").click()
    alice.wait_for_url(f"{inbox_server.url}/c/{conversation_id}/#contact-panel")
    expect(alice.locator("#thread-title")).to_have_text(name)

    # Carol's open thread and list show the new name live.
    expect(carol.locator("#thread-title")).to_have_text(name)
    expect(carol.locator(f'#conversation-list li.conversation[data-id="{conversation_id}"] .name')).to_contain_text(
        name
    )
    shot(carol, f"{size}-contact-renamed-live")
    for tab in (alice_tab, carol_tab):
        assert tab.problems() == []
