"""The inbox's reconnection in a real browser: after an outage, back and resynced within 5 s.

``make chaos`` measures this with Redis killed under 20 inboxes (``tests/chaos/redis_outage.py``), through
``tests/chaos/wsclient.py``; here the page itself (``static/js/live.js``) is held to the
same bound, the outage played by Playwright refusing its websockets. A module of its own: the outage
leaves the server without websockets for ~12 s, so it gets a server of its own.
"""

from __future__ import annotations

import itertools
import re
import time

import pytest

from tests.browser import ALICE, login, wait_live

pytestmark = pytest.mark.browser


def test_after_an_outage_the_page_tries_again_within_4_s_and_is_resynced_within_5_s(inbox_server, new_tab):
    """The live connection drops, then four attempts in a row fail (the server cannot take websockets:
    Redis down) — the waits double up to 4 s and no further; once the server takes websockets again
    the next attempt comes within 4 s and the page is live and resynced within 5 s. Every wait is at
    the top of its range (``Math.random`` pinned to 0: no shortening): the worst case."""
    page = new_tab().page
    page.add_init_script("Math.random = () => 0;")
    refuse = False
    attempts: list[float] = []  # when the page opened each websocket after the drop (time.monotonic)
    served = []
    syncs: list[float] = []

    def route(ws) -> None:
        if refuse:
            attempts.append(time.monotonic())
            ws.close(code=1011)  # the page sees a close without an open, as for a refused handshake
        else:
            if served:
                attempts.append(time.monotonic())
            served.append((ws, ws.connect_to_server()))

    page.route_web_socket(re.compile(r"/ws/inbox/"), route)
    page.on("requestfinished", lambda r: syncs.append(time.monotonic()) if "/inbox/sync/" in r.url else None)
    login(page, inbox_server, ALICE)
    refuse = True
    page_side, server_side = served[-1]  # the server's Redis died under it: the connection drops
    server_side.close(code=1000)  # (a browser may only close with 1000 or 3000-4999)
    page_side.close(code=1011)
    deadline = time.monotonic() + 20
    while len(attempts) < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # Playwright calls the route meanwhile
    refuse = False
    back = time.monotonic()
    wait_live(page, timeout=10000)  # (the assertions below say by how much a regression missed)
    deadline = time.monotonic() + 5
    while not [t for t in syncs if t > back] and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    resynced = min((t for t in syncs if t > back), default=float("inf"))
    waits = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 5, attempts  # four refused, the fifth served
    assert waits[-2] > 3.5  # the waits reached their ceiling …
    assert max(waits) <= 4.0 + 0.25, waits  # … and it is 4 s (+ scheduling slack on a busy machine)
    assert resynced - back <= 5.0, resynced - back


def test_the_chaos_client_waits_between_attempts_as_the_page_does(inbox_server, new_tab):
    """``make chaos`` measures resync times with ``tests/chaos/wsclient.py``: it must follow live.js."""
    from tests.chaos.wsclient import reconnect_delay

    page = new_tab().page
    login(page, inbox_server, ALICE)
    cases = [(retry, random) for retry in range(12) for random in (0.0, 0.5, 0.999999)]
    live = page.evaluate("JSON.parse(document.getElementById('inbox-config').textContent).live")
    got = page.evaluate(
        """async ([cases, live]) => {
            const script = document.querySelector('script[type="module"][src*="inbox"]').src;
            const { backoffDelay } = await import(new URL("live.js", script).href);
            return cases.map(([retry, random]) => backoffDelay(retry, live, () => random));
        }""",
        [cases, live],
    )
    assert got == pytest.approx([reconnect_delay(retry, random, live) * 1000 for retry, random in cases])
    assert max(got) <= 4000
