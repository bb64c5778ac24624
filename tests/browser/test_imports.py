"""Importing contacts in a real browser, from the keyboard: upload a CSV, map its columns (the preview says
what each row will do), start it, and watch the progress page reach "Done" by itself (the server's own worker
runs the import, its numbers checked with the emulator's Twilio Lookup; the page polls its status).
Screenshots at 1366x800 and 375x812 (in SHOTS_DIR, default test-artifacts/imports); axe finds nothing serious or
critical."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import ALICE, ARTIFACTS, expect, login, new_contact
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ["SHOTS_DIR"]) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "imports"


def _check(page, name: str) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)])
def test_upload_map_and_watch_an_import_finish(inbox_server, new_tab, tmp_path, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    first, second = new_contact(), new_contact()
    path = tmp_path / "clinic-patients.csv"
    path.write_text(
        f"Mobile;Given name;Surname;Comment\n{first};Ann;Lee;Prefers mornings\n{second};Bo;Chan;\nnot a number;X;Y;\n",
        encoding="utf-8-sig",
    )
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    page.goto(f"{inbox_server.url}/contacts/")
    page.get_by_role("link", name="Import CSV").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import contacts")
    page.get_by_label("CSV file").set_input_files(str(path))
    _check(page, f"import-upload-{width}")
    page.get_by_role("button", name="Upload and map columns").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Import clinic-patients.csv")
    expect(page.get_by_label("Phone number (required)")).to_have_value("0")  # guessed from "Mobile"
    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(3)
    expect(preview.nth(2)).to_contain_text("Error")
    # Map the names and notes from the keyboard (the names are not ones the importer guesses).
    page.get_by_label("First name").select_option(label="Given name")
    page.get_by_label("Last name").select_option(label="Surname")
    page.get_by_label("Notes").select_option(label="Comment")
    page.get_by_role("button", name="Update preview").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Notes")).to_have_value("3")
    lookup = page.get_by_label("Check numbers with Twilio Lookup")
    expect(lookup).not_to_be_checked()  # opt-in: a paid request per number
    lookup.focus()
    page.keyboard.press("Space")
    expect(lookup).to_be_checked()
    _check(page, f"import-map-{width}")
    page.get_by_role("button", name="Import 3 rows").focus()
    page.keyboard.press("Enter")

    status = page.get_by_role("status")
    expect(status).to_contain_text("Done", timeout=20_000)  # the page's poll saw the worker finish
    expect(status).to_contain_text("3 of 3 rows")
    expect(page.locator(".import-counts")).to_contain_text("New contacts2")
    expect(page.locator(".import-counts")).to_contain_text("Errors1")
    expect(page.locator(".import-counts")).to_contain_text("Landlines (Twilio Lookup)0")  # the emulator: mobiles
    expect(page.get_by_role("link", name="Download the skipped and refused rows (CSV)")).to_be_visible()
    _check(page, f"import-done-{width}")
    page.goto(f"{inbox_server.url}/contacts/?q={first[2:]}")
    expect(page.locator("table.contacts")).to_contain_text("Ann Lee")
