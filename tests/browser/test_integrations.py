"""The Integrations page in a real browser, against a real server with its task worker: an admin adds an endpoint
(a local receiver), reads its signing secret, sends a test event and sees it delivered in the log; a customer's
text reaches the receiver signed; a key is created, shown once, and works on the API; revoked, it is refused.
Screenshots at 1366x800 and 375x812 (no horizontal scroll); axe finds nothing serious or critical."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.browser import ALICE, ARTIFACTS, NUMBER_A, LiveServer, expect, login, stop_and_check
from tests.browser.test_accessibility import axe_violations, horizontal_overflow
from tests.pipeline import wait_for
from tests.smsinbox.integrations.receiver import Receiver

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else ARTIFACTS / "integrations"


@pytest.fixture(scope="module")
def server(server_env, emulator) -> Iterator[LiveServer]:
    """The inbox with its in-process task worker; private addresses allowed (the receiver is on 127.0.0.1)."""
    env = {**server_env, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1", "WEBHOOK_RETRY_BASE_SECONDS": "0.2"}
    running = LiveServer("integrations", env).start()
    emulator.add_number(NUMBER_A, sms_url=f"{running.url}/api/twilio/sms-incoming")
    yield running
    stop_and_check(running)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_an_admin_connects_an_endpoint_and_a_key(server, new_tab, receiver):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_tab(width=1366, height=800).page
    login(page, server, ALICE)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    page.wait_for_url(f"{server.url}/integrations/")
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Practice system")
    page.get_by_role("checkbox", name="message.received").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".flash")).to_contain_text("Endpoint added")
    endpoint = page.locator(".endpoint").filter(has_text=receiver.url)
    endpoint.get_by_text("Signing secret").click()
    receiver.secret = endpoint.locator("code.secret").inner_text().strip()
    assert receiver.secret.startswith("whsec_")

    test_button = endpoint.get_by_role("button", name="Send test event")
    test_button.focus()
    page.keyboard.press("Enter")  # from the keyboard
    expect(page.locator(".flash")).to_contain_text("Test event queued")
    wait_for(lambda: len(receiver.heard) == 1, timeout=15)
    assert receiver.heard[0].type == "webhook.test"
    assert receiver.heard[0].verified

    text = f"Can I move my appointment? {secrets.token_hex(3)}"
    server.post_inbound(from_="+14155550142", body=text)
    wait_for(lambda: any(h.type == "message.received" for h in receiver.heard), timeout=15)
    received = next(h for h in receiver.heard if h.type == "message.received")
    assert received.verified
    assert received.body["data"]["body"] == text
    page.reload()
    log = page.locator("table.deliveries")
    expect(log).to_contain_text("message.received")
    expect(log.locator(".tag.delivered")).to_have_count(2)

    page.get_by_role("textbox", name="Name").fill("Practice system sync")
    page.get_by_role("checkbox", name="contacts:read").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_contain_text("shown only once")
    key = page.locator("#new-key code.secret").inner_text().strip()
    assert key.startswith("smsk_")
    # Searched: the first page of all contacts fills up with the rest of the suite's and may not hold it.
    answer = requests.get(f"{server.url}/api/contacts/", params={"q": "+14155550142"},
                          headers={"Authorization": f"Bearer {key}"}, timeout=10)  # fmt: skip
    assert answer.status_code == 200
    assert [c["phone"] for c in answer.json()["results"]] == ["+14155550142"]
    refused = requests.post(f"{server.url}/api/contacts/", json={"phone": "+14155550143"},
                            headers={"Authorization": f"Bearer {key}"}, timeout=10)  # fmt: skip
    assert refused.status_code == 403
    assert "contacts:write" in refused.json()["error"]

    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)  # shown once
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "integrations-1366.png"), full_page=True)

    phone = new_tab(width=375, height=812).page
    login(phone, server, ALICE)
    phone.goto(f"{server.url}/integrations/")
    phone.screenshot(path=str(SHOTS / "integrations-375.png"), full_page=True)
    assert horizontal_overflow(phone) == 0
    assert axe_violations(phone) == []
    phone.locator(".endpoint").filter(has_text=receiver.url).get_by_role("link", name="Edit").click()
    expect(phone.get_by_role("heading", name="Edit endpoint")).to_be_visible()
    phone.get_by_role("checkbox", name="note.created").check()
    phone.screenshot(path=str(SHOTS / "integrations-edit-375.png"), full_page=True)
    assert horizontal_overflow(phone) == 0
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Save endpoint").click()
    expect(phone.locator(".flash")).to_contain_text("Saved")
    expect(phone.locator(".endpoint").filter(has_text=receiver.url)).to_contain_text("note.created")

    row = page.locator("table.keys tr").filter(has_text="Practice system sync")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash")).to_contain_text("Revoked")
    answer = requests.get(f"{server.url}/api/contacts/", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 401
