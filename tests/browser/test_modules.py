"""The inbox's ES modules, loaded in Chromium from the live server's static files (no Node: "only Python").

Their pure functions are imported with ``import()`` inside the logged-in inbox page and asserted here,
against Python's own rules where there are two sides: segment counting against ``messaging.segments``
on the same texts (the composer counts with the tables the server hands it), status ranks against
``messaging.statuses``, the version rule against ``conversation_payload``'s.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, body_length, segment_info
from messaging.statuses import STATUS_RANK
from tests.browser import ALICE, login

pytestmark = pytest.mark.browser

# Imports every module by its URL next to the page's entry script; returns them by name.
IMPORT_JS = """async () => {
  const entry = document.querySelector('script[type=module][src*="/js/inbox.js"]').src;
  const names = ["config", "list", "thread", "times", "live", "composer", "templates", "segments", "http", "keyboard",
    "idle"];
  const modules = await Promise.all(names.map((name) => import(new URL(`${name}.js`, entry))));
  window.__modules = Object.fromEntries(names.map((name, i) => [name, modules[i]]));
  return names.filter((name, i) => Object.keys(modules[i]).length === 0);
}"""


def texts_to_count() -> list[str]:
    """Texts at every boundary of both encodings, and random mixes of GSM-7, its extension and beyond."""
    texts = ["", "hello", "a" * 160, "a" * 161, "a" * 306, "a" * 307, "a" * 1600, "€" * 80, "€" * 81]
    texts += ["^{}\\[~]|€\f", "Ça va? ñ ü à é ù", "ç" * 70, "ç" * 71, "ç" * 134, "ç" * 135, "Привет, мир"]
    texts += ["😀" * 35, "😀" * 36, "Hi 😀 there", "line one\nline two\r\nthree", "Ωmega ΔΦΓΛ", "naïve café"]
    # A character never straddles two segments: these are 3 segments, not 2.
    texts += ["a" * 152 + "€" + "a" * 152, "{" * 153, "1" * 66 + "😀" + "1" * 66, "😀" * 67, "😀" * 800, "😀" * 801]
    rng = random.Random(5)
    alphabet = sorted(GSM7_BASIC) + sorted(GSM7_EXTENSION) + list("çñÿ你好😀🎉—“”")
    for _ in range(60):
        mostly_gsm = rng.random() < 0.6
        pool = sorted(GSM7_BASIC | GSM7_EXTENSION) if mostly_gsm else alphabet
        texts.append("".join(rng.choice(pool) for _ in range(rng.randint(0, 400))))
    return texts


def test_segment_counting_in_the_browser_matches_the_server(inbox_server, new_tab):
    page = new_tab().page
    login(page, inbox_server, ALICE)
    assert page.evaluate(IMPORT_JS) == []
    texts = texts_to_count()
    counted = page.evaluate(
        """(texts) => {
          const { readConfig } = window.__modules.config;
          const { compileRules, segmentInfo } = window.__modules.segments;
          const rules = compileRules(readConfig().segments);
          return texts.map((text) => segmentInfo(text, rules));
        }""",
        texts,
    )
    for text, js in zip(texts, counted, strict=True):
        py = segment_info(text)
        assert (js["encoding"], js["characters"], js["length"], js["units"], js["segments"]) == (
            py.encoding,
            py.characters,
            body_length(text),
            py.units,
            py.segments,
        ), text


def test_the_pure_functions_of_the_modules(inbox_server, new_tab):
    page = new_tab().page
    login(page, inbox_server, ALICE)
    assert page.evaluate(IMPORT_JS) == []
    statuses = list(STATUS_RANK)
    got: dict[str, Any] = page.evaluate(
        """(statuses) => {
          const { config, list, thread, times, live, composer, templates, http } = window.__modules;
          const { rank, label } = config.statusTables(config.readConfig().statuses);
          const format = times.formatters("America/New_York");
          const now = Date.parse("2026-03-10T12:00:00Z");
          const ago = (seconds) => times.relativeText(new Date(now - seconds * 1000), now, format);
          const live_ = { reconnectBaseMs: 500, reconnectMaxMs: 4000, reconnectJitter: 0.25 };
          const ctx = { conversation: 4, user: 9 };
          return {
            advances: statuses.flatMap((a) => statuses.map((b) => [a, b, thread.isAdvance(a, b, rank)])),
            advanceFromNothing: thread.isAdvance(undefined, "pending", rank),
            labels: label,
            apply: [[1, undefined], [1, 2], [2, 2], [3, 2]].map(([v, shown]) => list.shouldApply(v, shown)),
            filters: [
              list.matchesFilter({ id: 1, unreadCount: 0 }, "unread", ctx),
              list.matchesFilter({ id: 4, unreadCount: 0 }, "unread", ctx),
              list.matchesFilter({ id: 1, unreadCount: 2 }, "unread", ctx),
              list.matchesFilter({ status: "closed" }, "open", ctx),
              list.matchesFilter({ status: "closed" }, "closed", ctx),
              list.matchesFilter({ assigneeId: 9 }, "mine", ctx),
              list.matchesFilter({ assigneeId: 8 }, "mine", ctx),
              list.matchesFilter({ assigneeId: null }, "unassigned", ctx),
              list.matchesFilter({ assigneeId: 8 }, "all", ctx),
            ],
            insertAt: [
              list.insertionIndex(["2026-03-10T12:00:00Z", "2026-03-10T10:00:00Z"], "2026-03-10T11:00:00+00:00"),
              list.insertionIndex(["2026-03-10T12:00:00Z"], "2026-03-10T13:00:00+00:00"),
              list.insertionIndex(["2026-03-10T12:00:00Z"], "2026-03-10T09:00:00+00:00"),
              list.insertionIndex([], "2026-03-10T09:00:00+00:00"),
            ],
            titles: [list.titleWithUnread("(3) Inbox · Acme", 0), list.titleWithUnread("Inbox · Acme", 5)],
            relative: [20, -20, 5 * 60, 3 * 3600, -2 * 3600, 86400, 3 * 86400, 10 * 86400].map(ago),
            delays: [0, 1, 3, 10].flatMap((retry) => [0, 0.5, 1].map((r) => live.backoffDelay(retry, live_, () => r))),
            since: live.nextSince("2026-03-10T12:00:05+00:00", 5000),
            socket: [live.socketUrl({ protocol: "https:", host: "inbox.example" }, "/ws/inbox/?organization=1"),
                     live.socketUrl({ protocol: "http:", host: "127.0.0.1:8000" }, "/ws/inbox/")],
            counters: [composer.counterText({ length: 1, segments: 1, encoding: "GSM-7" }, 1600),
                       composer.counterText({ length: 200, segments: 2, encoding: "UCS-2" }, 1600)],
            media: composer.mediaUrls("  https://a.example/1.png\\nhttps://b.example/2.png  "),
            keys: new Set([composer.newIdempotencyKey(), composer.newIdempotencyKey()]).size,
            attachments: [thread.attachmentLabel(0, "image/png"), thread.attachmentLabel(2, "")],
            filled: [templates.fillText("Assigned to {assigneeName}", { assigneeName: "{body} <b>" }),
                     templates.fillText("{a}{missing}", { a: null }),
                     templates.fillText("{unreadCount} unread", { unreadCount: 0 })],
            url: config.urlFor("/c/{id}/?filter=open", 12),
            zones: ["America/New_York", "Etc/GMT+5", "x; path=/", ""].map(times.timeZoneCookie),
            csrf: [http.csrfToken("a=1; csrftoken=abc%3D; b=2"), http.csrfToken("a=1")],
            failedFilter: [list.matchesFilter({ lastOutboundFailed: true }, "failed", ctx),
                           list.matchesFilter({ lastOutboundFailed: false }, "failed", ctx)],
            nearEnd: [thread.isNearEnd({ scrollHeight: 1000, scrollTop: 500, clientHeight: 460 }),
                      thread.isNearEnd({ scrollHeight: 1000, scrollTop: 400, clientHeight: 460 })],
            bodyText: (() => {
              const p = document.createElement("p");
              templates.setLines(p, "a\\nb <i>");
              return thread.bodyText(p);
            })(),
            drafts: (() => {
              const memory = new Map();
              const store = composer.draftStore({
                getItem: (k) => memory.get(k) ?? null,
                setItem: (k, v) => memory.set(k, v),
                removeItem: (k) => memory.delete(k),
              });
              const key = composer.draftKey(1, 7);
              store.save(key, "hello");
              const kept = store.load(key);
              store.save(key, "");
              const no = () => { throw new Error("no"); };
              const refusing = composer.draftStore({ getItem: no, setItem: no });
              refusing.save(key, "x");
              return [key, kept, store.load(key), memory.size, refusing.load(key)];
            })(),
          };
        }""",
        statuses,
    )
    assert [advance for *_, advance in got["advances"]] == [
        STATUS_RANK[b] > STATUS_RANK[a] for a, b, _ in got["advances"]
    ]
    assert got["advanceFromNothing"] is True
    assert got["labels"]["partially_delivered"] == "Partially delivered"
    assert got["apply"] == [True, False, True, True]  # strictly older dropped, equal applied
    assert got["filters"] == [False, True, True, False, True, True, False, True, True]
    assert got["insertAt"] == [1, 0, -1, -1]
    assert got["titles"] == ["Inbox · Acme", "(5) Inbox · Acme"]
    assert got["relative"] == [
        "just now",
        "just now",
        "5 minutes ago",
        "3 hours ago",
        "in 2 hours",
        "yesterday",
        "3 days ago",
        "Feb 28, 7:00 AM",
    ]
    # min(4 s, 0.5 s × 2^retry), shortened by up to 25 %: never over the cap.
    assert got["delays"] == pytest.approx([500, 437.5, 375, 1000, 875, 750, 4000, 3500, 3000, 4000, 3500, 3000])
    assert got["since"] == "2026-03-10T12:00:00.000Z"
    assert got["socket"] == ["wss://inbox.example/ws/inbox/?organization=1", "ws://127.0.0.1:8000/ws/inbox/"]
    assert got["counters"] == ["1 / 1600 · 1 segment · GSM-7", "200 / 1600 · 2 segments · UCS-2"]
    assert got["media"] == ["https://a.example/1.png", "https://b.example/2.png"]
    assert got["keys"] == 2
    assert got["attachments"] == ["Attachment 1 (image/png)", "Attachment 3"]
    assert got["filled"] == ["Assigned to {body} <b>", "{missing}", "0 unread"]  # values are never expanded again
    assert got["url"] == "/c/12/?filter=open"
    cookie = "; path=/; max-age=31536000; samesite=lax"
    assert got["zones"] == [f"tz=America/New_York{cookie}", f"tz=Etc/GMT+5{cookie}", None, None]
    assert got["csrf"] == ["abc=", ""]
    assert got["failedFilter"] == [True, False]
    assert got["nearEnd"] == [True, False]
    assert got["bodyText"] == "a\nb <i>"
    assert got["drafts"] == ["smsinbox:draft:1:7", "hello", "", 0, ""]


def test_the_idle_warnings_timing_and_wording(inbox_server, new_tab):
    """``idle.js``: when to ask the server again (a minute before the end, at least every 5 minutes) and what the
    dialog says (``smsinbox.session_limits``)."""
    page = new_tab().page
    login(page, inbox_server, ALICE)
    assert page.evaluate(IMPORT_JS) == []
    got = page.evaluate(
        """() => {
          const { nextCheckMs, warningText, WARN_SECONDS } = window.__modules.idle;
          return {
            warn: WARN_SECONDS,
            waits: [nextCheckMs(1800), nextCheckMs(100), nextCheckMs(60), nextCheckMs(5), nextCheckMs(null)],
            texts: [warningText(59.2, true), warningText(-3, false)],
          };
        }"""
    )
    assert got["warn"] == 60
    assert got["waits"] == [300_000, 40_000, 0, 0, 300_000]
    assert got["texts"] == [
        "You'll be signed out in 60 s because of inactivity.",
        "You'll be signed out in 0 s: sessions have a maximum length. Save your work and sign in again.",
    ]


def test_the_opt_out_reason_of_a_live_row_is_written_as_the_server_writes_it_in_the_viewers_zone(inbox_server, new_tab):
    """A live row is built in the server's zone; the page rewrites its time in the viewer's, in the very
    words and format the page itself renders (``opt_out_reason`` under the viewer's zone)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from conversations.models import Contact
    from conversations.payloads import opt_out_reason, opt_out_reason_parts

    contact = Contact(
        first_name="Ana",
        phone="+14155550123",
        opted_out_at=datetime(2026, 12, 1, 5, 32, tzinfo=UTC),
        opt_out_method=Contact.OptOutMethod.KEYWORD,
        opt_out_keyword="STOP",
    )
    page = new_tab().page
    login(page, inbox_server, ALICE)
    assert page.evaluate(IMPORT_JS) == []
    for zone in ("America/New_York", "Asia/Kolkata", "UTC"):
        with timezone.override("UTC"):
            row = {"optOutReason": opt_out_reason(contact), "optOutReasonParts": opt_out_reason_parts(contact)}
        written = page.evaluate(
            """([row, zone]) => {
              const { composer, times } = window.__modules;
              return composer.optOutText(row, times.formatters(zone));
            }""",
            [row, zone],
        )
        with timezone.override(zone):
            assert written == opt_out_reason(contact)
    assert (
        page.evaluate(
            "() => window.__modules.composer.optOutText({ optOutReason: 'old', optOutReasonParts: null }, {})"
        )
        == "old"
    )
