"""The open thread stays true all day (issue 14): its header and composer follow what other staff and the
contact do, it opens at the newest message on a phone, drafts survive, failed sends stand out.

Two browser contexts stand for two members of staff; the contact texts through signed webhooks.
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
    conversation_row,
    expect,
    login,
    message_bubble,
    new_contact,
    open_thread,
)

pytestmark = pytest.mark.browser

IN_VIEW_JS = """(el) => {
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight + 1 && r.height > 0;
}"""


def token() -> str:
    return secrets.token_hex(3)


def in_view(page, locator) -> bool:
    return page.evaluate(IN_VIEW_JS, locator.element_handle())


def wait_in_view(page, locator, timeout: float = 3000) -> None:
    page.wait_for_function(IN_VIEW_JS, arg=locator.element_handle(), timeout=timeout)


# --- 3. B's assign / reply / close and the contact's STOP / START reach A's open thread ---------------


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)], ids=["desktop", "phone"])
def test_another_members_assign_reply_close_and_the_contacts_stop_start_update_the_open_thread(
    inbox_server, new_tab, width, height
):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Hi, can someone help me? {token()}")
    alice, carol = new_tab(width=width, height=height).page, new_tab(width=width, height=height).page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    open_thread(alice, inbox_server, contact)
    open_thread(carol, inbox_server, contact)
    header = alice.locator("#thread-header")
    expect(alice.locator("#assignee")).to_have_value("")
    expect(header.get_by_role("button", name="Close")).to_be_visible()
    alice.locator("#body").fill("A draft alice is writing")

    # carol assigns herself (in place: carol's page is not reloaded), alice's header follows
    carol.evaluate("window.__sameDocument = true")
    carol_id = carol.locator("#assignee option", has_text=f"{CAROL.username} (me)").get_attribute("value")
    carol.locator("#assignee").select_option(carol_id)
    carol.locator("#assign-form").get_by_role("button", name="Assign").click()
    expect(alice.locator("#assignee")).to_have_value(carol_id, timeout=LIVE_BUDGET_MS)
    expect(conversation_row(alice, contact).locator(".tag.assignee")).to_have_text(CAROL.username)

    # carol replies: alice sees the bubble
    reply = f"I'm on it! {token()}"
    carol.locator("#body").fill(reply)
    carol.locator("#body").press("Control+Enter")
    expect(message_bubble(alice, reply, "out")).to_be_visible(timeout=LIVE_BUDGET_MS)
    expect(message_bubble(alice, reply, "out").locator(".status")).to_have_text("Delivered", timeout=10_000)

    # carol closes: alice's header says Closed and offers Reopen
    carol.locator("#thread-header").get_by_role("button", name="Close").click()
    expect(header.get_by_role("button", name="Reopen")).to_be_visible(timeout=LIVE_BUDGET_MS)
    expect(header.get_by_role("button", name="Close")).to_be_hidden()
    expect(alice.locator("#thread-closed")).to_be_visible()
    expect(carol.locator("#thread-header").get_by_role("button", name="Reopen")).to_be_focused()  # focus kept
    assert carol.evaluate("window.__sameDocument === true"), "carol's page was reloaded"

    # the contact texts STOP: alice's composer is disabled with the reason; START enables it again
    inbox_server.post_inbound(from_=contact, body="STOP")
    expect(alice.locator("#body")).to_be_disabled(timeout=LIVE_BUDGET_MS)
    expect(alice.locator("#send")).to_be_disabled()
    expect(alice.locator("#composer-disabled")).to_contain_text("opted out on")
    expect(alice.locator("#composer-disabled")).to_contain_text("by replying STOP")
    expect(alice.locator("#thread-opted-out")).to_be_visible()
    expect(alice.locator("#thread-closed")).to_be_hidden()  # a message reopens the thread
    expect(alice.locator("#body")).to_have_value("A draft alice is writing")
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / f"thread-follows-{width}-alice-opted-out.png"))

    inbox_server.post_inbound(from_=contact, body="START")
    expect(alice.locator("#body")).to_be_enabled(timeout=LIVE_BUDGET_MS)
    expect(alice.locator("#send")).to_be_enabled()
    expect(alice.locator("#composer-disabled")).to_be_hidden()
    expect(alice.locator("#thread-opted-out")).to_be_hidden()
    expect(alice.locator("#assignee")).to_have_value(carol_id)
    for name, page in (("alice", alice), ("carol", carol)):
        page.screenshot(path=str(ARTIFACTS / f"thread-follows-{width}-{name}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width


# --- 4. a thread opens at its newest message on a phone, stays there, "load older" keeps the place -------


def test_a_long_thread_opens_at_the_newest_message_at_phone_width_and_keeps_the_readers_place(
    inbox_server, emulator, new_tab
):
    contact = new_contact()
    for n in range(1, 31):
        inbox_server.post_inbound(from_=contact, body=f"Message number {n} of a long thread")
    page = new_tab(width=375, height=812).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    newest = message_bubble(page, "Message number 30 of")
    wait_in_view(page, newest)
    assert in_view(page, page.locator("#body")), "the composer is not in view"
    assert not in_view(page, message_bubble(page, "Message number 1 of"))

    # an image arriving while the reader is at the end keeps the newest message in view
    card = f"My insurance card {token()}"
    emulator.send_inbound(from_=contact, to=ALICE.number, body=card, media_urls=["emulator"])
    picture = message_bubble(page, card)
    expect(picture).to_be_visible(timeout=LIVE_BUDGET_MS)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.locator("img").element_handle())
    wait_in_view(page, picture.locator("img"))

    # scrolled up, nothing moves when a message arrives
    page.evaluate("window.scrollTo(0, 0)")
    top = page.evaluate("window.scrollY")
    inbox_server.post_inbound(from_=contact, body="Message while reading older ones")
    expect(message_bubble(page, "Message while reading older ones")).to_have_count(1, timeout=LIVE_BUDGET_MS)
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") == top

    # over one page (50): "Load older messages" puts the older ones above and keeps the reader's place
    for n in range(31, 53):
        inbox_server.post_inbound(from_=contact, body=f"Message number {n} of a long thread")
    page.reload()
    expect(page.locator("#load-older")).to_be_visible()
    wait_in_view(page, message_bubble(page, "Message number 52 of"))
    page.locator("#load-older").scroll_into_view_if_needed()
    first_shown = page.locator("#messages li.message").first.element_handle()  # this one, not whichever is first
    before = first_shown.bounding_box()["y"]
    page.locator("#load-older").click()
    expect(message_bubble(page, "Message number 1 of")).to_have_count(1)
    after = first_shown.bounding_box()["y"]
    assert abs(after - before) <= 2, f"the message read moved from {before} to {after}"


# --- 5. a draft survives assign, switching threads and reload; ArrowDown does not reassign ---------------


def test_a_draft_survives_assign_switching_threads_and_reload_and_arrow_keys_do_not_assign(inbox_server, new_tab):
    contact, other = new_contact(), new_contact()
    inbox_server.post_inbound(from_=contact, body="Do you have time on Friday?")
    inbox_server.post_inbound(from_=other, body="Another customer")
    page = new_tab().page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    draft = f"Friday at 3 works, shall I book {token()}"
    page.locator("#body").fill(draft)
    page.evaluate("window.__sameDocument = true")

    page.locator("#assignee").focus()
    page.keyboard.press("ArrowDown")  # moves the choice; saves nothing
    page.wait_for_timeout(300)
    assert conversation_row(page, contact).locator(".tag.assignee").count() == 0
    page.locator("#assign-form").get_by_role("button", name="Assign").click()
    expect(conversation_row(page, contact).locator(".tag.assignee")).to_have_count(1, timeout=LIVE_BUDGET_MS)
    expect(page.locator("#assign-form").get_by_role("button", name="Assign")).to_be_focused()
    page.locator("#thread-header").get_by_role("button", name="Close").click()
    expect(page.locator("#thread-header").get_by_role("button", name="Reopen")).to_be_focused()
    expect(page.locator("#body")).to_have_value(draft)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"

    page.reload()
    expect(page.locator("#body")).to_have_value(draft)
    expect(page.locator("#counter")).to_contain_text(f"{len(draft)} / 1600")
    open_thread(page, inbox_server, other)
    expect(page.locator("#body")).to_have_value("")
    open_thread(page, inbox_server, contact)
    expect(page.locator("#body")).to_have_value(draft)

    page.locator("#body").press("Control+Enter")
    expect(message_bubble(page, draft, "out:not(.pending)")).to_have_count(1, timeout=5000)
    page.reload()
    expect(page.locator("#body")).to_have_value("")  # sent: the draft is gone


# --- 6. a failed send marks the row and the bubble, the Failed filter lists it, Retry sends again -------


FAILED = "+15005550011"  # the emulator's magic number: ends "failed" (30008)
UNDELIVERED = "+15005550010"  # ends "undelivered" (30003)


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (375, 812)], ids=["desktop", "phone"])
def test_a_failed_send_marks_the_row_and_bubble_and_the_failed_filter_lists_it(inbox_server, new_tab, width, height):
    contact, fine = (FAILED, new_contact()) if width > 400 else (UNDELIVERED, new_contact())
    inbox_server.post_inbound(from_=contact, body=f"Please text me back {token()}")
    inbox_server.post_inbound(from_=fine, body="All good here")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    text = f"Your appointment is confirmed {token()}"
    page.locator("#body").fill(text)
    page.locator("#body").press("Control+Enter")
    bubble = message_bubble(page, text, "out:not(.pending)")
    expect(bubble).to_have_class(re.compile(r"\bfailed\b"), timeout=10_000)
    expect(bubble.locator(".status")).to_have_text("Failed" if contact == FAILED else "Undelivered")
    expect(bubble.locator(".error")).to_contain_text("30008" if contact == FAILED else "30003")
    expect(bubble.get_by_role("button", name="Retry")).to_be_visible()
    if width > 400:  # the list is beside the thread: its row is marked live
        live_row = conversation_row(page, contact)
        expect(live_row.locator(".tag.failed")).to_have_text("Failed")
        expect(live_row).to_have_class(re.compile(r"\bfailed\b"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTIFACTS / f"failed-send-{width}-thread.png"))

    # Retry: a new send of the same text (a new idempotency key); it fails again at this number
    bubble.get_by_role("button", name="Retry").click()
    expect(message_bubble(page, text, "out:not(.pending)")).to_have_count(2, timeout=10_000)
    expect(message_bubble(page, text, "out.failed")).to_have_count(2, timeout=10_000)

    page.goto(f"{inbox_server.url}/")
    row = page.locator("#conversation-list li.conversation.failed").filter(has_text=text)
    expect(row).to_have_count(1)
    expect(row.locator(".tag.failed")).to_have_text("Failed")
    page.get_by_role("link", name="Failed", exact=True).click()
    expect(page.locator("#conversation-list li.conversation").filter(has_text=text)).to_have_count(1)
    expect(conversation_row(page, fine)).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"failed-send-{width}-list.png"))


# --- 10. mark as unread, from the thread and from the list ---------------------------------------------


def test_mark_unread_from_the_thread_and_from_the_list_in_place(inbox_server, new_tab):
    contact, other = new_contact(), new_contact()
    inbox_server.post_inbound(from_=contact, body="Please call me back")
    inbox_server.post_inbound(from_=other, body="Thanks!")
    page, carol = new_tab().page, new_tab().page
    login(page, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    open_thread(page, inbox_server, contact)
    row = conversation_row(page, contact)
    expect(row.locator(".unread-badge")).to_be_hidden()
    page.evaluate("window.__sameDocument = true")

    page.locator("#unread-form").get_by_role("button", name="Mark unread").click()
    expect(row.locator(".unread-badge")).to_have_text("1", timeout=LIVE_BUDGET_MS)
    expect(conversation_row(carol, contact).locator(".unread-badge")).to_have_text("1", timeout=LIVE_BUDGET_MS)
    expect(page.locator("#thread-action-state")).to_have_text("Marked unread.")

    open_thread(carol, inbox_server, other)  # read by carol
    other_row = conversation_row(page, other)
    expect(other_row.locator(".unread-badge")).to_be_hidden(timeout=LIVE_BUDGET_MS)
    other_row.hover()
    button = other_row.get_by_role("button", name="Mark unread")
    expect(button).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mark-unread-row-hover.png"))
    button.click()
    expect(other_row.locator(".unread-badge")).to_have_text("1", timeout=LIVE_BUDGET_MS)
    expect(conversation_row(carol, other).locator(".unread-badge")).to_have_text("1", timeout=LIVE_BUDGET_MS)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_a_contact_renamed_by_another_member_is_renamed_in_the_open_thread_header(inbox_server, new_tab):
    """The header's name and the number beside it follow the conversation row, as the list does."""
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Who is this? {token()}")
    alice, carol = new_tab().page, new_tab().page
    login(alice, inbox_server, ALICE)
    login(carol, inbox_server, CAROL)
    open_thread(alice, inbox_server, contact)
    number = alice.locator("#thread-title").inner_text()
    assert alice.locator("#thread-number").inner_text() == ""  # no name yet: the title is the number
    open_thread(carol, inbox_server, contact)
    carol.get_by_role("link", name="Edit contact").click()
    carol.get_by_label("First name").fill("Maria")
    carol.get_by_label("Last name").fill(f"Lopez {token()}")
    carol.get_by_role("button", name="Save", exact=True).click()
    expect(alice.locator("#thread-title")).to_contain_text("Maria Lopez", timeout=LIVE_BUDGET_MS)
    expect(alice.locator("#thread-number")).to_have_text(f"{number} · ")
