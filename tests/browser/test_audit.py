"""The audit log in a real browser: the admin's own sign-in is there; filtering by what (keyboard only) and the CSV
export. Screenshots at 1366x800 and 375x812 (SHOTS_DIR, default test-artifacts/audit/), no horizontal scroll, axe
finds nothing serious or critical."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, expect, login
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "audit"


def test_an_admin_reads_filters_and_exports_the_audit_log(inbox_server, new_tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = new_tab(width=1366, height=800).page
    login(admin, inbox_server, ALICE)
    admin.goto(f"{inbox_server.url}/team/")
    admin.get_by_role("link", name="Audit log").click()
    admin.wait_for_url(f"{inbox_server.url}/audit/")
    expect(admin.get_by_role("heading", name="Audit log")).to_be_visible()
    first = admin.locator("table.audit-entries tbody tr").first
    expect(first).to_contain_text("Signed in")  # this very sign-in, newest first
    expect(first).to_contain_text("alice")
    expect(first.locator("td[data-label=From]")).to_contain_text("127.0.0.1")

    # Filter from the keyboard: What → "Signed in", then the Filter button.
    admin.get_by_label("What").focus()
    admin.get_by_label("What").select_option(label="Signed in")
    admin.get_by_role("button", name="Filter").focus()  # (a date input takes three Tabs in Chromium)
    admin.keyboard.press("Enter")
    admin.wait_for_url("**/audit/?*action=auth.sign_in*")
    actions = admin.locator("table.audit-entries td[data-label=What]").all_inner_texts()
    assert actions
    assert set(actions) == {"Signed in"}
    assert axe_violations(admin) == [], "the audit log"
    assert horizontal_overflow(admin) == 0
    admin.screenshot(path=str(SHOTS / "audit-1366.png"), full_page=True)

    with admin.expect_download() as download:
        admin.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("time,actor,action,action_code")
    assert "auth.sign_in" in text

    phone = new_tab(width=375, height=812).page
    login(phone, inbox_server, ALICE)
    phone.goto(f"{inbox_server.url}/audit/")
    expect(phone.locator("table.audit-entries tbody tr").first).to_be_visible()
    assert axe_violations(phone) == [], "the audit log on a phone"
    assert horizontal_overflow(phone) == 0
    phone.screenshot(path=str(SHOTS / "audit-375.png"), full_page=False)
