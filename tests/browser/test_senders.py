"""Senders and quiet hours in the browser (issue 17): organization A gets a second number; the thread header says
which number the conversation texts from, the composer's "From" (a native select, keyboard operable) sends from
the second number, the text reaches the emulator from it and the header follows. Then the admin sets quiet hours
on their page, reached from Business hours. Screenshots at desktop and phone widths (``/tmp/shots-senders/``), no
serious or critical axe violation, no horizontal scroll.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from tests.browser import (
    ALICE,
    CAROL,
    LIVE_BUDGET_MS,
    NUMBER_A,
    SECOND,
    expect,
    login,
    new_contact,
    open_thread,
)  # fmt: skip
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SENDERS_SHOTS", "/tmp/shots-senders"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]
def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_choose_the_sending_number_and_set_quiet_hours(
    inbox_server, server_env, emulator, new_tab, second_number, width, height
):
    label = "desktop" if width > 700 else "phone"
    token = secrets.token_hex(3)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hello {token}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    carol = new_tab(width=width, height=height).page  # a colleague with the same thread open
    login(carol, inbox_server, CAROL)
    open_thread(carol, inbox_server, contact)

    expect(page.locator("#thread-from-number")).to_contain_text(NUMBER_A)
    chooser = page.get_by_label("From")
    expect(chooser).to_be_visible()
    chooser.focus()
    page.keyboard.press("ArrowDown" if NUMBER_A < SECOND else "ArrowUp")  # a native select, from the keyboard
    expect(chooser.locator("option:checked")).to_contain_text(SECOND)
    page.locator("#body").fill(f"From the second line {token}")
    page.locator("#body").press("Control+Enter")
    bubble = page.locator("#messages li.message.out").filter(has_text=f"From the second line {token}")
    expect(bubble).to_be_visible()
    expect(page.locator("#thread-from-number")).to_contain_text(SECOND)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = [m for m in emulator.messages(direction="outbound-api") if token in m["body"]]
        if sent:
            break
        time.sleep(0.1)
    assert [(m["from"], m["to"]) for m in sent] == [(SECOND, contact)]
    # Carol sees the switch live: a row of the thread says who moved it where, her header and "From" follow.
    moved = carol.locator("#messages li.activity").filter(has_text="switched this conversation to")
    expect(moved).to_contain_text(f"{ALICE.username} switched this conversation to {SECOND} (Second line)",
                                  timeout=LIVE_BUDGET_MS)  # fmt: skip
    expect(carol.locator("#thread-from-number")).to_contain_text(SECOND)
    expect(carol.get_by_label("From").locator("option:checked")).to_contain_text(SECOND)
    shot(carol, f"{label}-from-colleague")
    assert axe_violations(carol) == []
    shot(page, f"{label}-from")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    page.reload()  # the server's page says the same: the conversation now texts from the second number
    expect(page.locator("#thread-from-number")).to_contain_text(SECOND)
    expect(page.get_by_label("From").locator("option:checked")).to_contain_text(SECOND)

    # Quiet hours, from the Business hours page.
    page.goto(f"{inbox_server.url}/settings/hours/")
    page.locator("#quiet-hours-link").click()
    page.wait_for_url(f"{inbox_server.url}/settings/hours/quiet/")
    switch = page.get_by_label("Hold outreach outside the contact's local hours")
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    page.get_by_label("Send from").fill("09:00")
    page.get_by_label("Send until").fill("20:00")
    page.get_by_role("button", name="Save quiet hours").click()
    expect(page.get_by_text("Quiet hours saved.")).to_be_visible()
    expect(page.get_by_label("Send from")).to_have_value("09:00")
    shot(page, f"{label}-quiet-hours")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
