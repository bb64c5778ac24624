"""Notifications in a real browser: the settings page (saved, accessible, at desktop and phone widths), the
permission button, a desktop notification for an inbound text in an unassigned conversation and none for another
organization's, the favicon badge, one notification for two tabs of one user, and the service worker showing a
pushed notification when no inbox is open.

The browser's Notification API is the outside world: an init script records every ``new Notification(…)`` (and
then makes the real one) so the test can read what was shown; Chromium's permission comes from the context.
"""

from __future__ import annotations

import base64
import json
import secrets
import tempfile
from pathlib import Path

import pytest

from tests.browser import ALICE, BOB, NUMBER_B, display_number, expect, login, new_contact, wait_live
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(tempfile.gettempdir()) / "shots" / "notify"  # looked at by people, not checked

RECORD_NOTIFICATIONS = """
window.__shown = [];
if ("Notification" in window) {
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options = {}) {
      window.__shown.push({ title, body: options.body, tag: options.tag });
      super(title, options);
    }
  }
  Object.defineProperty(window, "Notification", { value: Recorded, configurable: true, writable: true });
}
"""


def notifying_tab(new_tab, server, *, grant=True, width=1280, height=800):
    tab = new_tab(width=width, height=height)
    context = tab.page.context
    if grant:
        context.grant_permissions(["notifications"], origin=server.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    return tab


def shown(page) -> list[dict]:
    return page.evaluate("() => window.__shown")


def wait_decided(page, tag_prefix="message-") -> str:
    page.wait_for_function(
        "(prefix) => (document.getElementById('inbox').dataset.notifyDecided || '').startsWith(prefix)", arg=tag_prefix
    )
    return page.evaluate("() => document.getElementById('inbox').dataset.notifyDecided")


@pytest.mark.parametrize(
    ("width", "height"), [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]
)
def test_the_settings_page_saves_from_the_keyboard_and_has_no_serious_accessibility_violation(
    inbox_server, new_tab, width, height
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{inbox_server.url}/settings/")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.screenshot(path=f"{SHOTS}/settings-{width}x{height}.png", full_page=True)

    page.get_by_label("Play a sound").focus()
    page.keyboard.press("Space")
    page.get_by_label("Time zone").fill("Europe/Atlantis")
    page.keyboard.press("Enter")
    expect(page.locator(".field-error")).to_contain_text("not a known time zone")
    assert axe_violations(page) == [], "with the error shown"
    page.screenshot(path=f"{SHOTS}/settings-error-{width}x{height}.png", full_page=True)

    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_label("Time zone").press("Enter")
    expect(page.locator("#settings-saved")).to_have_text("Settings saved.")
    expect(page.get_by_label("Play a sound")).to_be_checked()
    page.get_by_label("Play a sound").uncheck()  # back as it was, for the other tests
    page.get_by_label("Time zone").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#settings-saved")).to_be_visible()


def test_permission_is_asked_only_from_the_button(inbox_server, new_tab):
    tab = notifying_tab(new_tab, inbox_server, grant=False)
    page = tab.page
    login(page, inbox_server, ALICE)
    assert page.evaluate("() => Notification.permission") == "default"  # the inbox asked nothing on load
    page.goto(f"{inbox_server.url}/settings/")
    button = page.get_by_role("button", name="Allow desktop notifications")
    expect(button).to_be_visible()
    assert page.evaluate("() => Notification.permission") == "default"
    page.context.grant_permissions(["notifications"], origin=inbox_server.url)  # the person says yes
    button.click()
    expect(page.locator("#permission-state")).to_have_text("Desktop notifications are allowed in this browser.")
    expect(button).to_be_hidden()


def test_an_unassigned_inbound_text_notifies_and_another_organizations_does_not(inbox_server, new_tab):
    page = notifying_tab(new_tab, inbox_server).page
    login(page, inbox_server, ALICE)
    assert page.evaluate("() => Notification.permission") == "granted"

    contact = new_contact()
    text = f"Can I come at 3? {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=contact, body=text)
    page.wait_for_function("() => window.__shown.length === 1")
    [notification] = shown(page)
    assert notification["title"] == display_number(contact)
    assert notification["body"] == text
    assert notification["tag"].startswith("message-")

    other = f"Bravo only {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=new_contact(), body=other, to=NUMBER_B)  # bob's organization
    later = f"And a second one {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=contact, body=later)  # after it: when this one is shown, the other was not
    page.wait_for_function("() => window.__shown.length >= 2")
    assert [n["body"] for n in shown(page)] == [text, later]


def test_bob_is_not_notified_of_alices_organization(inbox_server, new_tab):
    page = notifying_tab(new_tab, inbox_server).page
    login(page, inbox_server, BOB)
    inbox_server.post_inbound(from_=new_contact(), body=f"For Acme {secrets.token_hex(3)}")
    mine = f"For Bravo {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=new_contact(), body=mine, to=NUMBER_B)
    page.wait_for_function("() => window.__shown.length >= 1")
    assert [n["body"] for n in shown(page)] == [mine]


def test_the_favicon_counts_notifications_while_the_tab_is_in_the_background(inbox_server, new_tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = notifying_tab(new_tab, inbox_server).page
    login(page, inbox_server, ALICE)
    icon = page.locator('link[rel="icon"]')
    plain = icon.get_attribute("href")
    page.evaluate("() => window.dispatchEvent(new Event('blur'))")  # the person switched to another window
    inbox_server.post_inbound(from_=new_contact(), body=f"Badge me {secrets.token_hex(3)}")
    expect(icon).to_have_attribute("data-badge", "1")
    page.wait_for_function("() => document.querySelector('link[rel=icon]').href.startsWith('data:image/png')")
    inbox_server.post_inbound(from_=new_contact(), body=f"Badge me again {secrets.token_hex(3)}")
    expect(icon).to_have_attribute("data-badge", "2")
    page.screenshot(path=f"{SHOTS}/inbox-with-badge.png")
    badge_png = icon.get_attribute("href")
    (SHOTS / "favicon-badge.png").write_bytes(base64.b64decode(badge_png.split(",", 1)[1]))  # to look at
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")  # back to the tab
    expect(icon).to_have_attribute("data-badge", "0")
    assert icon.get_attribute("href") == plain != badge_png


def test_of_two_tabs_of_one_user_one_shows_the_notification(inbox_server, new_tab):
    first = notifying_tab(new_tab, inbox_server).page
    login(first, inbox_server, ALICE)
    second = first.context.new_page()  # the same browser: its cookies, its BroadcastChannel
    second.goto(f"{inbox_server.url}/")
    wait_live(second)

    inbox_server.post_inbound(from_=new_contact(), body=f"Two tabs {secrets.token_hex(3)}")
    decisions = sorted(wait_decided(page).split(" ")[1] for page in (first, second))
    assert decisions == ["left", "shown"]
    assert len(shown(first)) + len(shown(second)) == 1
    second.close()


def test_the_claim_rule_picks_the_earliest_claim_and_ties_go_to_the_lowest_tab(inbox_server, new_tab):
    page = new_tab().page
    login(page, inbox_server, ALICE)
    result = page.evaluate(
        """async () => {
          const entry = document.querySelector('script[type=module][src*="/js/inbox.js"]').src;
          const { claimWinner, badgeLabel } = await import(new URL("notify.js", entry));
          return {
            earliest: claimWinner([{ tab: "b", at: 5 }, { tab: "a", at: 9 }, { tab: "c", at: 7 }]),
            tie: claimWinner([{ tab: "d", at: 5 }, { tab: "b", at: 5 }]),
            looking: claimWinner([{ tab: "z", at: 0 }, { tab: "a", at: 1 }]),
            none: claimWinner([]),
            labels: [1, 9, 10, 250].map(badgeLabel),
          };
        }"""
    )
    assert result == {"earliest": "b", "tie": "b", "looking": "z", "none": None, "labels": ["1", "9", "9+", "9+"]}


def test_the_service_worker_shows_a_pushed_notification_when_no_inbox_is_open(inbox_server, new_tab):
    """The push message itself is delivered by Chromium's DevTools protocol (standing in for the push service, which
    a test cannot reach); the worker's decision and its notification are the real ones."""
    page = notifying_tab(new_tab, inbox_server).page
    registrations: list[dict] = []
    cdp = page.context.new_cdp_session(page)
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    login(page, inbox_server, ALICE)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    registration = next(r for r in registrations if r["scopeURL"] == f"{inbox_server.url}/" and not r["isDeleted"])
    page.goto("about:blank")  # no inbox open any more
    payload = {"title": "Maria", "body": "Running late", "tag": "message-999", "url": "/c/999/"}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": inbox_server.url, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
    )
    other = page.context.new_page()
    other.goto(f"{inbox_server.url}/settings/")
    other.wait_for_function(
        "async () => (await (await navigator.serviceWorker.getRegistration('/')).getNotifications()).length === 1"
    )
    shown = other.evaluate(
        """async () => (await (await navigator.serviceWorker.getRegistration('/')).getNotifications())
             .map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data.url }))"""
    )
    assert shown == [{"title": "Maria", "body": "Running late", "tag": "message-999", "url": "/c/999/"}]
    other.close()
