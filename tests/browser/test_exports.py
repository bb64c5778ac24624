"""The CSV downloads in a real browser: the contacts page's "Export CSV" and the thread header's
"Export transcript" download from the keyboard, at desktop and phone widths, with no serious axe violation."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import pytest

from tests.browser import ALICE, login, new_contact, open_thread
from tests.browser.test_accessibility import WIDTHS, axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/contactsio")  # noqa: S108 -- where the team looks at helpers' screenshots


def _download_by_keyboard(page, link) -> list[list[str]]:
    link.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_contacts_and_transcript_download_from_the_keyboard(inbox_server, new_tab, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    contact = new_contact()
    body = f"Export me {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=contact, body=body)
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)

    page.goto(f"{inbox_server.url}/contacts/")
    link = page.get_by_role("link", name="Export CSV")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / f"contacts-{width}.png"))
    rows = _download_by_keyboard(page, link)
    assert rows[0][0] == "phone_e164"
    assert any(row[0] == "'" + contact for row in rows[1:])

    page.goto(f"{inbox_server.url}/")
    open_thread(page, inbox_server, contact)
    link = page.get_by_role("link", name="Export transcript (CSV)")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(SHOTS / f"thread-{width}.png"))
    rows = _download_by_keyboard(page, link)
    assert rows[0][0] == "time"
    assert [row[6] for row in rows[1:]] == [body]
