"""The retry storm: Twilio delivering everything several times, at once, out of order — and what must survive it.

Inbound messages are each posted ``copies`` times; outbound messages' status callbacks are each
posted 2–3 times; all of it shuffled and sent by ``threads`` threads (each with its own database
connection) through the real webhook views, with valid signatures. Afterwards the database,
the audit trail and the live events heard on the real channel layer are checked against what
was sent. ``run_storm`` is the entry point for tests and for ``make chaos``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection, connections
from django.test import Client

from tests.reliability.live import LiveRecorder
from tests.reliability.plan import Plan, Post, build_plan, webhook_base
from tests.reliability.status_log import StatusChangeLog
from tests.reliability.verify import check_events, check_inbound, check_outbound

FORM = "application/x-www-form-urlencoded"


@dataclass
class StormResult:
    """The figures of one storm; ``ok`` when nothing was lost, duplicated, wrong, announced twice or left stale.

    ``live_unread_stale`` counts conversations an open inbox would end on with another unread
    count than stored, applying the rows it heard by their ``version`` as the inbox does
    (``test_live_order.py`` forces the interleaving that made this happen before versions).
    """

    inbound: int
    copies: int
    outbound: int
    threads: int
    seed: int
    sent: int = 0  # webhook posts made (inbound copies + status callbacks)
    status_posts: int = 0
    raced_inbound: int = 0  # inbound messages with two copies in flight at once
    raced_outbound: int = 0  # outbound messages with two callbacks in flight at once
    stored: int = 0  # distinct inbound messages stored
    duplicated: int = 0  # inbound rows beyond one per message
    lost: int = 0  # inbound messages not stored
    server_errors: int = 0  # 5xx answers
    other_errors: int = 0  # answers neither 200 nor 5xx, or requests that raised
    unread_wrong: int = 0  # conversations whose unread count is not what arrived for them
    live_unread_stale: int = 0  # conversations whose live row (applied by version) shows another unread count
    wrong_final_status: int = 0  # outbound messages not in their true final status (or SID, error code)
    audit_wrong: int = 0  # messages whose audit trail is not one event per distinct fact
    status_changes: int = 0  # forward moves the database committed (trigger log)
    events_expected: dict[str, int] = field(default_factory=dict)
    events_received: dict[str, int] = field(default_factory=dict)
    events_missing: int = 0
    events_duplicated: int = 0
    events_unexpected: int = 0
    elapsed: float = 0.0  # seconds from the first post to the last answer
    setup_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # the first concrete failures, for the report

    @property
    def ok(self) -> bool:
        return not any(
            (
                self.lost,
                self.duplicated,
                self.server_errors,
                self.other_errors,
                self.unread_wrong,
                self.live_unread_stale,
                self.wrong_final_status,
                self.audit_wrong,
                self.events_missing,
                self.events_duplicated,
                self.events_unexpected,
            )
        )

    def summary(self) -> str:
        """The figures on one line."""
        events = ", ".join(
            f"{name.split('.', 1)[-1]} {self.events_received.get(name, 0)}/{expected}"
            for name, expected in self.events_expected.items()
        )
        return (
            f"retry storm (seed {self.seed}, {self.threads} threads): {self.inbound} inbound × {self.copies} + "
            f"{self.outbound} outbound ({self.status_posts} callbacks) | sent {self.sent} | "
            f"raced {self.raced_inbound} inbound, {self.raced_outbound} outbound | "
            f"stored {self.stored}/{self.inbound} | duplicated {self.duplicated} | lost {self.lost} | "
            f"5xx {self.server_errors} | other errors {self.other_errors} | unread wrong {self.unread_wrong} | "
            f"live unread stale {self.live_unread_stale} | "
            f"wrong final status {self.wrong_final_status}/{self.outbound} | audit wrong {self.audit_wrong} | "
            f"status changes {self.status_changes} | live events {sum(self.events_received.values())}/"
            f"{sum(self.events_expected.values())} expected ({events}; missing {self.events_missing}, "
            f"duplicated {self.events_duplicated}, unexpected {self.events_unexpected}) | "
            f"{self.elapsed:.1f} s (setup {self.setup_seconds:.1f} s)"
        )


def _check_connections(threads: int) -> None:
    if connection.in_atomic_block:
        raise RuntimeError(
            "run_storm needs its setup committed so its threads see it: call it outside a transaction "
            "(in pytest, @pytest.mark.django_db(transaction=True))"
        )
    pool = connection.settings_dict.get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict) and threads >= pool.get("max_size", threads + 1):
        raise ValueError(f"{threads} threads need {threads + 1} pooled connections; the pool has {pool['max_size']}")


@dataclass(frozen=True)
class Answer:
    post: Post
    status: int  # 0 when the request raised
    error: str
    started: float
    ended: float


def _fire(posts: list[Post], threads: int) -> tuple[list[Answer], float]:
    """Post everything from ``threads`` threads started together; return each answer and the seconds taken."""
    _, host, secure = webhook_base()
    answers: list[Answer] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    taken = itertools.count()  # next() on a count is atomic

    def work() -> None:
        client = Client(raise_request_exception=False, HTTP_HOST=host)
        mine: list[Answer] = []
        try:
            barrier.wait(timeout=30)
            while (index := next(taken)) < len(posts):
                post = posts[index]
                path = f"{post.path}?{post.query}" if post.query else post.path
                started = time.monotonic()
                try:
                    response = client.post(
                        path,
                        data=urlencode(list(post.params.items())),
                        content_type=FORM,
                        secure=secure,
                        headers={
                            "X-Twilio-Signature": post.signature,
                            "I-Twilio-Idempotency-Token": post.token,
                            "User-Agent": "TwilioProxy/1.1",
                        },
                    )
                    status, error = response.status_code, ""
                    if status != 200:
                        exc = getattr(response, "exc_info", None)
                        error = repr(exc[1]) if exc else response.content[:200].decode(errors="replace")
                except Exception as exc:  # a request that raised is an error of its own, not a lost thread
                    status, error = 0, repr(exc)
                mine.append(Answer(post, status, error, started, time.monotonic()))
        finally:
            with lock:
                answers.extend(mine)
            connections.close_all()

    workers = [threading.Thread(target=work, name=f"storm-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=30)
    started = time.monotonic()
    for worker in workers:
        worker.join()
    return answers, time.monotonic() - started


def _raced(answers: list[Answer], kind: str) -> int:
    """How many messages had two of their posts in flight at the same moment."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for answer in answers:
        if answer.post.kind == kind:
            spans.setdefault(answer.post.params["MessageSid"], []).append((answer.started, answer.ended))
    raced = 0
    for intervals in spans.values():
        intervals.sort()
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(intervals)):
            raced += 1
    return raced


def _tally_answers(result: StormResult, answers: list[Answer]) -> None:
    result.sent = len(answers)
    result.status_posts = sum(1 for a in answers if a.post.kind == "status")
    result.raced_inbound = _raced(answers, "inbound")
    result.raced_outbound = _raced(answers, "status")
    for answer in answers:
        if answer.status == 200:
            continue
        if answer.status >= 500:
            result.server_errors += 1
        else:
            result.other_errors += 1
        if len(result.problems) < 20:
            result.problems.append(
                f"{answer.post.kind} {answer.post.params['MessageSid']} answered {answer.status}: {answer.error}"
            )


def run_storm(
    *,
    inbound: int = 2000,
    copies: int = 3,
    outbound: int = 1000,
    threads: int = 8,
    seed: int = 0,
    quiet: float = 1.0,
    progress: Callable[[str], Any] | None = None,
) -> StormResult:
    """Run one retry storm through the real webhooks and return its figures (see ``StormResult``).

    Contract for callers (tests, ``make chaos``; from a shell: ``python -m tests.reliability``):

    - Django is set up (``django.setup()``), the database migrated and reachable, the channel
      layer the one under test (Redis with ``REDIS_URL``; the in-memory layer works too, within
      this process: while listening, publishes are routed to the listener's loop as the embedded
      server does). Requests go to ``testserver`` (``ALLOWED_HOSTS`` must admit it) or, with
      ``PUBLIC_BASE_URL`` set, to its host, signed over it; HTTPS when it is https or when
      ``SECURE_SSL_REDIRECT`` is on.
    - Call it outside any transaction: setup is committed so the threads see it. With a
      connection pool, ``threads`` must be below ``DB_POOL_MAX_SIZE`` (this thread keeps one).
    - No task worker should run on the database meanwhile: outbound messages are stored with
      ``message_send`` (their delivery task stays queued) and bound to their SIDs by their
      callbacks' ``?m=<id>``.
    - It creates a fresh organization (its own Twilio number) and leaves its data in place;
      while it runs, a trigger and a table of its own log status changes (dropped at the end;
      creating the trigger briefly locks ``messaging_message`` against writes).
    - ``seed`` fixes contacts, bodies, outcomes and the order of posts (SIDs are random).
    - It raises only for a call it cannot honour (inside a transaction, pool too small, no
      channel layer). A failed check is a figure of the result: ``result.ok`` is true when all
      of them are zero; ``result.problems``
      names the first failures; ``result.summary()`` is the one-line report.
    """
    say = progress or (lambda _: None)
    _check_connections(threads)
    result = StormResult(inbound=inbound, copies=copies, outbound=outbound, threads=threads, seed=seed)
    started = time.monotonic()
    plan: Plan = build_plan(inbound=inbound, copies=copies, outbound=outbound, seed=seed)
    result.setup_seconds = time.monotonic() - started
    say(f"setup: {len(plan.posts)} posts for organization {plan.organization.pk} in {result.setup_seconds:.1f} s")

    with StatusChangeLog(plan.organization.pk) as status_log:
        with LiveRecorder(plan.organization.pk, quiet=quiet) as recorder:
            answers, result.elapsed = _fire(plan.posts, threads)
            say(f"storm: {len(answers)} posts answered in {result.elapsed:.1f} s; waiting for live events")
            received = recorder.stop()
        changes = status_log.changes()
    result.status_changes = len(changes)
    _tally_answers(result, answers)
    stored = check_inbound(plan, result)
    check_outbound(plan, result, changes)
    check_events(plan, result, received, stored, changes)
    say(result.summary())
    return result
