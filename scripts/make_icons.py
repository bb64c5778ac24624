"""Render the app's PNG icons from our own SVGs (static/img/icon*.svg) with the test tools' Chromium.

    .venv/bin/python scripts/make_icons.py

Writes static/img/icon-192.png, icon-512.png and icon-maskable-512.png (the manifest's and the home screen's).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parent.parent / "static" / "img"
ICONS = [
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable.svg", "icon-maskable-512.png", 512),
]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for source, target, size in ICONS:
            page = browser.new_page(viewport={"width": size, "height": size})
            svg = (IMG / source).read_text()
            page.set_content(
                "<style>html,body{margin:0;background:transparent}svg{display:block;width:100vw;height:100vh}</style>"
                + svg
            )
            page.screenshot(path=str(IMG / target), omit_background=True)
            page.close()
            print(f"wrote {target} ({size}x{size})")
        browser.close()


if __name__ == "__main__":
    main()
