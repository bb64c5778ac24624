"""Labels and saved views in the browser (issue 16): alice creates a label on the management page and labels two
conversations at once from the list (checkboxes and the "Label" bar); carol, in her own browser, sees the labels
appear live, and a rename re-renders them. The list filters by label; a saved view's count changes live when a new
text arrives. Bulk labelling works from the keyboard alone. Screenshots at desktop and phone widths
(``/tmp/shots/labels/``) and no serious or critical axe violation.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, CAROL, conversation_row, expect, login, new_contact, wait_live
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("LABELS_SHOTS", "/tmp/shots/labels"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def create_label(page, server, name: str, color: str = "Purple") -> str:
    """Create a label on the management page; return its id."""
    page.goto(f"{server.url}/labels/")
    page.get_by_label("Name", exact=True).first.fill(name)
    page.locator("#new-label-color").select_option(label=color)
    page.get_by_role("button", name="Create").click()
    chip = page.locator(".label-rows .label-chip", has_text=name)
    expect(chip).to_have_count(1)
    return chip.get_attribute("data-label-id")


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_labelling_two_conversations_at_once_reaches_a_colleague_live(inbox_server, new_tab, width, height):
    size = "desktop" if width > 700 else "phone"
    tag = secrets.token_hex(2)
    first, second, other = new_contact(), new_contact(), new_contact()
    for contact in (first, second, other):
        inbox_server.post_inbound(from_=contact, body=f"Hello about my order {tag}")
    alice_tab, carol_tab = new_tab(width=width, height=height), new_tab(width=width, height=height)
    alice, carol = alice_tab.page, carol_tab.page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    name = f"VIP {tag}"
    label_id = create_label(alice, inbox_server, name)
    shot(alice, f"{size}-manage")
    assert axe_violations(alice) == []
    assert horizontal_overflow(alice) == 0

    # Alice ticks two rows and labels them at once.
    alice.goto(f"{inbox_server.url}/")
    wait_live(alice)
    for contact in (first, second):
        conversation_row(alice, contact).locator(".row-select").check()
    expect(alice.locator("#bulk-count")).to_have_text("2 selected")
    alice.locator("#bulk-label").select_option(label=name)
    shot(alice, f"{size}-selected")
    alice.get_by_role("button", name="Label", exact=True).click()
    expect(alice.locator("#bulk-count")).to_have_text("Labelled 2 conversations.")
    for contact in (first, second):
        expect(conversation_row(alice, contact).locator(".label-chip")).to_have_text([name])
    expect(conversation_row(alice, other).locator(".label-chip")).to_have_count(0)

    # Carol's list shows them live, in the label's colour; a rename re-renders them live too.
    for contact in (first, second):
        chip = conversation_row(carol, contact).locator(".label-chip")
        expect(chip).to_have_text([name])
        expect(chip).to_have_attribute("data-color", "purple")
    expect(conversation_row(carol, other).locator(".label-chip")).to_have_count(0)
    shot(carol, f"{size}-live-labels")
    assert axe_violations(carol) == []
    assert horizontal_overflow(carol) == 0
    renamed = f"Gold {tag}"
    alice.goto(f"{inbox_server.url}/labels/")
    alice.locator(f"#label-{label_id}-name").fill(renamed)
    alice.locator(f"#label-{label_id}-color").select_option(label="Yellow")
    alice.locator(f"#label-{label_id}-name").press("Enter")
    for contact in (first, second):
        chip = conversation_row(carol, contact).locator(".label-chip")
        expect(chip).to_have_text([renamed])
        expect(chip).to_have_attribute("data-color", "yellow")

    # The list filtered by the label shows those two only.
    carol.locator("#label-filter").select_option(label=renamed)
    carol.wait_for_url(re.compile(rf"label={label_id}"))
    wait_live(carol)
    expect(carol.locator("#conversation-list li.conversation")).to_have_count(2)
    shot(carol, f"{size}-filtered")

    # A saved view (the label, unread only) counts live: reading one thread lowers it, a new text raises it.
    carol.locator('nav.filters a[href*="filter=unread"]').click()
    carol.wait_for_url(re.compile(rf"filter=unread&label={label_id}"))
    carol.locator(".save-view summary").click()
    carol.locator("#view-name").fill(f"Unread {tag}")
    carol.get_by_role("button", name="Save", exact=True).click()
    carol.wait_for_url(re.compile(r"\?view=\d+"))
    view_id = re.search(r"view=(\d+)", carol.url).group(1)
    count = carol.locator(f'[data-view-count="{view_id}"]')
    expect(count).to_have_text("2")
    conversation_row(carol, first).locator("a").click()
    carol.wait_for_url(re.compile(r"/c/\d+/"))
    wait_live(carol)
    count = carol.locator(f'[data-view-count="{view_id}"]')
    expect(count).to_have_text("1")
    expect(carol.locator("#thread-labels .label-chip")).to_have_text([renamed])
    carol.goto(f"{inbox_server.url}/?view={view_id}")  # the thread is read; the view lists the other one
    wait_live(carol)
    count = carol.locator(f'[data-view-count="{view_id}"]')
    expect(count).to_have_text("1")
    expect(carol.locator("#conversation-list li.conversation")).to_have_count(1)
    inbox_server.post_inbound(from_=first, body=f"One more thing {tag}")
    expect(count).to_have_text("2")  # refreshed after the conversation.updated it heard
    expect(carol.locator("#conversation-list li.conversation")).to_have_count(2)  # the row matches the view live
    shot(carol, f"{size}-saved-view")
    assert axe_violations(carol) == []
    assert horizontal_overflow(carol) == 0
    for tab in (alice_tab, carol_tab):
        assert tab.problems() == []


def test_bulk_labelling_and_thread_labels_from_the_keyboard_alone(inbox_server, new_tab):
    tag = secrets.token_hex(2)
    first, second = new_contact(), new_contact()
    for contact in (first, second):
        inbox_server.post_inbound(from_=contact, body=f"Keyboard {tag}")
    tab = new_tab(width=1366, height=800)
    page = tab.page
    login(page, inbox_server, ALICE)
    name = f"Keys {tag}"
    create_label(page, inbox_server, name, color="Teal")
    page.goto(f"{inbox_server.url}/")
    wait_live(page)
    # Space ticks a row's box; Tab walks from a row's box to its link and on to the next row's box.
    page.locator("#conversation-list .row-select").first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('row-select')")
    page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    ticked = page.locator("#conversation-list li.conversation:has(.row-select:checked)")
    ids = [ticked.nth(i).get_attribute("data-id") for i in range(2)]
    # Shift+Tab back to the bar: the label's select, then Tab to "Label" and Enter.
    select = page.locator("#bulk-label")
    for _ in range(12):
        if page.evaluate("document.activeElement.id") == "bulk-label":
            break
        page.keyboard.press("Shift+Tab")
    expect(select).to_be_focused()
    select.select_option(label=name)  # a select's option is chosen with the arrow keys; this sets the same value
    page.keyboard.press("Tab")
    expect(page.locator("#bulk-add")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#bulk-count")).to_have_text("Labelled 2 conversations.")
    for conversation_id in ids:
        chip = page.locator(f'#conversation-list li.conversation[data-id="{conversation_id}"] .label-chip')
        expect(chip).to_have_text([name])
    # In the thread, the Labels picker opens, unticks and applies from the keyboard.
    page.goto(f"{inbox_server.url}/c/{ids[0]}/")
    wait_live(page)
    summary = page.locator("#thread-label-picker summary")
    summary.focus()
    page.keyboard.press("Enter")
    box = page.locator("#thread-labels-form label.check", has_text=name).locator("input")
    box.focus()
    page.keyboard.press("Space")
    expect(box).not_to_be_checked()
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.textContent.trim()") != "Apply":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#thread-labels .label-chip")).to_have_count(0)
    expect(page.locator(f'#conversation-list li.conversation[data-id="{ids[0]}"] .label-chip')).to_have_count(0)
    shot(page, "desktop-keyboard")
    assert tab.problems() == []
