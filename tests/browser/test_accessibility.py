"""Accessibility in a real browser: axe-core (bundled by ``axe-playwright-python``, no CDN) on every page staff
use — the login page, the inbox with a thread open, the contacts list and a contact's page — at desktop and
phone widths, with no serious or critical violation; and no horizontal scroll at 375 px.
"""

from __future__ import annotations

import secrets

import pytest

from tests.browser import ALICE, ARTIFACTS, login, new_contact, open_thread

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page as it is, one line each (rule, impact, targets)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


# How far the page, or any visible element in it (a button cut off by its card, too), reaches past the viewport.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  let right = document.documentElement.scrollWidth;
  // The phone's main links are one row that scrolls sideways on purpose: its links may lie past the edge,
  // the row itself may not (it is measured like any element).
  const scrolled = (node) => node.closest(".site-nav") !== null && !node.classList.contains("site-nav");
  for (const node of document.body.querySelectorAll("*")) {
    if (scrolled(node)) continue;
    const box = node.getBoundingClientRect();
    if (box.width && box.height && box.left >= 0) right = Math.max(right, box.right);
  }
  return Math.max(0, Math.ceil(right - width));
}"""


def horizontal_overflow(page) -> int:
    """CSS pixels the page reaches past the viewport's right edge (0: no horizontal scroll, nothing cut off)."""
    return page.evaluate(OVERFLOW_JS)


def _with_a_conversation(server) -> str:
    contact = new_contact()
    server.post_inbound(from_=contact, body=f"Is Thursday still fine? {secrets.token_hex(3)}")
    return contact


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_login_page_has_no_serious_accessibility_violation(inbox_server, new_tab, width, height):
    page = new_tab(width=width, height=height).page
    page.goto(f"{inbox_server.url}/accounts/login/")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_inbox_with_a_thread_open_has_no_serious_accessibility_violation(inbox_server, new_tab, width, height):
    contact = _with_a_conversation(inbox_server)
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    assert axe_violations(page) == [], "the list"
    assert horizontal_overflow(page) == 0, "the list"
    open_thread(page, inbox_server, contact)
    assert axe_violations(page) == [], "the thread"
    assert horizontal_overflow(page) == 0, "the thread"


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_contacts_pages_have_no_serious_accessibility_violation(inbox_server, new_tab, width, height):
    _with_a_conversation(inbox_server)
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    if width == 375:  # a long name and an opted-out tag: the widest row there is
        page.goto(f"{inbox_server.url}/contacts/new/")
        page.get_by_label("First name").fill("Maximiliana")
        page.get_by_label("Last name").fill("Featherstonehaugh-Worthington")
        page.get_by_label("Phone number").fill("+15005550004")  # the emulator opts this one out on a send
        page.get_by_role("button", name="Save").click()
    page.goto(f"{inbox_server.url}/contacts/")
    assert axe_violations(page) == [], "the list"
    assert horizontal_overflow(page) == 0, "the list"
    page.screenshot(path=str(ARTIFACTS / f"contacts-{width}.png"))
    page.locator("table.contacts tbody a").first.click()
    page.wait_for_url(f"{inbox_server.url}/contacts/*/**")
    assert axe_violations(page) == [], "a contact"
    assert horizontal_overflow(page) == 0, "a contact"
    page.goto(f"{inbox_server.url}/contacts/new/")
    assert axe_violations(page) == [], "a new contact"
    assert horizontal_overflow(page) == 0, "a new contact"


def test_no_horizontal_scroll_at_375_px_and_no_keyboard_hint_on_a_touch_screen(inbox_server, browser):
    """A phone (touch, no hover): the inbox, a thread and the contacts fit 375 px, and Send shows no Ctrl+Enter."""
    contact = _with_a_conversation(inbox_server)
    context = browser.new_context(viewport={"width": 375, "height": 812}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        login(page, inbox_server, ALICE)
        assert horizontal_overflow(page) == 0, "the list"
        open_thread(page, inbox_server, contact)
        assert horizontal_overflow(page) == 0, "the thread"
        assert page.evaluate("matchMedia('(hover: none)').matches")
        assert page.locator("#send").inner_text().strip() == "Send"
        page.goto(f"{inbox_server.url}/contacts/")
        assert horizontal_overflow(page) == 0, "the contacts"
    finally:
        context.close()
    desktop = browser.new_context(viewport={"width": 1366, "height": 800})
    try:
        page = desktop.new_page()
        login(page, inbox_server, ALICE)
        open_thread(page, inbox_server, contact)
        assert "Ctrl" in page.locator("#send").inner_text()  # a keyboard and a mouse: the hint helps
    finally:
        desktop.close()


# The focused element's visible focus indicator: an outline, a box shadow, or (for a visually hidden radio or
# checkbox styled through its label) the label's outline.
FOCUS_SHOWN_JS = """() => {
  const node = document.activeElement;
  if (!node || node === document.body) return { name: "body", shown: false, again: false };
  const again = node.dataset.focusWalk === "1";
  node.dataset.focusWalk = "1";
  const shows = (el) => {
    if (!el) return false;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1;
    return outline || (style.boxShadow && style.boxShadow !== "none");
  };
  const label = node.id ? document.querySelector(`label[for="${node.id}"]`) : null;
  const name = `${node.tagName.toLowerCase()}${node.id ? "#" + node.id : ""}${node.name ? "[" + node.name + "]" : ""}`
    + ` "${(node.textContent || node.value || "").trim().slice(0, 30)}"`;
  return { name, shown: shows(node) || shows(label), again };
}"""


def test_arriving_messages_are_announced_and_focus_is_visible_on_every_control(inbox_server, new_tab):
    """The thread is a polite live region for additions; Tab through the whole inbox with a thread open and
    every control that takes the focus shows it."""
    contact = _with_a_conversation(inbox_server)
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    messages = page.locator("#messages")
    assert (messages.get_attribute("aria-live"), messages.get_attribute("aria-relevant")) == ("polite", "additions")
    page.locator(".skip-link").first.focus()
    walked: list[tuple[str, bool]] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_SHOWN_JS)
        if focus["again"] or focus["name"] == "body":
            break  # around the page once (past its last control, the focus leaves the document)
        walked.append((focus["name"], focus["shown"]))
    assert len(walked) >= 20, walked  # the walk really went through the page
    assert [name for name, shown in walked if not shown] == []
