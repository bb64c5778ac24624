"""Snooze in the browser (issue 16): alice snoozes a thread from the header's menu, from the keyboard; it leaves
"Open", shows "Snoozed until …" and a marker in its row, and is listed under "Snoozed". The clock is the test's:
the sweep runs with a moment three hours on (``manage.py wake_snoozed --now``), and the thread is back in "Open".
Snoozed until the customer replies, a text through the webhook wakes it live in the open thread. (A past custom
time, a clear 400, is tested in tests/web/pages/test_snooze.py.) Screenshots at desktop and phone widths
(``/tmp/shots/snooze/``), no serious or critical axe violation, no horizontal scroll.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser import ALICE, conversation_row, expect, login, manage, new_contact, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SNOOZE_SHOTS", "/tmp/shots/snooze"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def open_menu_by_keyboard(page) -> None:
    summary = page.locator("#snooze-menu > summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#snooze-form")).to_be_visible()


def in_list(page, server, contact: str, filter_: str):
    page.goto(f"{server.url}/?filter={filter_}")
    return conversation_row(page, contact)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_snooze_until_a_time_leaves_open_and_comes_back_when_the_sweep_reaches_it(
    inbox_server, server_env, new_tab, width, height
):
    from django.utils import timezone

    label = "desktop" if width > 700 else "phone"
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Call me next week {secrets.token_hex(3)}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    conversation_id = open_thread(page, inbox_server, contact)

    open_menu_by_keyboard(page)
    later = page.get_by_role("button", name=re.compile("^Later today"))
    expect(later).to_be_visible()
    shot(page, f"{label}-menu")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.keyboard.press("Tab")  # the first preset: "Later today"
    expect(later).to_be_focused()
    page.keyboard.press("Enter")

    line = page.locator("#thread-snoozed")
    expect(line).to_be_visible()
    expect(line).to_contain_text(
        re.compile(r"Snoozed until [A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}\s?[AP]M")
    )
    expect(page.locator("#snooze-form")).to_be_hidden()  # the menu closed, focus back on its button
    expect(page.locator("#snooze-menu > summary")).to_be_focused()
    expect(page.locator("#unsnooze-form button")).to_be_visible()
    if width > 700:  # the list beside the thread marks the row at once
        expect(conversation_row(page, contact).locator(".tag.snoozed")).to_be_visible()
    shot(page, f"{label}-snoozed-thread")
    assert axe_violations(page) == []

    expect(in_list(page, inbox_server, contact, "open")).to_have_count(0)
    row = in_list(page, inbox_server, contact, "snoozed")
    expect(row).to_have_count(1)
    expect(row.locator(".tag.snoozed")).to_have_text("Snoozed")
    shot(page, f"{label}-snoozed-filter")

    # The test's clock: two hours on, nothing is due; three hours and a minute on, it comes back.
    soon = timezone.now() + timedelta(hours=2)
    assert manage(server_env, "wake_snoozed", "--now", soon.isoformat()).strip() == "woke 0"
    expect(in_list(page, inbox_server, contact, "snoozed")).to_have_count(1)
    due = timezone.now() + timedelta(hours=3, minutes=1)
    manage(server_env, "wake_snoozed", "--now", due.isoformat())
    expect(in_list(page, inbox_server, contact, "snoozed")).to_have_count(0)
    back = in_list(page, inbox_server, contact, "open")
    expect(back).to_have_count(1)
    expect(back.locator(".tag.snoozed")).to_have_count(0)
    page.goto(f"{inbox_server.url}/c/{conversation_id}/")
    expect(page.locator("#thread-snoozed")).to_be_hidden()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_snooze_until_reply_is_woken_live_by_the_customers_text(inbox_server, new_tab, width, height):
    label = "desktop" if width > 700 else "phone"
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"I'll check and text you {secrets.token_hex(3)}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)

    open_menu_by_keyboard(page)
    page.get_by_role("button", name="Until they reply").click()
    expect(page.locator("#thread-snoozed")).to_have_text("Snoozed until they reply")
    shot(page, f"{label}-until-reply")
    assert axe_violations(page) == []

    inbox_server.post_inbound(from_=contact, body="Found it, Friday works")
    expect(page.locator("#thread-snoozed")).to_be_hidden()  # heard live: conversation.updated
    expect(page.locator("#unsnooze-form")).to_be_hidden()
    expect(page.locator("#status-form button[value=closed]")).to_be_visible()
    expect(in_list(page, inbox_server, contact, "open")).to_have_count(1)
    expect(in_list(page, inbox_server, contact, "snoozed")).to_have_count(0)
