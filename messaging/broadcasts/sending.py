"""Sending a broadcast: the worker's run, a batch of recipients at a time through ``message_send_many``, and the
kick sweep.

Durability. Recipients are handed over in batches of ``BATCH``, each batch one transaction: its rows are locked
(``SELECT … FOR UPDATE SKIP LOCKED``, still ``queued``), each recipient's message stored and its delivery task
enqueued by ``message_send_many`` (each as ``message_send`` would, set-based) with the idempotency key
``broadcast:<broadcast id>:<recipient id>``, and each row marked ``sent`` with its message (or ``excluded``
with the refusal) — all or nothing. A worker killed mid-way leaves each recipient either handed over (``sent``,
its message in the send pipeline) or untouched (``queued``); the next run carries on from the first ``queued``
one, and even a row somehow left ``queued`` with its message stored meets the idempotency key, which
answers the first message instead of texting again. Several runs of one broadcast at once
(``BROADCAST_PARALLEL_RUNS`` are started, to queue faster; or a kick racing a deferred run) skip each other's
locked batches: a run that finds only locked rows left ends, and the run holding them carries on.

Pace. The number's shared limiter (``messaging.services.ratelimit``) paces the delivery tasks, as for every
send. A run keeps only ``BROADCAST_LEAD_SECONDS`` of sends ahead of that pace (the number's
``send_slot_at``): beyond, it defers itself, so a pause or cancel takes effect within seconds and other sends
of the number are not queued behind the whole broadcast. A run works for at most ``BROADCAST_RUN_SECONDS``,
then enqueues its continuation, so a broadcast never holds a worker for long.

Kick. ``broadcasts_kick`` (every task worker, every ``BROADCAST_KICK_SECONDS``: ``TASK_WORKER_SWEEPS``) starts
broadcasts whose ``send_at`` came, and restarts live ones whose ``heartbeat_at`` is older than
``BROADCAST_STALE_SECONDS`` (their worker died).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from conversations.canned import render_body, variable_values
from messaging.broadcasts.models import Broadcast, BroadcastRecipient, BroadcastState, ExcludedReason, RecipientStatus
from messaging.hours.models import QuietHours
from messaging.hours.quiet import quiet_hours_get, quiet_hours_next_open
from messaging.models import Message
from messaging.services.outbound_many import Outgoing, Sent, message_send_many
from smsinbox.models import PhoneNumber

logger = logging.getLogger(__name__)

S = BroadcastState
BATCH = 200


def key_prefix(broadcast_id: int) -> str:
    """What every idempotency key of this broadcast's messages starts with (then the recipient row's id)."""
    return f"broadcast:{broadcast_id}:"


def idempotency_key(*, broadcast_id: int, recipient_id: int) -> str:
    return f"{key_prefix(broadcast_id)}{recipient_id}"


def _start(broadcast_id: int, now: datetime) -> bool:
    """queued → sending when its time has come (a conditional UPDATE); whether it is sending now."""
    Broadcast.objects.filter(Q(send_at__isnull=True) | Q(send_at__lte=now), pk=broadcast_id,
                             state=S.QUEUED).update(state=S.SENDING, heartbeat_at=now)  # fmt: skip
    Broadcast.objects.filter(pk=broadcast_id, started_at__isnull=True, state=S.SENDING).update(started_at=now)
    return Broadcast.objects.filter(pk=broadcast_id, state=S.SENDING).exists()


def _outgoing(broadcast: Broadcast, recipient: BroadcastRecipient, quiet: QuietHours, now: datetime) -> Outgoing:
    """One recipient's text: the body with their values, due now, or, within the contact's quiet hours
    (``quiet``: the organization's, read once a run), stored ``scheduled`` for the moment their window opens
    (our scheduler sends it then)."""
    contact = recipient.contact
    contact.organization = broadcast.organization  # the same row, already read
    opens = quiet_hours_next_open(contact, now, quiet=quiet)
    values = variable_values(contact=contact, user=broadcast.created_by, organization=broadcast.organization)
    return Outgoing(
        contact=contact,
        body=render_body(broadcast.body, values),
        idempotency_key=idempotency_key(broadcast_id=broadcast.pk, recipient_id=recipient.pk),
        send_at=opens if opens > now else None,
        from_number=broadcast.phone_number if broadcast.from_chosen else None,
        broadcast_id=broadcast.pk,
        actor_id=broadcast.created_by_id,
    )


def _mark(broadcast: Broadcast, batch: list[BroadcastRecipient], outcomes: list[Sent]) -> None:
    """Each row's outcome, set-based: ``sent`` with its message (one UPDATE: the message is found by the row's
    idempotency key, on its unique index), or ``excluded`` with why (one UPDATE per distinct reason)."""
    sent = [r.pk for r, outcome in zip(batch, outcomes, strict=True) if outcome.message is not None]
    if sent:
        key = Concat(Value(key_prefix(broadcast.pk)), Cast(OuterRef("pk"), CharField()))
        message = Message.objects.filter(organization_id=broadcast.organization_id, idempotency_key=key)
        BroadcastRecipient.objects.filter(pk__in=sent).update(
            status=RecipientStatus.SENT, message_id=Subquery(message.values("pk")[:1])
        )
    refused: dict[tuple[str, str], list[int]] = {}
    for recipient, outcome in zip(batch, outcomes, strict=True):
        if outcome.refusal is not None:
            opted = outcome.refusal.code == "opted_out"
            reason = ExcludedReason.OPTED_OUT if opted else ExcludedReason.REFUSED
            refused.setdefault((reason, outcome.refusal.message[:200]), []).append(recipient.pk)
    for (reason, detail), pks in refused.items():
        BroadcastRecipient.objects.filter(pk__in=pks).update(
            status=RecipientStatus.EXCLUDED, reason=reason, detail=detail
        )


def _send_batch(broadcast: Broadcast, quiet: QuietHours) -> int:
    """Hand the next ``BATCH`` queued recipients no other run holds to the send pipeline, in one transaction
    (see the module docstring): their messages through ``message_send_many``, their rows marked. Return how many."""
    with transaction.atomic():
        batch = list(
            BroadcastRecipient.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact")
            .filter(broadcast_id=broadcast.pk, status=RecipientStatus.QUEUED)
            .order_by("id")[:BATCH]
        )
        if not batch:
            return 0
        now = timezone.now()
        outcomes = message_send_many(
            organization=broadcast.organization,
            outgoing=[_outgoing(broadcast, recipient, quiet, now) for recipient in batch],
            quiet=quiet,
        )
        _mark(broadcast, batch, outcomes)
        return len(batch)


def _ahead(phone_number_id: int, now: datetime) -> datetime | None:
    """When the number's pace is more than the lead ahead of ``now``: the moment to carry on; else None."""
    slot = PhoneNumber.objects.filter(pk=phone_number_id).values_list("send_slot_at", flat=True).first()
    lead = timedelta(seconds=settings.BROADCAST_LEAD_SECONDS)
    if slot is not None and slot > now + lead:
        return slot - lead
    return None


def broadcast_run(*, broadcast_id: int, budget_seconds: float | None = None) -> str:
    """Hand this broadcast's queued recipients to the send pipeline, in order, until none is left (→ done), it
    is paused or cancelled, it is ahead of the number's pace, or the run's time is up (→ a continuation)."""
    from messaging.tasks import broadcast_run_task

    budget = settings.BROADCAST_RUN_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    if not _start(broadcast_id, timezone.now()):
        return "not sending"
    broadcast = Broadcast.objects.select_related("organization", "created_by", "phone_number").get(pk=broadcast_id)
    quiet = quiet_hours_get(organization=broadcast.organization)
    while True:
        if not Broadcast.objects.filter(pk=broadcast_id, state=S.SENDING).exists():
            return "stopped"
        now = timezone.now()
        Broadcast.objects.filter(pk=broadcast_id).update(heartbeat_at=now)
        if not _send_batch(broadcast, quiet):
            if BroadcastRecipient.objects.filter(broadcast_id=broadcast_id, status=RecipientStatus.QUEUED).exists():
                return "shared"  # what is left is another run's batch, in flight: that run carries on
            Broadcast.objects.filter(pk=broadcast_id, state=S.SENDING).update(state=S.DONE, finished_at=now)
            logger.info("broadcast %s done", broadcast_id)
            return "done"
        at = _ahead(broadcast.phone_number_id, timezone.now())
        if at is not None or time.monotonic() > deadline:
            at = at or timezone.now()
            # The heartbeat says when it carries on, so the kick does not take a deferred run for a dead one.
            Broadcast.objects.filter(pk=broadcast_id).update(heartbeat_at=at)
            broadcast_run_task.using(run_after=at).enqueue(broadcast_id)
            return "continues"


def broadcasts_kick(*, now: datetime | None = None) -> int:
    """Enqueue a run for each broadcast due to start, or live with a stale heartbeat; return how many."""
    from messaging.tasks import broadcast_run_task

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.BROADCAST_STALE_SECONDS)
    due = Q(state=S.QUEUED) & (Q(send_at__isnull=True) | Q(send_at__lte=now))
    live = due | Q(state=S.SENDING)
    ids = list(
        Broadcast.objects.filter(live)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
        .values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        with transaction.atomic():
            # Claimed by moving the heartbeat: a second sweep at the same moment updates nothing.
            claimed = Broadcast.objects.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale),
                                               pk=pk).update(heartbeat_at=now)  # fmt: skip
            if claimed:
                broadcast_run_task.enqueue(pk)
    return len(ids)
