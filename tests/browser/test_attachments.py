"""Attachments in the browser (issue 17): alice attaches a picture with the file picker (from the keyboard), sees
its chip, sends it; the emulator fetches its public URL as Twilio does, and the sent bubble shows the picture as a
thumbnail. A picture over the 5 MB a text can carry is refused clearly and "Send images smaller" re-encodes it.
Screenshots at desktop and phone widths (``/tmp/shots-attach/``), no serious or critical axe violation, no
horizontal scroll.
"""

from __future__ import annotations

import base64
import os
import random
import re
import secrets
import struct
import zlib
from pathlib import Path

import pytest

from tests.browser import ALICE, expect, login, new_contact, open_thread
from tests.browser.test_accessibility import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ATTACH_SHOTS", "/tmp/shots-attach"))  # noqa: S108 (where the team looks at them)
WIDTHS = [pytest.param(1366, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def png(width: int, height: int, pixel=None) -> bytes:
    """An RGB PNG: ``pixel(x, y)`` → (r, g, b), or noise (``pixel=None``) that does not compress."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    if pixel is None:
        rows = b"".join(b"\x00" + random.randbytes(width * 3) for _ in range(height))
    else:
        rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


def picture() -> bytes:
    return png(160, 120, lambda x, y: (30, 110, 200) if (x // 20 + y // 20) % 2 else (240, 180, 40))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def pick_by_keyboard(page, files: dict) -> None:
    """Enter on the focused Attach button opens the file chooser; ``files`` go into it. In the full suite the
    first chooser of a run was twice not reported within 15 s (it was in every run of the file alone): Enter is
    pressed again, at most three times, before failing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.locator("#attach-button")
    expect(button).to_be_visible()
    for attempt in range(3):
        try:
            with page.expect_file_chooser(timeout=7_000) as chooser:
                button.press("Enter")  # focuses the button, then the key
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    chooser.value.set_files(files)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_attach_a_picture_send_it_and_see_its_thumbnail(inbox_server, emulator, new_tab, width, height):
    label = "desktop" if width > 700 else "phone"
    token = secrets.token_hex(3)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Can you send me the x-ray? {token}")
    page = new_tab(width=width, height=height).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)

    # The picker, from the keyboard: the button opens the file chooser (shown once the composer's script ran).
    pick_by_keyboard(page, {"name": "x-ray.png", "mimeType": "image/png", "buffer": picture()})
    chip = page.locator("#attachment-chips li").filter(has_text="x-ray.png")
    expect(chip.locator(".attachment-state")).to_have_text("")  # uploaded
    expect(page.locator("#attachment-said")).to_have_text("x-ray.png attached.")
    expect(chip.get_by_role("button", name="Remove x-ray.png")).to_be_visible()
    page.locator("#body").fill(f"Here it is {token}")
    shot(page, f"{label}-attached")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    page.locator("#send").click()
    bubble = page.locator("#messages li.message.out").filter(has_text=f"Here it is {token}")
    expect(bubble.locator(".status")).to_have_text(re.compile("Sent|Delivered"), timeout=20_000)
    expect(page.locator("#attachment-chips li")).to_have_count(0)
    sent = [m for m in emulator.messages(direction="outbound-api") if token in m["body"]]
    assert len(sent) == 1
    assert sent[0]["num_media"] == "1"
    fetched = [f for f in emulator.media_fetches if f["sid"] == sent[0]["sid"]]
    assert len(fetched) == 1
    assert fetched[0]["status"] == "fetched"
    assert fetched[0]["url"].startswith(f"{inbox_server.url}/m/")
    assert fetched[0]["url"].endswith("/x-ray.png")
    thumbnail = bubble.locator("a.media img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 160", arg=thumbnail.element_handle())
    assert "/m/" not in thumbnail.get_attribute("src")  # staff see it through the authenticated route
    shot(page, f"{label}-sent")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


def test_over_5_mb_is_refused_clearly_and_images_can_be_sent_smaller(inbox_server, emulator, new_tab):
    token = secrets.token_hex(3)
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body=f"Photos please {token}")
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)

    noisy = png(1500, 1400)  # about 6 MB of noise: over Twilio's 5 MB
    assert len(noisy) > 5 * 1024 * 1024
    page.locator("#attach-input").set_input_files({"name": "scan.png", "mimeType": "image/png", "buffer": noisy})
    error = page.locator("#attachment-error")
    expect(error).to_contain_text(re.compile(r"Attachments total 6\.\d MB; a text message can carry at most 5\.0 MB"))
    shrink = page.get_by_role("button", name="Send images smaller")
    expect(shrink).to_be_visible()
    page.locator("#body").fill(f"Scan {token}")
    page.locator("#send").click()
    expect(page.locator("#composer-error")).to_contain_text("a text message can carry at most 5.0 MB")
    shot(page, "desktop-too-large")
    assert axe_violations(page) == []

    shrink.click()
    chip = page.locator("#attachment-chips li").filter(has_text="scan.jpg")
    expect(chip.locator(".attachment-state")).to_have_text("", timeout=20_000)
    expect(error).to_be_hidden()
    expect(page.locator("#attachment-chips li")).to_have_count(1)
    shot(page, "desktop-smaller")
    page.locator("#send").click()
    bubble = page.locator("#messages li.message.out").filter(has_text=f"Scan {token}")
    expect(bubble.locator(".status")).to_have_text(re.compile("Sent|Delivered"), timeout=20_000)
    sent = [m for m in emulator.messages(direction="outbound-api") if token in m["body"]]
    fetched = [f for f in emulator.media_fetches if f["sid"] == sent[0]["sid"]]
    assert [f["status"] for f in fetched] == ["fetched"]
    assert fetched[0]["size"] < 5 * 1024 * 1024


DROP_AND_PASTE_JS = """async ([png, kind]) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], kind === "drop" ? "dropped.png" : "image.png", { type: "image/png" }));
  if (kind === "drop") {
    const composer = document.getElementById("composer");
    composer.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    composer.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  } else {
    const body = document.getElementById("body");
    body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
  }
}"""


def test_drop_and_paste_attach_and_remove_is_keyboard_operable_and_announced(inbox_server, emulator, new_tab):
    contact = new_contact()
    inbox_server.post_inbound(from_=contact, body="Send me both")
    page = new_tab(width=1366, height=800).page
    login(page, inbox_server, ALICE)
    open_thread(page, inbox_server, contact)
    expect(page.locator("#attach-button")).to_be_visible()  # the composer's script listens for drops and pastes
    data = base64.b64encode(picture()).decode()
    page.evaluate(DROP_AND_PASTE_JS, [data, "drop"])
    page.evaluate(DROP_AND_PASTE_JS, [data, "paste"])
    chips = page.locator("#attachment-chips li")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_contain_text("dropped.png")
    expect(chips.nth(1)).to_contain_text(re.compile(r"pasted-\d+-0\.png"))
    expect(chips.nth(1).locator(".attachment-state")).to_have_text("")
    remove = chips.nth(0).get_by_role("button", name="Remove dropped.png")
    remove.focus()
    page.keyboard.press("Enter")
    expect(chips).to_have_count(1)
    expect(page.locator("#attachment-said")).to_have_text("dropped.png removed.")
    assert page.evaluate("document.activeElement.classList.contains('attachment-remove')")  # focus stays in the chips
    page.locator("#send").click()
    bubble = page.locator("#messages li.message.out").last
    expect(bubble.locator(".status")).to_have_text(re.compile("Sent|Delivered"), timeout=20_000)
    expect(bubble.locator("a.media img")).to_have_count(1)
    assert axe_violations(page) == []
