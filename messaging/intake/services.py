"""Keep, apply and replay Twilio's webhook posts: one path from a signed post to its stored result.

Both intakes (``settings.WEBHOOK_INTAKE``) go through here, so each rule has one implementation:

- ``posted_parse`` reads a signed post (``messaging.twilio.payloads``: ``MalformedWebhook`` for what
  cannot be used) and names it (route and key);
- ``posted_apply`` stores what it says through ``message_receive`` / ``message_status_update`` — both
  idempotent, so a post applied twice changes nothing the second time;
- **direct**: the webhook applies the post before it answers; a post whose apply raised a bug is kept
  (``webhook_post_keep`` with the error), so it can be replayed after the fix;
- **store-first**: the webhook keeps the post (``webhook_post_keep``: one ``INSERT … ON CONFLICT DO
  NOTHING``) and answers; processors (``messaging.intake.processor``) apply pending posts
  (``webhook_posts_apply``).

The lock: a processor applies each post in a transaction of its own that first locks the post's row
(``SELECT … FOR UPDATE SKIP LOCKED``; another processor skips it, never waits for it), applies it (in a
savepoint: a bug rolls back the apply only) and marks it applied, then commits. So a post is marked applied
in the same commit as what it stored, and a processor killed at any point leaves its post unlocked and
unapplied (its transaction dies with its connection), for the next processor to take at once. A post whose
apply raised is not tried again before ``not_before`` (a backoff).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from messaging.inputs import IncomingMessage, MessageReport
from messaging.intake.models import WebhookPost
from messaging.services import UnknownNumber, message_receive, message_status_update
from messaging.twilio.payloads import MalformedWebhook, parse_inbound, parse_status_callback
from smsinbox.ops.health import check_backlog

logger = logging.getLogger(__name__)

Route = WebhookPost.Route
TRANSIENT = (OperationalError, InterfaceError)  # the database went away: try the post again, no attempt counted
RETRY_CAP_SECONDS = 300


@dataclass(frozen=True)
class Posted:
    """A signed, well-formed post: what is kept, and what applying it needs."""

    route: str
    key: str
    fields: dict[str, Any]  # ``raw_fields`` of the post: JSON-able, repeated fields as lists
    our_message_id: int | None
    parsed: IncomingMessage | MessageReport


def posted_parse(*, route: str, fields: Mapping[str, Any], query: Mapping[str, Any]) -> Posted:
    """Parse a post of ``route``; raise ``MalformedWebhook`` for one that cannot be used."""
    if route == Route.INBOUND:
        sms = parse_inbound(fields)
        return Posted(route=route, key=sms.message_sid, fields=sms.raw, our_message_id=None, parsed=sms)
    report = parse_status_callback(fields, query)
    key = f"{report.sid}:{report.status}:{report.error_code or ''}:{report.our_message_id or ''}"[:120]
    return Posted(route=route, key=key, fields=report.raw, our_message_id=report.our_message_id, parsed=report)


def posted_apply(*, posted: Posted) -> str:
    """Store what the post says; return the outcome. Raises ``UnknownNumber`` for a number nobody owns."""
    if isinstance(posted.parsed, IncomingMessage):
        sms = posted.parsed
        result = message_receive(sms=sms)
        if not result.created:  # a stored one is logged by the service
            logger.info(
                "inbound %s repeated: already stored as message %s", sms.message_sid, result.message.pk,
                extra={"message_sid": sms.message_sid, "message_id": result.message.pk, "outcome": "repeated"},
            )  # fmt: skip
        return "stored" if result.created else "repeated"
    status = message_status_update(report=posted.parsed)  # logs the event with its MessageSid and message id
    return "unknown_message" if status.message is None else "recorded" if status.recorded else "repeated"


def webhook_post_keep(*, posted: Posted, error: str = "") -> bool:
    """Keep the post, once per (route, key), in one statement; return whether it was new.

    With ``error`` (direct intake: applying it raised a bug) it is kept as failed, waiting for a replay.
    """
    post = WebhookPost(
        route=posted.route,
        key=posted.key,
        fields=posted.fields,
        our_message_id=posted.our_message_id,
        error=error[:2000],
        attempts=settings.INTAKE_MAX_ATTEMPTS if error else 0,
    )
    return _insert_once(post)


def _insert_once(post: WebhookPost) -> bool:
    """``INSERT … ON CONFLICT (route, key) DO NOTHING RETURNING id`` (PostgreSQL, SQLite ≥ 3.35): one statement.

    Not ``bulk_create(ignore_conflicts=True)``, which cannot tell a new row from an ignored one. Each
    value is prepared by its model field, as the ORM would.
    """
    meta = WebhookPost._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(post, add=True), connection) for f in fields]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608
        f"ON CONFLICT ({quote('route')}, {quote('key')}) DO NOTHING RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone() is not None


def _posted(post: WebhookPost) -> Posted:
    """A kept post, parsed again exactly as the webhook parsed it."""
    fields = MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in post.fields.items()})
    query = {"m": str(post.our_message_id)} if post.our_message_id is not None else {}
    return posted_parse(route=post.route, fields=fields, query=query)


def _due() -> Any:
    """Pending posts that may be tried now (not failed, not backing off)."""
    now = timezone.now()
    return WebhookPost.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        applied_at__isnull=True,
        attempts__lt=settings.INTAKE_MAX_ATTEMPTS,
    )


def webhook_posts_apply(*, limit: int | None = None) -> int:
    """Apply up to ``limit`` due posts, oldest first, each in a transaction of its own; return how many this
    call applied (or counted a failed attempt of).

    A post another processor holds is skipped. One that cannot be used (a number nobody owns, a field that no
    longer parses) is applied as ``ignored``, with why; one whose apply raised a bug counts an attempt and waits
    2, 4, 8 … s before the next, until ``INTAKE_MAX_ATTEMPTS`` (then ``webhook_posts_replay``). A database that
    went away (or a lock wait that timed out) is raised to the processor after the post is set to wait a
    moment, so the next ones are not held up behind it.
    """
    ids = list(_due().order_by("id").values_list("id", flat=True)[: limit or settings.INTAKE_BATCH])
    done = 0
    for post_id in ids:
        try:
            done += _apply_one(post_id)
        except TRANSIENT:
            with contextlib.suppress(Exception):
                _wait(post_id, seconds=1)
            raise
    return done


def _apply_one(post_id: int) -> int:
    with transaction.atomic():
        post = _due().filter(pk=post_id).select_for_update(skip_locked=True).first()
        if post is None:
            return 0  # another processor holds it or has applied it
        error = ""
        try:
            with transaction.atomic():  # a savepoint: a bug undoes the apply, not this transaction
                outcome = posted_apply(posted=_posted(post))
        except (MalformedWebhook, UnknownNumber) as exc:
            logger.warning("webhook post %s (%s %s) ignored: %s", post.pk, post.route, post.key, exc)
            outcome, error = "ignored", str(exc)
        except TRANSIENT:
            raise
        except Exception as exc:
            logger.exception("webhook post %s (%s %s) failed; kept to try again", post.pk, post.route, post.key)
            attempts = post.attempts + 1
            WebhookPost.objects.filter(pk=post.pk).update(
                attempts=F("attempts") + 1,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                not_before=timezone.now() + timedelta(seconds=min(2**attempts, RETRY_CAP_SECONDS)),
            )
            return 1
        WebhookPost.objects.filter(pk=post.pk).update(
            applied_at=timezone.now(), outcome=outcome, error=error[:2000], not_before=None
        )
    return 1


def _wait(post_id: int, *, seconds: float) -> None:
    WebhookPost.objects.filter(pk=post_id).update(not_before=timezone.now() + timedelta(seconds=seconds))


def webhook_posts_replay(*, ids: Iterable[int] | None = None) -> int:
    """Put failed posts (all of them, or those of ``ids``) back to pending; return how many."""
    failed = WebhookPost.objects.filter(applied_at__isnull=True, attempts__gte=settings.INTAKE_MAX_ATTEMPTS)
    if ids is not None:
        failed = failed.filter(id__in=list(ids))
    return failed.update(attempts=0, not_before=None)


def webhook_posts_prune(*, older_than: timedelta | None = None, batch: int = 5000) -> int:
    """Delete every post applied longer ago than ``older_than`` (default ``INTAKE_KEEP_DAYS``), ``batch`` rows
    per statement; return how many. A sweep of every task worker (``TASK_WORKER_SWEEPS``), hourly."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.INTAKE_KEEP_DAYS))
    deleted = 0
    while ids := list(WebhookPost.objects.filter(applied_at__lt=cutoff).values_list("id", flat=True)[:batch]):
        deleted += WebhookPost.objects.filter(id__in=ids).delete()[0]
        if len(ids) < batch:
            break
    return deleted


def intake_backlog(*, limit: int) -> int:
    """Posts waiting to be applied (not the failed ones, which wait for a replay), counted up to ``limit``."""
    return WebhookPost.objects.filter(applied_at__isnull=True, attempts__lt=settings.INTAKE_MAX_ATTEMPTS)[
        :limit
    ].count()


def check_intake() -> None:
    """``/readyz``'s check (``smsinbox.ops.health``): the posts waiting to be applied are below the threshold."""
    check_backlog(what="webhook intake", count=lambda limit: intake_backlog(limit=limit),
                  threshold=settings.READY_MAX_INTAKE_BACKLOG)  # fmt: skip
