"""Scheduled messages in the browser (issue 17): alice writes a text and picks "Send later" → a custom date and
time from the keyboard; the bubble appears at once as "Scheduled for …" with Edit and Cancel. She edits it, schedules
a second one with a preset and cancels it. The clock is the test's: ``manage.py send_scheduled --now`` (three days
on) hands the edited one to the send pipeline (the server's own worker sends it); it reaches the emulator and
the bubble flips to sent live. Screenshots at desktop and phone widths (``/tmp/shots-schedule/``), no serious or
critical axe violation, no horizontal scroll.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browser import ALICE, expect, login, manage, new_contact, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SCHEDULE_SHOTS", "/tmp/shots-schedule"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def bubble(page, text: str):
    return page.locator("#messages li.message.out").filter(has_text=text)


def open_send_later_by_keyboard(page) -> None:
    summary = page.locator("#send-later > summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#send-later-at")).to_be_visible()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_send_later_edit_cancel_and_let_one_go(inbox_server, server_env, emulator, new_tab, width, height):
    from django.utils import timezone

    label = "desktop" if width > 700 else "phone"
    token = secrets.token_hex(3)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Can you remind me on Friday? {token}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)

    # A custom time, two days on at 10:00 in the viewer's zone, all from the keyboard.
    page.locator("#body").fill(f"Reminder: Friday at 10 {token}")
    open_send_later_by_keyboard(page)
    shot(page, f"{label}-menu")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    when = date.today() + timedelta(days=2)
    page.locator("#send-later-at").fill(f"{when.isoformat()}T10:00")
    page.locator("#send-later-custom").focus()
    page.keyboard.press("Enter")
    first = bubble(page, f"Reminder: Friday at 10 {token}")
    expect(first.locator(".status")).to_have_text("Scheduled")
    expect(first.locator(".scheduled-for")).to_contain_text(
        re.compile(r"for [A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, 10:00")
    )
    expect(first.locator("[data-schedule-edit]")).to_be_visible()
    expect(page.locator("#body")).to_have_value("")
    shot(page, f"{label}-scheduled")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    # Edit the text.
    first.locator("[data-schedule-edit]").click()
    editor = first.locator(".schedule-edit")
    expect(editor.get_by_label("Message")).to_be_focused()
    editor.get_by_label("Message").fill(f"Reminder: Friday at 10:30 {token}")
    shot(page, f"{label}-editing")
    assert axe_violations(page) == []
    editor.get_by_role("button", name="Save").click()
    edited = bubble(page, f"Reminder: Friday at 10:30 {token}")
    expect(edited.locator(".status")).to_have_text("Scheduled")
    expect(edited.locator(".schedule-edit")).to_have_count(0)

    # A second one, by a preset, canceled.
    page.locator("#body").fill(f"Cancel me {token}")
    open_send_later_by_keyboard(page)
    page.get_by_role("button", name=re.compile("^Tomorrow 9:00")).click()
    second = bubble(page, f"Cancel me {token}")
    expect(second.locator(".status")).to_have_text("Scheduled")
    second.locator("[data-schedule-cancel]").click()
    expect(second.locator(".status")).to_have_text("Canceled")
    expect(second.locator("[data-schedule-cancel]")).to_have_count(0)
    shot(page, f"{label}-canceled")

    # The test's clock: three days on, the edited one is due; the server's worker sends it.
    due = timezone.now() + timedelta(days=3)
    # Other tests' scheduled messages share the server's database: at least this one is handed over, and the
    # emulator below shows it was this test's edited text, once.
    handed = manage(server_env, "send_scheduled", "--now", due.isoformat()).strip()
    assert handed.startswith("handed over ")
    assert int(handed.rsplit(" ", 1)[1]) >= 1
    expect(edited.locator(".status")).to_have_text(re.compile("Sent|Delivered"), timeout=20_000)
    expect(edited.locator(".scheduled-for")).to_have_count(0)
    sent = [m for m in emulator.messages(direction="outbound-api") if token in m["body"]]
    assert [m["body"] for m in sent] == [f"Reminder: Friday at 10:30 {token}"]
    expect(second.locator(".status")).to_have_text("Canceled")
    shot(page, f"{label}-sent")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
