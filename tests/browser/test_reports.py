"""The reports page in a real browser: texts arrive, an admin opens Reports from the navigation, reads the
figures, opens a chart's data table from the keyboard, and the CSV link names the period. Screenshots at
1366x800 and 375x812 (the charts scale down to a phone's width); axe finds
nothing serious."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, expect, login, new_contact
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "reports"


def test_the_reports_page_reads_charts_and_tables_on_desktop_and_phone(inbox_server, new_tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    # The server is shared with the other browser tests: the figure is read before and after three texts.
    page.goto(f"{inbox_server.url}/reports/")
    inbound = page.locator(".figure").filter(has_text="Inbound")
    before = int(inbound.locator(".figure-value").inner_text().replace(",", ""))
    for _ in range(3):
        inbox_server.post_inbound(from_=new_contact(), body=f"Report me {secrets.token_hex(3)}")
    page.goto(f"{inbox_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{inbox_server.url}/reports/")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(inbound.locator(".figure-value")).to_have_text(f"{before + 3:,}")
    expect(page.get_by_role("img", name="Messages per day")).to_be_visible()
    expect(page.locator('svg[role="img"]')).to_have_count(4)
    csv = page.get_by_role("link", name="Download CSV of messages per day")
    expect(csv).to_have_attribute("href", re.compile(r"^/reports/volume\.csv\?from=\d{4}-\d\d-\d\d&to="))

    summary = page.locator("details.chart-data summary").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.chart-data").first.locator("table")).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "reports-1366.png"), full_page=True)

    page.get_by_label("Period", exact=True).select_option("7d")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".period-note")).to_contain_text("compared with the 7 days before")
    toggle = page.get_by_label("Count response times in business hours only")
    toggle.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".hours-note")).to_contain_text("Counted in business hours only")
    expect(page.get_by_label("Count response times in business hours only")).to_be_checked()
    expect(page.get_by_role("heading", name="Per label")).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "reports-business-hours-1366.png"), full_page=True)

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{inbox_server.url}/reports/")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0  # the charts scale down to the width
    page.screenshot(path=str(SHOTS / "reports-375.png"), full_page=True)
