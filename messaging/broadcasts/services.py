"""Broadcasts: preview, create (queue), pause, resume, cancel. Sending itself: ``messaging.broadcasts.sending``.

Every state move is one conditional UPDATE (``… WHERE state IN (allowed)``): when staff's pause and the
worker's finish (or two staff clicks) reach a broadcast together, PostgreSQL re-checks the condition after the
first commits, so exactly one wins; a refused move is a ``ServiceError`` with code ``broadcast_state`` (the API
answers 409) saying what the broadcast is now. The state machine is drawn in ``messaging.broadcasts.models``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from conversations.canned import body_problems, render_body, variable_values
from conversations.models import Contact
from conversations.senders import phone_number_choose
from conversations.services import first_number
from messaging.broadcasts.models import (
    TERMINAL_STATES,
    Broadcast,
    BroadcastRecipient,
    BroadcastState,
    ExcludedReason,
    RecipientStatus,
)
from messaging.broadcasts.recipients import RecipientPlan, contact_numbers, recipients_resolve
from messaging.segments import MAX_BODY_CHARACTERS, is_too_long, segment_info
from messaging.services.schedule import send_at_check
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, PhoneNumber, User
from smsinbox.parsing import clean_text
from smsinbox.team.roles import organization_admin_require

BROADCAST_STATE = "broadcast_state"  # the code of a refused move (the API answers 409)
BULK = 1_000


@dataclass
class BroadcastPreview:
    """What a broadcast would do (the API's dry run answers these counts; snake_case here, camelCase on the wire)."""

    recipients: int
    opted_out: int
    invalid: int
    duplicates: int
    landline: int
    segments: int
    estimated_seconds: int
    from_number: str | None  # the number chosen, with its name: "+14155550001 (Front desk)"; None: each its own

    def as_dict(self) -> dict[str, object]:
        return {
            "recipients": self.recipients,
            "excluded": {
                "opted_out": self.opted_out,
                "invalid": self.invalid,
                "duplicates": self.duplicates,
                "landline": self.landline,
            },
            "segments": self.segments,
            "estimated_seconds": self.estimated_seconds,
            "from_number": self.from_number,
        }


def _body_check(body: str) -> str:
    body = clean_text(body)
    if not body.strip():
        raise ServiceError("Write the message.", field="message")
    if is_too_long(body):
        raise ServiceError(f"Message too long. Maximum {MAX_BODY_CHARACTERS} characters.", field="message")
    if problem := body_problems(body):
        raise ServiceError(problem, field="message")
    return body


def _sender(organization: Organization, phone_number_id: int | None = None) -> PhoneNumber:
    """The number a broadcast texts from: the one chosen (``fromNumberId``: one of the organization's, else a clear
    400), or the organization's first."""
    if phone_number_id is not None:
        return phone_number_choose(organization=organization, phone_number_id=phone_number_id)
    return first_number(organization=organization)


def _segments(*, body: str, organization: Organization, user: User | None, contact_ids: list[int]) -> int:
    """The most segments one recipient's text takes (variables filled in; each distinct text measured once)."""
    texts = {render_body(body, _values(contact=None, user=user, organization=organization))}
    if "{{" in body:
        for i in range(0, len(contact_ids), BULK):
            for first, last in Contact.objects.filter(pk__in=contact_ids[i : i + BULK]).values_list(
                "first_name", "last_name"
            ):
                texts.add(render_body(body, _values(contact=(first, last), user=user, organization=organization)))
    return max(segment_info(text).segments for text in texts)


def _values(*, contact: tuple[str, str] | None, user: User | None, organization: Organization) -> dict[str, str]:
    first, last = contact or ("", "")
    person = Contact(first_name=first, last_name=last)
    return variable_values(contact=person, user=user, organization=organization)


def _preview(
    *, plan: RecipientPlan, body: str, organization: Organization, user: User | None, number: PhoneNumber,
    chosen: bool,
) -> BroadcastPreview:
    segments = _segments(body=body, organization=organization, user=user, contact_ids=plan.contact_ids)
    return BroadcastPreview(
        recipients=plan.recipients,
        opted_out=len(plan.opted_out),
        invalid=len(plan.invalid),
        duplicates=plan.duplicates,
        landline=len(plan.landline),
        segments=segments,
        estimated_seconds=math.ceil(plan.recipients / float(number.messages_per_second)),
        from_number=str(number) if chosen else None,
    )


def broadcast_preview(
    *,
    organization: Organization,
    user: User,
    body: str,
    label_ids: list[int] | tuple[int, ...] = (),
    contact_ids: list[int] | tuple[int, ...] = (),
    numbers: list[str] | tuple[str, ...] = (),
    csv_data: bytes | None = None,
    send_at: datetime | None = None,
    phone_number_id: int | None = None,
) -> BroadcastPreview:
    """Count what a broadcast would do, sending and storing nothing. Admins only. ``send_at`` (a later start) and
    ``phone_number_id`` (the number it texts from) are checked as ``broadcast_create`` will check them, so the
    preview refuses what the send would."""
    organization_admin_require(user=user, organization_id=organization.pk, what="send broadcasts")
    body = _body_check(body)
    number = _sender(organization, phone_number_id)
    if send_at is not None:
        send_at_check(send_at=send_at)
    plan = recipients_resolve(
        organization=organization, label_ids=label_ids, contact_ids=contact_ids, numbers=numbers, csv_data=csv_data
    )
    return _preview(
        plan=plan, body=body, organization=organization, user=user, number=number, chosen=phone_number_id is not None
    )


@transaction.atomic
def broadcast_create(
    *,
    organization: Organization,
    user: User,
    body: str,
    label_ids: list[int] | tuple[int, ...] = (),
    contact_ids: list[int] | tuple[int, ...] = (),
    numbers: list[str] | tuple[str, ...] = (),
    csv_data: bytes | None = None,
    send_at: datetime | None = None,
    phone_number_id: int | None = None,
) -> Broadcast:
    """Store a broadcast with one row per chosen entry (recipients ``queued``, the rest ``excluded`` with why)
    and enqueue its run, in one transaction. Contacts are created for valid numbers nobody has yet. Admins only;
    audited. Set-based: a few bulk INSERTs whatever the size (``BULK`` rows a statement). ``phone_number_id``: the
    number every recipient's text goes from; a recipient whose conversation is on another number has it moved
    there when texted, as the composer's "From" does (``message_send_many``). Without it each text goes from its
    conversation's own number (``Broadcast.from_chosen``)."""
    from messaging.tasks import broadcast_run_task

    organization_admin_require(user=user, organization_id=organization.pk, what="send broadcasts")
    body = _body_check(body)
    if send_at is not None:
        send_at_check(send_at=send_at)
    plan = recipients_resolve(
        organization=organization, label_ids=label_ids, contact_ids=contact_ids, numbers=numbers, csv_data=csv_data
    )
    if plan.recipients == 0:
        raise ServiceError("Nobody would receive it: every chosen contact is excluded.", field="numbers")
    sender = _sender(organization, phone_number_id)
    new_ids = _contacts_for_numbers(organization=organization, numbers=plan.new_numbers)
    broadcast = Broadcast.objects.create(
        organization=organization,
        created_by=user,
        body=body,
        phone_number=sender,
        send_at=send_at,
        sources={
            "labels": list(label_ids),
            "contactIds": list(contact_ids),
            "numbers": len(numbers),
            "csv": csv_data is not None,
            "fromNumberId": sender.pk if phone_number_id is not None else None,
        },
        recipient_count=plan.recipients,
        excluded_count=len(plan.opted_out) + len(plan.invalid) + len(plan.landline),
        duplicate_count=plan.duplicates,
        heartbeat_at=timezone.now(),  # its run is enqueued below (or due later): not one for the kick
    )
    to_text = plan.contact_ids + new_ids
    numbers_of = contact_numbers(contact_ids=to_text)
    rows = [BroadcastRecipient(broadcast=broadcast, contact_id=pk, number=numbers_of[pk]) for pk in to_text]
    excluded = RecipientStatus.EXCLUDED
    rows += [
        BroadcastRecipient(broadcast=broadcast, contact_id=pk, number=n, status=excluded,
                           reason=ExcludedReason.OPTED_OUT, detail="Opted out")
        for pk, n in plan.opted_out
    ]  # fmt: skip
    rows += [
        BroadcastRecipient(broadcast=broadcast, contact_id=pk, number=n, status=excluded,
                           reason=ExcludedReason.LANDLINE, detail="A landline cannot receive texts")
        for pk, n in plan.landline
    ]  # fmt: skip
    rows += [
        BroadcastRecipient(broadcast=broadcast, number=text, status=excluded, reason=ExcludedReason.INVALID,
                           detail=why)
        for text, why in plan.invalid
    ]  # fmt: skip
    BroadcastRecipient.objects.bulk_create(rows, batch_size=BULK)
    audit_record(
        organization=organization,
        action=Action.BROADCAST_CREATED,
        actor=user,
        target=broadcast,
        changes={"recipients": plan.recipients, "excluded": broadcast.excluded_count},
    )
    if send_at is None:  # in this transaction: the outbox (a later one: the kick sweep)
        for _ in range(settings.BROADCAST_PARALLEL_RUNS):
            broadcast_run_task.enqueue(broadcast.pk)
    return broadcast


def _contacts_for_numbers(*, organization: Organization, numbers: list[str]) -> list[int]:
    """The ids of contacts for ``numbers`` (valid E.164, no contact yet), created in bulk; a contact another
    request created meanwhile is found, not duplicated (the database's one-contact-per-number constraint)."""
    if not numbers:
        return []
    Contact.objects.bulk_create(
        (Contact(organization=organization, phone=n) for n in numbers), batch_size=BULK, ignore_conflicts=True
    )
    found: dict[str, int] = {}
    for i in range(0, len(numbers), BULK):
        rows = Contact.objects.filter(organization=organization, phone__in=numbers[i : i + BULK])
        found.update((str(phone), pk) for pk, phone in rows.values_list("pk", "phone"))
    return [found[n] for n in numbers]


def _move(*, broadcast: Broadcast, user: User, allowed: tuple[str, ...], to: str, action: str, verb: str) -> Broadcast:
    organization_admin_require(user=user, organization_id=broadcast.organization_id, what="manage broadcasts")
    values: dict[str, object] = {"state": to}
    if to in TERMINAL_STATES:
        values["finished_at"] = timezone.now()
    moved = Broadcast.objects.filter(pk=broadcast.pk, state__in=allowed).update(**values)
    broadcast.refresh_from_db()
    if not moved:
        raise ServiceError(
            f"This broadcast is {broadcast.get_state_display().lower()}: it cannot be {verb}.",
            code=BROADCAST_STATE,
            field="state",
        )
    audit_record(organization=broadcast.organization_id, action=action, actor=user, target=broadcast)
    return broadcast


@transaction.atomic
def broadcast_pause(*, broadcast: Broadcast, user: User) -> Broadcast:
    """Stop handing recipients to the send pipeline (texts already handed over still go). Queued or sending
    only; else 409 ``broadcast_state``."""
    S = BroadcastState
    return _move(broadcast=broadcast, user=user, allowed=(S.QUEUED, S.SENDING), to=S.PAUSED,
                 action=Action.BROADCAST_PAUSED, verb="paused")  # fmt: skip


@transaction.atomic
def broadcast_resume(*, broadcast: Broadcast, user: User) -> Broadcast:
    """Carry on a paused broadcast from the first recipient not yet texted. Paused only; else 409."""
    from messaging.tasks import broadcast_run_task

    S = BroadcastState
    broadcast = _move(broadcast=broadcast, user=user, allowed=(S.PAUSED,), to=S.QUEUED,
                      action=Action.BROADCAST_RESUMED, verb="resumed")  # fmt: skip
    for _ in range(settings.BROADCAST_PARALLEL_RUNS):
        broadcast_run_task.enqueue(broadcast.pk)
    return broadcast


@transaction.atomic
def broadcast_cancel(*, broadcast: Broadcast, user: User) -> Broadcast:
    """End a broadcast for good: recipients not yet texted become ``excluded`` (``cancelled``). Texts already
    handed to the send pipeline still go. Not when done or cancelled already (409)."""
    S = BroadcastState
    broadcast = _move(broadcast=broadcast, user=user, allowed=(S.QUEUED, S.SENDING, S.PAUSED), to=S.CANCELLED,
                      action=Action.BROADCAST_CANCELLED, verb="cancelled")  # fmt: skip
    _pending(broadcast).update(
        status=RecipientStatus.EXCLUDED, reason=ExcludedReason.CANCELLED, detail="The broadcast was cancelled"
    )
    return broadcast


def _pending(broadcast: Broadcast) -> QuerySet[BroadcastRecipient]:
    return BroadcastRecipient.objects.filter(broadcast=broadcast, status=RecipientStatus.QUEUED)
