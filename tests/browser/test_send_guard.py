"""The send guard in the inbox (issue 15): two members of staff in two browser contexts answer one customer.

Alice begins a reply, Carol replies first; Alice's send is refused and the composer says what changed, keeps
her text, and "Send anyway" sends it once (one message at the Twilio emulator). Carol's reply assigned the
unassigned conversation to her (auto-assign on reply, the default).
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser import (
    ALICE,
    ARTIFACTS,
    CAROL,
    LIVE_BUDGET_MS,
    expect,
    login,
    manage,
    message_bubble,
    new_contact,
    open_thread,
)
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser


def expected_refusals_only(tab) -> None:
    """Chromium logs the refused (409) request itself; that one is expected, nothing else is."""
    tab.console_errors[:] = [e for e in tab.console_errors if "status of 409 (Conflict)" not in e]


def sent_to(emulator, contact: str, text: str) -> list[dict]:
    return [m for m in emulator.messages("outbound-api") if m["to"] == contact and m["body"] == text]


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)], ids=["desktop", "phone"])
def test_a_reply_after_a_colleagues_is_guarded_and_send_anyway_sends_once(
    inbox_server, emulator, new_tab, width, height
):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Is my crown ready? {secrets.token_hex(3)}")
    alice_tab, carol_tab = new_tab(width=width, height=height), new_tab(width=width, height=height)
    alice, carol = alice_tab.page, carol_tab.page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    open_thread(alice, inbox_server, contact)
    open_thread(carol, inbox_server, contact)
    expect(alice.locator("#assignee")).to_have_value("")

    mine = f"Yes, it is ready, come by any time {secrets.token_hex(3)}"
    alice.locator("#body").fill(mine)  # alice's draft begins: the thread's newest message is the customer's
    theirs = f"Hi! Carol here, it's ready today {secrets.token_hex(3)}"
    carol.locator("#body").fill(theirs)
    carol.locator("#body").press("Control+Enter")
    expect(message_bubble(alice, theirs, "out")).to_be_visible(timeout=LIVE_BUDGET_MS)
    carol_id = carol.locator("#assignee option", has_text=f"{CAROL.username} (me)").get_attribute("value")
    expect(alice.locator("#assignee")).to_have_value(carol_id, timeout=LIVE_BUDGET_MS)  # auto-assigned on reply

    alice.locator("#body").press("Control+Enter")
    notice = alice.locator("#send-guard")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    expect(notice.get_by_role("heading")).to_have_text("Not sent: the conversation changed while you were writing.")
    expect(notice.locator("li")).to_have_count(1)
    expect(notice.locator("li")).to_have_text(
        re.compile(rf"^{CAROL.username} replied (just now|\d+ seconds ago): “{theirs}”$")
    )
    expect(alice.locator("#send-guard-said")).to_contain_text(f"{CAROL.username} replied")
    expect(alice.locator("#body")).to_have_value(mine)  # the typed text stays
    expect(message_bubble(alice, mine, "out")).to_have_count(0)
    assert axe_violations(alice) == []
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / f"guard-notice-{width}x{height}.png"))
    assert alice.evaluate("document.documentElement.scrollWidth") <= width

    # from the keyboard: Tab from the notice reaches "Send anyway"; Enter sends it, once
    alice.keyboard.press("Tab")
    expect(notice.get_by_role("button", name="Send anyway")).to_be_focused()
    alice.keyboard.press("Enter")
    expect(notice).to_be_hidden()
    expect(message_bubble(alice, mine, "out").locator(".status")).to_have_text("Delivered", timeout=10_000)
    expect(message_bubble(carol, mine, "out")).to_have_count(1, timeout=LIVE_BUDGET_MS)
    expect(alice.locator("#body")).to_have_value("")
    assert emulator.wait_idle(5)
    assert len(sent_to(emulator, contact, mine)) == 1
    assert len(sent_to(emulator, contact, theirs)) == 1
    expect(alice.locator("#assignee")).to_have_value(carol_id)  # replying did not take it from carol
    expected_refusals_only(alice_tab)


def test_edit_dismisses_the_notice_and_the_next_send_goes_through(inbox_server, emulator, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Hello?")
    tab = new_tab()
    alice = tab.page
    login(alice, inbox_server, ALICE)
    open_thread(alice, inbox_server, contact)
    alice.locator("#body").fill("Hi, how can we help")
    later = f"Sorry, I meant to ask about Tuesday {secrets.token_hex(3)}"
    inbox_server.post_inbound(from_=contact, body=later)  # the customer texts while alice writes
    expect(message_bubble(alice, later, "in")).to_be_visible(timeout=LIVE_BUDGET_MS)
    alice.locator("#send").click()
    notice = alice.locator("#send-guard")
    expect(notice.locator("li")).to_have_text(re.compile(r"texted (just now|\d+ seconds ago): “Sorry, I meant"))
    alice.keyboard.press("Escape")  # Edit, from the keyboard
    expect(notice).to_be_hidden()
    expect(alice.locator("#body")).to_be_focused()
    alice.locator("#body").fill("Tuesday works, see you at 10")
    alice.locator("#body").press("Control+Enter")
    expect(message_bubble(alice, "Tuesday works, see you at 10", "out").locator(".status")).to_have_text(
        "Delivered", timeout=10_000
    )
    expect(notice).to_be_hidden()
    assert emulator.wait_idle(5)
    assert len(sent_to(emulator, contact, "Tuesday works, see you at 10")) == 1
    expected_refusals_only(tab)


def test_the_notices_wording_and_times(inbox_server, new_tab):
    """``guardTime`` and ``guardLine`` of composer.js, in the viewer's zone."""
    from tests.browser.test_modules import IMPORT_JS

    page = new_tab().page
    login(page, inbox_server, ALICE)
    assert page.evaluate(IMPORT_JS) == []
    got = page.evaluate(
        """() => {
          const { composer, times } = window.__modules;
          const format = times.formatters("America/New_York");
          const now = Date.parse("2026-03-10T12:00:00Z");
          const at = (seconds) => composer.guardTime(new Date(now - seconds * 1000), now, format);
          const who = { contactName: "Maria Lopez", senderNames: { 7: "Carol Ng" }, user: 9 };
          const line = (m) => composer.guardLine(m, who);
          return {
            times: [at(-3), at(2), at(20), at(59), at(120), at(8 * 86400)],
            lines: [
              line({ direction: "out", sentById: 7, body: "On it" }),
              line({ direction: "in", body: "", numMedia: 1 }),
              line({ direction: "out", sentById: 9, body: "x".repeat(200) }),
              line({ direction: "out", sentById: null, body: "Reminder" }),
            ],
          };
        }"""
    )
    assert got["times"] == [
        "just now",
        "just now",
        "20 seconds ago",
        "59 seconds ago",
        "2 minutes ago",
        "Mar 2, 7:00 AM",
    ]
    assert got["lines"][0] == {"who": "Carol Ng", "verb": "replied", "said": "On it"}
    assert got["lines"][1] == {"who": "Maria Lopez", "verb": "texted", "said": "[Media]"}
    assert got["lines"][2]["who"] == "You"
    assert got["lines"][2]["verb"] == "replied in another tab"
    assert len(got["lines"][2]["said"]) == 140
    assert got["lines"][2]["said"].endswith("…")
    assert got["lines"][3] == {"who": "An automated message", "verb": "was sent", "said": "Reminder"}


def set_only_assignee_replies(env: dict[str, str], organization: str, value: bool) -> None:
    """Set the organization's rule in the servers' database (as an admin would in Django admin)."""
    code = (
        "from smsinbox.models import Organization; from smsinbox.services import organization_update; "
        f"organization_update(organization=Organization.objects.get(name={organization!r}), "
        f"only_assignee_replies={value!r})"
    )
    manage(env, "shell", "-c", code)


def test_only_the_assignee_may_reply_and_take_over_assigns_then_sends(inbox_server, server_env, emulator, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Can I move my appointment?")
    carol_tab, alice_tab = new_tab(), new_tab()
    carol, alice = carol_tab.page, alice_tab.page
    login(carol, inbox_server, CAROL)
    open_thread(carol, inbox_server, contact)
    carol.locator("#body").fill("Sure, which day suits you?")
    carol.locator("#body").press("Control+Enter")
    carol_id = carol.locator("#assignee option", has_text=f"{CAROL.username} (me)").get_attribute("value")
    expect(carol.locator("#assignee")).to_have_value(carol_id, timeout=LIVE_BUDGET_MS)  # auto-assigned on reply

    set_only_assignee_replies(server_env, ALICE.organization, True)
    try:
        login(alice, inbox_server, ALICE)
        open_thread(alice, inbox_server, contact)
        text = f"Alice here: Thursday at 3 works {secrets.token_hex(3)}"
        alice.locator("#body").fill(text)
        alice.locator("#body").press("Control+Enter")
        notice = alice.locator("#send-guard")
        expect(notice).to_be_focused()
        expect(notice.get_by_role("heading")).to_have_text(
            f"Not sent: Only {CAROL.username}, the assignee, may reply here. Take the conversation over to reply."
        )
        expect(alice.locator("#body")).to_have_value(text)
        notice.get_by_role("button", name="Take over and send").click()
        expect(message_bubble(alice, text, "out")).to_have_count(1)
        expect(notice).to_be_hidden()
        alice_id = alice.locator("#assignee option", has_text=f"{ALICE.username} (me)").get_attribute("value")
        expect(alice.locator("#assignee")).to_have_value(alice_id, timeout=LIVE_BUDGET_MS)
        expect(carol.locator("#assignee")).to_have_value(alice_id, timeout=LIVE_BUDGET_MS)  # conversation.updated
        expect(message_bubble(alice, text, "out").locator(".status")).to_have_text("Delivered", timeout=10_000)
        assert emulator.wait_idle(5)
        assert len(sent_to(emulator, contact, text)) == 1
    finally:
        set_only_assignee_replies(server_env, ALICE.organization, False)
    expected_refusals_only(alice_tab)


def test_a_send_later_refused_by_the_guard_offers_schedule_anyway_and_stays_scheduled(inbox_server, emulator, new_tab):
    """The guard also stops a "Send later": its notice says "Not scheduled" and its button schedules the text at
    the chosen time (it is not sent now)."""
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Can you remind me tomorrow? {secrets.token_hex(3)}")
    alice_tab, carol_tab = new_tab(), new_tab()
    alice, carol = alice_tab.page, carol_tab.page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    open_thread(alice, inbox_server, contact)
    open_thread(carol, inbox_server, contact)
    mine = f"Reminder: your appointment is today {secrets.token_hex(3)}"
    alice.locator("#body").fill(mine)
    theirs = f"Carol here: noted {secrets.token_hex(3)}"
    carol.locator("#body").fill(theirs)
    carol.locator("#body").press("Control+Enter")
    expect(message_bubble(alice, theirs, "out")).to_be_visible(timeout=LIVE_BUDGET_MS)

    alice.locator("#send-later summary").click()
    alice.locator("[data-send-at]").first.click()
    notice = alice.locator("#send-guard")
    expect(notice).to_be_focused()
    expect(notice.get_by_role("heading")).to_have_text(
        "Not scheduled: the conversation changed while you were writing."
    )
    alice.keyboard.press("Tab")
    expect(notice.get_by_role("button", name="Schedule anyway")).to_be_focused()
    alice.keyboard.press("Enter")
    expect(notice).to_be_hidden()
    expect(message_bubble(alice, mine, "out").locator(".status")).to_have_text(re.compile("Scheduled"))
    assert emulator.wait_idle(3)
    assert sent_to(emulator, contact, mine) == []  # scheduled, not sent
    expected_refusals_only(alice_tab)
