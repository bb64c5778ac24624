"""The staff inbox in a real browser, against one live uvicorn process (issue 5's browser tests).

Every test texts from its own contacts through signed webhooks, so the tests do not depend on
each other's order; every wait is bounded. Console errors, page errors and dialogs of every
page fail the test that opened it (see ``new_tab``).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest

from messaging.twilio.emulator.state import MediaFile
from tests.browser import (
    ALICE,
    ARTIFACTS,
    BOB,
    CAROL,
    LIVE_BUDGET_MS,
    NUMBER_A,
    NUMBER_B,
    ORG_A,
    conversation_row,
    conversation_rows,
    describe_setup,
    display_number,
    expect,
    login,
    message_bubble,
    new_contact,
    open_thread,
    record_latency,
    title_unread,
    wait_live,
    webhook_to_screen,
)

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def token() -> str:
    return secrets.token_hex(3)


# --- 1. log in; the organization's conversations are listed --------------------------------------


def test_login_form_then_inbox_lists_the_organizations_conversations(inbox_server, new_tab):
    older, newer, elsewhere = new_contact(), new_contact(), new_contact()
    inbox_server.post_inbound(from_=older, body=f"Is the clinic open on Saturday? {token()}")
    inbox_server.post_inbound(from_=newer, body="Thanks, see you tomorrow")
    inbox_server.post_inbound(from_=elsewhere, body="A message for another organization", to=NUMBER_B)

    page = new_tab().page
    page.goto(f"{inbox_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))  # anonymous: the login form

    page.get_by_label("Username").fill(ALICE.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()  # a wrong password is refused, on the form

    page.get_by_label("Password").fill(ALICE.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{inbox_server.url}/")
    wait_live(page)

    expect(page.locator(".site-header .org-name")).to_have_text(ORG_A)
    expect(page.locator(".site-header .who")).to_have_text(ALICE.username)
    newer_row, older_row = conversation_row(page, newer), conversation_row(page, older)
    expect(newer_row.locator(".preview")).to_have_text("Thanks, see you tomorrow")
    expect(older_row.locator(".preview")).to_contain_text("Is the clinic open on Saturday?")
    expect(newer_row.locator(".unread-badge")).to_have_text("1")
    ids = [row.get_attribute("data-id") for row in conversation_rows(page).all()]
    assert ids.index(newer_row.get_attribute("data-id")) < ids.index(older_row.get_attribute("data-id")), (
        "newest activity first"
    )
    expect(conversation_row(page, elsewhere)).to_have_count(0)  # another organization's contact
    expect(page.get_by_text("A message for another organization")).to_have_count(0)
    assert title_unread(page) >= 2


# --- 2. a signed webhook appears live, in time ----------------------------------------------------


def test_inbound_webhook_appears_in_the_open_thread_and_its_row_moves_to_the_top(inbox_server, new_tab):
    contact, other = new_contact(), new_contact()
    inbox_server.post_inbound(from_=contact, body="Hello, I have a question")
    inbox_server.post_inbound(from_=other, body="Newer message from someone else")

    page = new_tab().page
    login(page, inbox_server, ALICE)
    conversation_id = open_thread(page, inbox_server, contact)
    expect(conversation_rows(page).first).to_have_attribute(
        "data-id", conversation_row(page, other).get_attribute("data-id")
    )

    body = f"Can I bring my dog? {token()}"
    times = webhook_to_screen(page, inbox_server, contact=contact, body=body)
    expect(conversation_rows(page).first).to_have_attribute(
        "data-id", conversation_id, timeout=max(1, LIVE_BUDGET_MS - times["observed_ms"])
    )
    row_ms = time.time() * 1000 - times["started"]  # the row was at the top by then, counted from the POST

    record_latency(
        "webhook-to-screen (one server)",
        times["painted_ms"],
        f"{describe_setup(inbox_server.env)}; webhook answered in {times['post_ms']:.0f} ms, "
        f"in the DOM at {times['inserted_ms']:.0f} ms, seen by Playwright at {times['observed_ms']:.0f} ms",
    )
    print(f"webhook-to-screen: {times['painted_ms']:.0f} ms")
    assert times["painted_ms"] < LIVE_BUDGET_MS
    assert times["observed_ms"] < LIVE_BUDGET_MS
    assert row_ms < LIVE_BUDGET_MS

    bubble = message_bubble(page, body)
    expect(bubble).to_have_count(1)
    expect(conversation_rows(page).first.locator(".preview")).to_have_text(body)
    expect(page).to_have_url(f"{inbox_server.url}/c/{conversation_id}/")  # no reload, no navigation


# --- 3. the composer: pending at once, then Delivered through the emulator -----------------------

WATCH_SEND_JS = """(text) => {
  const watch = window.__send = {
    keyAt: null, pendingAt: null, answeredAt: null, bothFrom: null, bothUntil: null, statuses: [],
  };
  const realFetch = window.fetch;
  window.fetch = async (...args) => {  // when the server answered the send (a POST)
    const answer = await realFetch(...args);
    if ((args[1]?.method || 'GET').toUpperCase() === 'POST' && watch.answeredAt === null) {
      watch.answeredAt = performance.now();
    }
    return answer;
  };
  document.getElementById('body').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) watch.keyAt = performance.now();
  }, { capture: true });
  const messages = document.getElementById('messages');
  new MutationObserver(() => {
    const now = performance.now();
    let pending = 0, stored = 0;
    for (const item of messages.querySelectorAll('li.message.out')) {
      if (item.querySelector('.body')?.textContent !== text) continue;
      if (item.classList.contains('pending')) { pending += 1; continue; }
      stored += 1;
      const status = item.querySelector('.status')?.textContent;
      if (status && watch.statuses[watch.statuses.length - 1] !== status) watch.statuses.push(status);
    }
    if (pending && watch.pendingAt === null) watch.pendingAt = now;
    if (pending && stored && watch.bothFrom === null) watch.bothFrom = now;  // the message shown twice
    if (!pending && watch.bothFrom !== null && watch.bothUntil === null) watch.bothUntil = now;
  }).observe(messages, { childList: true, subtree: true, characterData: true });
}"""


def test_composer_shows_pending_at_once_and_ends_delivered(inbox_server, emulator, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Can you text me the address?")

    page = new_tab().page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)

    text = f"123 Main St, see you at 3 {token()}"
    page.evaluate(WATCH_SEND_JS, text)
    page.locator("#body").fill(text)
    expect(page.locator("#counter")).to_contain_text(f"{len(text)} / 1600")
    page.locator("#body").press("Control+Enter")

    page.wait_for_function("() => window.__send.answeredAt !== null")
    watch = page.evaluate("window.__send")
    assert watch["keyAt"] is not None, f"Ctrl+Enter did not reach the composer: {watch}"
    assert watch["pendingAt"] is not None, f"no pending bubble: {watch}"
    # "at once": the bubble is shown before the server has answered, not after (events, not a time limit)
    assert watch["keyAt"] <= watch["pendingAt"] <= watch["answeredAt"], watch
    expect(page.locator("#body")).to_have_value("")

    bubble = message_bubble(page, text, "out:not(.pending)")
    expect(bubble.locator(".status")).to_have_text("Delivered", timeout=10_000)
    expect(message_bubble(page, text, "out")).to_have_count(1)  # the pending bubble became the stored one
    expect(bubble).to_have_attribute("data-id", re.compile(r"^\d+$"))
    expect(bubble.locator(".status")).to_have_attribute("data-status", "delivered")
    expect(bubble.locator(".sender")).to_have_text(ALICE.username)
    watch = page.evaluate("window.__send")
    both = f"{watch['bothUntil'] - watch['bothFrom']:.0f} ms" if watch["bothFrom"] is not None else "never"
    print(
        f"\npending bubble {watch['pendingAt'] - watch['keyAt']:.1f} ms after Ctrl+Enter; "
        f"pending and stored bubbles both shown: {both}; statuses: Pending -> {' -> '.join(watch['statuses'])}"
    )
    assert watch["statuses"][-1] == "Delivered"

    # It went out through the emulator, and "delivered" came back through our status webhook.
    assert emulator.wait_idle(5)
    sent = [m for m in emulator.messages("outbound-api") if m["body"] == text]
    assert len(sent) == 1, sent
    assert (sent[0]["to"], sent[0]["from"], sent[0]["status"]) == (contact, NUMBER_A, "delivered")
    callbacks = [
        w for w in emulator.webhooks() if w["kind"] == "status" and w["params"]["MessageSid"] == sent[0]["sid"]
    ]
    assert callbacks, "the emulator posted no status callback"
    assert all(w["url"].startswith(f"{inbox_server.url}/api/twilio/sms-status") for w in callbacks), callbacks
    assert all(w["ok"] for w in callbacks), [(w["params"]["MessageStatus"], w["status_code"]) for w in callbacks]
    assert callbacks[-1]["params"]["MessageStatus"] == "delivered"

    page.reload()  # the stored state agrees with what the page showed live
    expect(message_bubble(page, text, "out").locator(".status")).to_have_text("Delivered")


# --- 4. opening a thread clears its badge in another member's open inbox --------------------------


def test_opening_a_thread_clears_its_badge_in_another_open_inbox(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Are you there?")
    inbox_server.post_inbound(from_=contact, body="Hello??")

    carol = new_tab().page
    login(carol, inbox_server, CAROL)
    carol_row = conversation_row(carol, contact)
    expect(carol_row.locator(".unread-badge")).to_have_text("2")
    expect(carol_row).to_have_class(re.compile(r"\bunread\b"))
    unread_before = title_unread(carol)
    assert unread_before >= 2, carol.title()
    base_title = re.sub(r"^\(\d+\)\s*", "", carol.title())
    carol.evaluate("window.__sameDocument = true")  # gone if the page reloads

    alice = new_tab().page
    login(alice, inbox_server, ALICE)
    open_thread(alice, inbox_server, contact)

    expect(carol_row.locator(".unread-badge")).to_be_hidden(timeout=LIVE_BUDGET_MS)
    expect(carol_row).not_to_have_class(re.compile(r"\bunread\b"))
    left = unread_before - 2
    expect(carol).to_have_title(f"({left}) {base_title}" if left else base_title, timeout=LIVE_BUDGET_MS)
    assert carol.evaluate("window.__sameDocument === true"), "carol's page was reloaded"


# --- 5. a message body is text, never HTML ---------------------------------------------------------


def test_a_body_with_html_renders_literally(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Hi")

    tab = new_tab()
    page = tab.page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)

    inbox_server.post_inbound(from_=contact, body=XSS)  # arrives live: inserted by static/js/thread.js
    bubble = message_bubble(page, XSS)
    expect(bubble.locator(".body")).to_have_text(XSS, timeout=LIVE_BUDGET_MS)
    expect(conversation_row(page, contact).locator(".preview")).to_have_text(XSS)
    expect(page.locator('img[src="x"]')).to_have_count(0)
    page.wait_for_timeout(300)  # an injected image's onerror would have fired by now
    assert tab.dialogs == []

    page.reload()  # rendered by the server's templates this time
    wait_live(page)
    expect(message_bubble(page, XSS).locator(".body")).to_have_text(XSS)
    expect(conversation_row(page, contact).locator(".preview")).to_have_text(XSS)
    expect(page.locator('img[src="x"]')).to_have_count(0)
    page.wait_for_timeout(300)
    assert tab.dialogs == []


# --- 6. phone width --------------------------------------------------------------------------------


def test_phone_width_thread_screenshot_without_horizontal_scroll(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Hi! Can I move my appointment to next week?")
    long_link = "https://example.com/appointments/reschedule?token=" + "x7" * 60
    inbox_server.post_inbound(from_=contact, body=f"Here is the link they sent me: {long_link}")

    page = new_tab(width=375, height=740).page
    login(page, inbox_server, ALICE)
    expect(conversation_row(page, contact)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the list scrolls sideways"
    open_thread(page, inbox_server, contact)
    page.locator("#body").fill("Sure, which day works for you?")
    expect(message_bubble(page, long_link)).to_be_visible()
    expect(page.locator("#composer")).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-phone.png"))
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= 375, f"the thread scrolls sideways at 375 px: scrollWidth {widths[0]} (clientWidth {widths[1]})"


# --- 7. no console errors through the flows --------------------------------------------------------


def test_no_console_errors_during_the_flows(inbox_server, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Morning!")

    tab = new_tab()
    page = tab.page
    login(page, inbox_server, ALICE)
    page.get_by_role("link", name="Unread", exact=True).click()
    wait_live(page)
    page.get_by_role("link", name="All", exact=True).click()
    wait_live(page)
    open_thread(page, inbox_server, contact)
    inbox_server.post_inbound(from_=contact, body="Are you open today?")
    expect(message_bubble(page, "Are you open today?")).to_be_visible(timeout=LIVE_BUDGET_MS)
    page.locator("#body").fill("Yes, until 6 pm")
    page.locator("#body").press("Control+Enter")
    sent = message_bubble(page, "Yes, until 6 pm", "out:not(.pending)")
    expect(sent.locator(".status")).to_have_text("Delivered", timeout=10_000)
    page.reload()
    wait_live(page)
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.wait_for_load_state()
    page.go_back()
    wait_live(page)

    assert tab.console_errors == []
    assert tab.page_errors == []


# --- 8. another organization sees none of it --------------------------------------------------------


def test_another_organization_sees_none_of_it(inbox_server, new_tab):
    b_contact = new_contact()
    inbox_server.post_inbound(from_=b_contact, body="Bravo's own customer", to=NUMBER_B)

    bob_tab = new_tab()
    bob = bob_tab.page
    login(bob, inbox_server, BOB)
    rows_before = [
        (r.get_attribute("data-id"), r.locator(".preview").inner_text()) for r in conversation_rows(bob).all()
    ]
    title_before = bob.title()
    frames_before = len(bob_tab.ws_frames)

    alice = new_tab().page
    login(alice, inbox_server, ALICE)
    secret = f"Organization A only {token()}"
    a_contact = new_contact()
    inbox_server.post_inbound(from_=a_contact, body=secret)
    expect(conversation_row(alice, a_contact)).to_be_visible(timeout=LIVE_BUDGET_MS)  # the event went out
    conversation_id = conversation_row(alice, a_contact).get_attribute("data-id")
    bob.wait_for_timeout(500)

    rows_after = [
        (r.get_attribute("data-id"), r.locator(".preview").inner_text()) for r in conversation_rows(bob).all()
    ]
    assert rows_after == rows_before
    assert bob.title() == title_before
    expect(bob.get_by_text(secret)).to_have_count(0)
    late = bob_tab.ws_frames[frames_before:]
    assert all(json.loads(frame)["type"] == "pong" for frame in late), f"bob's websocket received: {late}"

    # Nor through a direct look or a resync.
    assert bob.request.get(f"{inbox_server.url}/c/{conversation_id}/").status == 404
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    synced = bob.request.get(
        f"{inbox_server.url}/inbox/sync/", params={"since": since, "conversation": conversation_id}
    )
    assert synced.ok
    data = synced.json()
    assert all(c["id"] != int(conversation_id) for c in data["conversations"]), data
    assert data["messages"] == []
    assert secret not in synced.text()

    # Control: bob's socket is live, so the silence above means something.
    mine = f"For Bravo {token()}"
    started = time.monotonic()
    inbox_server.post_inbound(from_=b_contact, body=mine, to=NUMBER_B)
    expect(conversation_row(bob, b_contact).locator(".preview")).to_have_text(mine, timeout=LIVE_BUDGET_MS)
    assert time.monotonic() - started < LIVE_BUDGET_MS / 1000
    assert any(mine in frame for frame in bob_tab.ws_frames[frames_before:])
    assert display_number(a_contact) not in bob.locator("#conversation-list").inner_text()


# --- 9. a row heard late never replaces a newer one ------------------------------------------------


def test_a_row_older_than_the_one_shown_is_dropped_and_an_equal_one_applied(inbox_server, new_tab):
    """Rows of one conversation may arrive in any order (each request publishes after its commit):
    the page keeps the newest ``version`` (``conversation_payload``), and applies an equal one."""
    contact, other = new_contact(), new_contact()
    inbox_server.post_inbound(from_=contact, body="first")
    inbox_server.post_inbound(from_=contact, body="second")
    inbox_server.post_inbound(from_=other, body="hello")

    page = new_tab().page
    sockets = []

    def pass_through(ws):  # the server's events still reach the page; the test can add its own
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws/inbox/"), pass_through)
    login(page, inbox_server, ALICE)
    ids = {number: conversation_row(page, number).get_attribute("data-id") for number in (contact, other)}
    row, other_row = (page.locator(f'#conversation-list li.conversation[data-id="{ids[n]}"]') for n in (contact, other))
    expect(row).to_have_attribute("data-version", "2")  # created, then two messages: rendered by the server
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    synced = page.request.get(f"{inbox_server.url}/inbox/sync/", params={"since": since}).json()
    current = {c["id"]: c for c in synced["conversations"]}
    shown, other_shown = current[int(ids[contact])], current[int(ids[other])]
    assert (shown["version"], shown["lastMessagePreview"], shown["unreadCount"]) == (2, "second", 2)

    def hear(payload: dict) -> None:
        sockets[-1].send(json.dumps({"type": "conversation.updated", "payload": payload}))

    hear({**shown, "version": 1, "lastMessagePreview": "first", "unreadCount": 1})  # the first message's row, late
    renamed = f"Renamed {token()}"
    hear({**other_shown, "contactName": renamed})  # a contact change: its conversation's version unchanged
    expect(other_row.locator(".name")).to_have_text(renamed, timeout=LIVE_BUDGET_MS)  # heard after the late row
    expect(row.locator(".preview")).to_have_text("second")
    expect(row.locator(".unread-badge")).to_have_text("2")
    expect(row).to_have_attribute("data-version", "2")

    inbox_server.post_inbound(from_=contact, body="third")  # a newer row, from the server, applies
    expect(row.locator(".preview")).to_have_text("third", timeout=LIVE_BUDGET_MS)
    expect(row).to_have_attribute("data-version", "3")


# --- 10. two members of staff, one sends, the other sees it live (desktop and phone) ---------------


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)], ids=["desktop", "phone"])
def test_two_members_of_staff_see_each_others_messages_live(inbox_server, emulator, new_tab, width, height):
    """Rows and bubbles that arrive live are clones of the server's partials (``<template>``s): text,
    sender, status, MMS thumbnail through ``/media/…``. Screenshots of both screens go to test-artifacts/."""
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Hi! Can I book a cleaning next week?")
    alice, carol = new_tab(width=width, height=height).page, new_tab(width=width, height=height).page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    conversation_id = open_thread(alice, inbox_server, contact)
    carol_row = conversation_row(carol, contact)
    expect(carol_row.locator(".unread-badge")).to_be_hidden(timeout=LIVE_BUDGET_MS)  # alice read it
    alice.locator("#assignee").select_option(label=f"{ALICE.username} (me)")
    alice.locator("#assign-form").get_by_role("button", name="Assign").click()  # in place: no reload
    expect(alice.locator("#thread-action-state")).to_have_text("Saved.")
    expect(alice).to_have_url(f"{inbox_server.url}/c/{conversation_id}/")
    tag = carol_row.locator(".tag.assignee")
    expect(tag).to_have_text(ALICE.username, timeout=LIVE_BUDGET_MS)  # a row cloned from the template, live
    expect(tag).to_have_attribute("title", f"Assigned to {ALICE.username}")

    first = f"Of course! Thursday at 10 or Friday at 2? {token()}"
    alice.locator("#body").fill(first)
    alice.locator("#body").press("Control+Enter")
    expect(carol_row.locator(".preview")).to_have_text(first, timeout=LIVE_BUDGET_MS)  # carol's list, live
    expect(tag).to_have_text(ALICE.username)
    expect(conversation_rows(carol).first).to_have_attribute("data-id", carol_row.get_attribute("data-id"))
    expect(carol_row.locator(".when")).to_have_text("just now")
    ARTIFACTS.mkdir(exist_ok=True)
    carol.screenshot(path=str(ARTIFACTS / f"two-staff-{width}-carol-list.png"))

    card = f"Thursday please. Here is my insurance card {token()}"
    emulator.send_inbound(from_=contact, to=NUMBER_A, body=card, media_urls=["emulator"])
    picture = message_bubble(alice, card)
    expect(picture.locator("img")).to_have_attribute("alt", "Attachment 1 (image/png)", timeout=LIVE_BUDGET_MS)
    expect(picture.locator("a.media")).to_have_attribute("href", re.compile(r"^/media/\d+/0/$"))
    alice.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=picture.locator("img").element_handle()
    )
    expect(carol_row.locator(".preview")).to_have_text(card, timeout=LIVE_BUDGET_MS)
    # Not every attachment is a picture: a PDF is a link that says what it is, a voice memo a player.
    files = f"The referral letter and a voice note {token()}"
    emulator.send_inbound(from_=contact, to=NUMBER_A, body=files, media_urls=[
        MediaFile("application/pdf", b"%PDF-1.4\n%%EOF\n"), MediaFile("audio/mpeg", b"ID3" + bytes(64)),
    ])  # fmt: skip
    for page in (alice,):  # live, cloned from the template
        bubble = message_bubble(page, files)
        expect(bubble.locator("a.media.file")).to_contain_text("Attachment 1: PDF document", timeout=LIVE_BUDGET_MS)
        expect(bubble.locator("a.media.file")).to_have_attribute("href", re.compile(r"^/media/\d+/0/$"))
        expect(bubble.locator("audio")).to_have_attribute("aria-label", "Attachment 2 (audio/mpeg)")
        expect(bubble.locator("img")).to_have_count(0)

    open_thread(carol, inbox_server, contact)
    bubble = message_bubble(carol, files)  # rendered by the server
    expect(bubble.locator("a.media.file .file-label")).to_have_text("Attachment 1: PDF document")
    expect(bubble.locator("audio")).to_have_attribute("src", re.compile(r"^/media/\d+/1/$"))
    expect(bubble.locator("img")).to_have_count(0)
    # Loaded after the first page told the server the browser's zone: times are shown in it (tz cookie).
    zone = "JSON.parse(document.getElementById('inbox-config').textContent).timeZone"
    assert carol.evaluate(zone) == "America/New_York"
    second = f"Booked: Thursday 10:00 with Dr. Lee. See you then! {token()}"
    alice.locator("#body").fill(second)
    alice.locator("#body").press("Control+Enter")
    seen = message_bubble(carol, second, "out")
    expect(seen).to_be_visible(timeout=LIVE_BUDGET_MS)  # carol's open thread, live
    expect(seen.locator(".sender")).to_have_text(ALICE.username)
    expect(seen.locator(".status")).to_have_text("Delivered", timeout=10_000)
    expect(seen.locator(".meta time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(message_bubble(alice, second, "out:not(.pending)").locator(".status")).to_have_text("Delivered")
    expect(message_bubble(alice, second, "out")).to_have_count(1)
    for name, page in (("alice", alice), ("carol", carol)):
        page.wait_for_timeout(200)  # let the thread settle at its end before the picture
        page.screenshot(path=str(ARTIFACTS / f"two-staff-{width}-{name}-thread.png"))
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name}'s page scrolls sideways at {width} px: {scroll}"
