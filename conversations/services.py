"""Writes for contacts and conversations.

Races are settled by the database: every find-or-create here rests on a unique constraint
(``contact_unique_org_phone``, ``conversation_unique_org_contact``), so two requests that
race to create the same row end with one row, never two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from conversations.activity import activity_record, actor_name
from conversations.label_rows import contact_labels_replace, conversation_labels_replace, labels_resolve
from conversations.mentions import members_mentioned
from conversations.models import (
    CONTACT_NOTES_MAX_LENGTH,
    MEDIA_PREVIEW,
    NOTE_MAX_LENGTH,
    NOTE_MENTIONS,
    PREVIEW_LENGTH,
    Contact,
    ContactAlias,
    Conversation,
    ConversationEvent,
    Note,
    NoteMention,
)
from conversations.payloads import contact_payload, conversation_payload, mention_payload, note_payload, user_name
from smsinbox import events
from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.models import Membership, Organization, PhoneNumber
from smsinbox.notifications.rules import Kind
from smsinbox.notifications.services import notification_dispatch
from smsinbox.phones import InvalidPhoneNumber, organization_region, to_e164


def preview_for(body: str, *, has_media: bool) -> str:
    """Return the conversation-list preview of a message: its first line of text, or ``[Media]``."""
    text = " ".join(body.split())
    if not text:
        return MEDIA_PREVIEW if has_media else ""
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


def contact_duplicate_error(*, organization_id: int, e164: str) -> ServiceError | None:
    """The refusal of a second contact with this number, naming the one already saved (``None``
    when no contact has it: the constraint that fired was another one)."""
    existing = Contact.objects.filter(organization_id=organization_id, phone=e164).first()
    if existing is None:
        alias = ContactAlias.objects.filter(organization_id=organization_id, phone=e164).select_related("contact")
        existing = next((a.contact for a in alias), None)
    if existing is None:
        return None
    return ServiceError(
        f"{existing.display_name_number} is already saved as {existing.display_name} (contact #{existing.pk}).",
        code="duplicate",
        field="phone",
    )


@transaction.atomic
def contact_create(*, organization: Organization, phone: str, first_name: str = "", last_name: str = "") -> Contact:
    """Create a contact from a number typed any common way; refuse a duplicate by naming it."""
    try:
        e164 = to_e164(phone, region=organization.region)
    except InvalidPhoneNumber as exc:
        raise ServiceError(str(exc), field="phone") from exc
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                organization=organization, phone=e164, first_name=first_name.strip(), last_name=last_name.strip()
            )
    except IntegrityError:
        duplicate = contact_duplicate_error(organization_id=organization.id, e164=e164)
        if duplicate is None:
            raise
        raise duplicate from None
    audit_record(
        organization=organization,
        action=Action.CONTACT_CREATED,
        target=contact,
        changes={"phone": e164, "first_name": contact.first_name, "last_name": contact.last_name},
    )
    contact_announce(contact=contact, change=WebhookEventType.CONTACT_CREATED)
    return contact


def contact_announce(*, contact: Contact, change: WebhookEventType) -> None:
    """Tell integrations (outgoing webhooks, in the caller's transaction) that ``contact`` was created or changed;
    open inboxes hear of a contact through its conversations' rows."""
    events.publish_on_commit(
        organization_id=contact.organization_id,
        event=None,
        payload={},
        outgoing=(change,),
        outgoing_payload=lambda: contact_payload(contact),
    )


def contact_get_or_create(*, organization: Organization, e164: str) -> tuple[Contact, bool]:
    """Find the contact with this exact E.164 number by index, or create an unnamed one.

    Race-safe: concurrent callers end with one contact (``get_or_create`` retries the
    lookup when the unique constraint rejects the second insert). A number merged into another contact
    (a ``ContactAlias``) is that contact's.
    """
    try:
        contact, created = Contact.objects.get_or_create(organization=organization, phone=e164)
    except IntegrityError:  # the database refuses a contact with an alias's number (``contact_phone_not_alias``)
        alias = ContactAlias.objects.filter(organization=organization, phone=e164).select_related("contact").first()
        if alias is None:
            raise
        return alias.contact, False
    if created:
        contact_announce(contact=contact, change=WebhookEventType.CONTACT_CREATED)
    return contact, created


def conversation_get_or_create(
    *, organization: Organization, contact: Contact, phone_number: PhoneNumber
) -> tuple[Conversation, bool]:
    """Find the organization's one conversation with ``contact``, or create it on ``phone_number``.

    Race-safe through ``conversation_unique_org_contact``. Refuses a contact or number of
    another organization.
    """
    if contact.organization_id != organization.id or phone_number.organization_id != organization.id:
        raise ServiceError("The contact and the number must belong to the same organization.")
    return Conversation.objects.get_or_create(
        organization=organization, contact=contact, defaults={"phone_number": phone_number}
    )


@transaction.atomic
def conversation_start(*, organization: Organization, contact: Contact) -> Conversation:
    """The organization's conversation with ``contact``; a new one texts from its first number."""
    existing = (
        Conversation.objects.filter(organization=organization, contact=contact).select_related("phone_number").first()
    )
    if existing is not None:
        return existing
    conversation, _ = conversation_get_or_create(
        organization=organization, contact=contact, phone_number=first_number(organization=organization)
    )
    return conversation


def first_number(*, organization: Organization) -> PhoneNumber:
    """The number a new conversation texts from: the organization's first; a clear refusal when it has none."""
    number = organization.phone_numbers.order_by("id").first()
    if number is None:
        raise ServiceError("This organization has no Twilio number to send from yet.", code="no_number")
    return number


# What every service that leaves ``snoozed`` stores with the new status, in the same UPDATE (the
# ``conversation_snooze_consistent`` constraint).
SNOOZE_CLEARED: dict[str, object] = {"snoozed_until": None, "snooze_until_reply": False, "snoozed_by": None}


def conversation_touch(
    *,
    conversation: Conversation,
    preview: str,
    unread_increment: int = 0,
    wake: bool = True,
    actor_id: int | None = None,
) -> None:
    """Record new activity: preview, time, reopen, and add to the unread count atomically (``F()``).

    ``wake``: a message from the customer ends a snooze (status open, snooze cleared, in this one UPDATE).
    Staff's own text (``wake=False``) reopens a closed thread but leaves a snoozed one snoozed.
    The instance gets the same values, its ``unread_count`` and ``version`` included (the
    database raises the version by one for the one UPDATE issued here): exact when the caller
    holds the row lock (``conversation_lock``), a best guess otherwise. A thread reopened or woken here gets its
    activity event (``actor_id``: staff who sent the text; none for the customer).
    """
    conversations_touch(
        touches=[(conversation, preview)], unread_increment=unread_increment, wake=wake, actor_id=actor_id
    )


def conversations_touch(
    *,
    touches: Sequence[tuple[Conversation, str]],
    unread_increment: int = 0,
    wake: bool = True,
    actor_id: int | None = None,
) -> None:
    """``conversation_touch`` of each (conversation, preview), set-based: one UPDATE of all their rows, so each
    row's version goes up by one (a conversation listed twice takes its last preview)."""
    now = timezone.now()
    snoozed = Conversation.Status.SNOOZED
    latest = {c.pk: p for c, p in touches}
    touched = list({c.pk: c for c, _ in touches}.values())
    for conversation in touched:
        if conversation.status == Conversation.Status.CLOSED:
            conversation_changed(conversation, WebhookEventType.CONVERSATION_REOPENED)
            activity_record(conversation=conversation, kind=ConversationEvent.Kind.REOPENED, actor_id=actor_id)
        elif conversation.status == snoozed and wake:
            activity_record(conversation=conversation, kind=ConversationEvent.Kind.WOKEN, data={"reason": "reply"})
    status: object = (
        Conversation.Status.OPEN
        if wake
        else Case(When(status=snoozed, then=Value(snoozed)), default=Value(Conversation.Status.OPEN))
    )
    if not latest:
        return
    previews = set(latest.values())
    Conversation.objects.filter(pk__in=latest).update(
        last_message_preview=previews.pop()
        if len(previews) == 1
        else Case(*(When(pk=pk, then=Value(preview)) for pk, preview in latest.items())),
        last_message_at=now,
        unread_count=F("unread_count") + unread_increment,
        status=status,
        **(SNOOZE_CLEARED if wake else {}),
        updated_at=now,
    )
    for conversation in touched:
        conversation.last_message_preview, conversation.last_message_at = latest[conversation.pk], now
        if wake or conversation.status != snoozed:
            conversation.status = Conversation.Status.OPEN
            conversation.snoozed_until, conversation.snooze_until_reply = None, False
            conversation.snoozed_by_id = None
        conversation.updated_at = now
        conversation.unread_count += unread_increment
        conversation.version += 1


def conversation_changed(conversation: Conversation, change: WebhookEventType) -> None:
    """Note an outgoing event of this conversation's change; ``conversation_announce`` writes it with the row."""
    conversation.__dict__.setdefault("_outgoing", []).append(change)


def conversation_lock(*, conversation_id: int) -> Conversation:
    """The conversation row, locked until the transaction ends, with what its live event shows.

    Holding the lock, a caller knows the row exactly after its own updates, so it can
    announce the conversation without reading it again (``conversation_announce(current=True)``).
    """
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("contact", "assignee")
        .get(pk=conversation_id)
    )


def _contact_activity(contact: Contact, kind: str, *, actor_id: int | None, data: dict[str, object]) -> None:
    """The activity event of a change of the contact, in each of their conversations (one per organization)."""
    for conversation in Conversation.objects.filter(contact=contact).only("pk", "organization_id"):
        activity_record(conversation=conversation, kind=kind, actor_id=actor_id, data=data)


def contact_opt_out(
    *, contact: Contact, method: str, keyword: str = "", message_id: int | None = None, actor_id: int | None = None
) -> bool:
    """Mark ``contact`` as unsubscribed unless it already is; return whether anything changed.

    A conditional UPDATE, so concurrent opt-outs (or a retried webhook) record the first one only, and only it
    writes the ``opted_out`` activity event.
    """
    changed = Contact.objects.filter(pk=contact.pk, opted_out_at__isnull=True).update(
        opted_out_at=timezone.now(),
        opt_out_method=method,
        opt_out_keyword=keyword[:20],
        opt_out_message_id=message_id,
        updated_at=timezone.now(),
    )
    if changed:
        contact.refresh_from_db(fields=["opted_out_at", "opt_out_method", "opt_out_keyword", "opt_out_message"])
        contact_announce(contact=contact, change=WebhookEventType.CONTACT_OPTED_OUT)
        facts: dict[str, object] = {"method": method}
        if keyword:
            facts["keyword"] = keyword[:20]
        _contact_activity(contact, ConversationEvent.Kind.OPTED_OUT, actor_id=actor_id, data=facts)
    return bool(changed)


def contact_opt_in(*, contact: Contact, keyword: str = "", actor_id: int | None = None) -> bool:
    """Clear an opt-out (the person texted START, or staff did it); return whether anything changed."""
    changed = Contact.objects.filter(pk=contact.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, opt_out_method="", opt_out_keyword="", opt_out_message=None, updated_at=timezone.now()
    )
    if changed:
        contact.refresh_from_db(fields=["opted_out_at", "opt_out_method", "opt_out_keyword", "opt_out_message"])
        contact_announce(contact=contact, change=WebhookEventType.CONTACT_OPTED_IN)
        facts = {"keyword": keyword[:20]} if keyword else {}
        _contact_activity(contact, ConversationEvent.Kind.OPTED_IN, actor_id=actor_id, data=facts)
    return bool(changed)


def conversation_announce(*, conversation: Conversation, current: bool = False) -> None:
    """After commit, tell the organization's open inboxes how this conversation row now looks.

    The row carries its ``version``, by which inboxes order the rows they hear
    (``conversation_payload``). ``current``: the instance is already exactly the row, version
    included (the caller locked it with ``conversation_lock`` and changed it only through
    ``conversation_touch``), so it is not read again. Otherwise the row is read, and the
    instance takes what was read, so the caller holds the row it announced. The outgoing events noted on the
    instance (``conversation_changed``: assigned, closed, reopened) are written with it, in this transaction.
    """
    if not current:
        fresh = (
            Conversation.objects.select_related("contact", "assignee")
            .prefetch_related("labels")
            .get(pk=conversation.pk)
        )
        for field in Conversation._meta.concrete_fields:
            setattr(conversation, field.attname, getattr(fresh, field.attname))
        conversation.contact, conversation.assignee = fresh.contact, fresh.assignee
        conversation._prefetched_objects_cache = fresh._prefetched_objects_cache
    events.publish_on_commit(
        organization_id=conversation.organization_id,
        event=events.Event.CONVERSATION_UPDATED,
        payload=conversation_payload(conversation),
        outgoing=tuple(dict.fromkeys(conversation.__dict__.pop("_outgoing", []))),
    )


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    label_ids: list[int] | None = None,
    notes: str | None = None,
    seen: Mapping[str, str] | None = None,
) -> Contact:
    """Rename a contact, correct their number (validated, E.164), write staff's notes about them (plain text, at
    most ``CONTACT_NOTES_MAX_LENGTH``), and/or give them exactly ``label_ids`` (labels of their organization; any
    other id is refused, nothing written); refuse a duplicate by naming it. Every open inbox hears the contact's
    conversations again (``conversation.updated``: the new name in the list and the thread's header).

    ``seen``: the values of ``first_name``/``last_name``/``notes`` the editor's form showed. Lost updates are
    refused: under the contact's row lock, a field that a colleague changed since (its stored value is no longer
    the one seen) and that this save would write differently makes the whole save a ``conflict`` naming it, and
    nothing is written."""
    if seen:
        contact_refuse_changed_meanwhile(contact=contact, seen=seen, writes={"first_name": first_name,
                                         "last_name": last_name, "notes": notes})  # fmt: skip
    if notes is not None:
        notes = notes.strip().replace("\r\n", "\n")
        if len(notes) > CONTACT_NOTES_MAX_LENGTH:
            raise ServiceError(
                f"Notes about a contact are at most {CONTACT_NOTES_MAX_LENGTH} characters (these have {len(notes)}).",
                field="notes",
            )
        if "\x00" in notes:
            raise ServiceError("Notes cannot contain NUL characters.", field="notes")
    if label_ids is not None:
        contact_labels_replace(
            contact=contact, labels=labels_resolve(organization_id=contact.organization_id, label_ids=label_ids)
        )
    fields: dict[str, object] = {}
    if first_name is not None:
        fields["first_name"] = first_name.strip()[:100]
    if last_name is not None:
        fields["last_name"] = last_name.strip()[:100]
    if notes is not None:
        fields["notes"] = notes
    for name in ("first_name", "last_name"):
        if "\x00" in str(fields.get(name, "")):
            raise ServiceError("A name cannot contain NUL characters.", field=name)
    if phone is not None:
        try:
            fields["phone"] = to_e164(phone, region=organization_region(contact.organization_id))
        except InvalidPhoneNumber as exc:
            raise ServiceError(str(exc), field="phone") from exc
        if fields["phone"] != str(contact.phone) and contact.conversations.exists():
            raise ServiceError(
                "This contact already has a conversation on their number; create a new contact for the new number.",
                field="phone",
            )
    before = {name: str(getattr(contact, name) or "") for name in fields}
    for name, value in fields.items():
        setattr(contact, name, value)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        duplicate = contact_duplicate_error(organization_id=contact.organization_id, e164=str(fields.get("phone")))
        if duplicate is None:
            raise
        raise duplicate from None
    if changed := changes_between(before, {name: str(value) for name, value in fields.items()}):
        audit_record(
            organization=contact.organization_id, action=Action.CONTACT_UPDATED, target=contact, changes=changed
        )
    contact_announce(contact=contact, change=WebhookEventType.CONTACT_UPDATED)
    for conversation in contact.conversations.all():
        conversation_announce(conversation=conversation)
    return contact


CONTACT_FIELD_NAMES = {"first_name": "first name", "last_name": "last name", "notes": "notes"}


def contact_refuse_changed_meanwhile(
    *, contact: Contact, seen: Mapping[str, str], writes: Mapping[str, str | None]
) -> None:
    """Raise a ``conflict`` if a field ``writes`` would change was changed by someone else since the form showed
    ``seen`` (locks the contact's row until the caller's transaction ends; see ``contact_update``)."""
    names = [name for name in seen if name in CONTACT_FIELD_NAMES]
    current = Contact.objects.select_for_update().filter(pk=contact.pk).values(*names).first() or {}
    changed = [
        name
        for name in names
        if (stored := str(current.get(name) or "")) != seen[name].strip().replace("\r\n", "\n")
        and writes.get(name) is not None
        and str(writes[name]).strip().replace("\r\n", "\n") != stored
    ]
    if changed:
        fields = " and ".join(CONTACT_FIELD_NAMES[name] for name in changed)
        raise ServiceError(
            f"Someone else changed this contact's {fields} while you were editing; nothing was saved. "
            "Reload to see their change, then edit again.",
            field=changed[0],
            code="conflict",
        )


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Delete a contact with their conversation and its messages."""
    audit_record(organization=contact.organization_id, action=Action.CONTACT_DELETED, target=contact)
    contact.delete()


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation) -> bool:
    """Clear the unread count; every open inbox sees the badge clear. Return whether it changed."""
    changed = Conversation.objects.filter(pk=conversation.pk, unread_count__gt=0).update(
        unread_count=0, updated_at=timezone.now()
    )
    if changed:
        conversation.unread_count = 0
        conversation_announce(conversation=conversation)
    return bool(changed)


@transaction.atomic
def conversation_mark_unread(*, conversation: Conversation) -> bool:
    """Mark a read thread unread again (an unread count of 1); every open inbox sees the badge. Return
    whether it changed (a thread already unread keeps its count)."""
    changed = Conversation.objects.filter(pk=conversation.pk, unread_count=0).update(
        unread_count=1, updated_at=timezone.now()
    )
    if changed:
        conversation_announce(conversation=conversation)
    return bool(changed)


def _change(conversation: Conversation, name: str, value: object) -> bool:
    """Store ``name = value`` unless the row has it already (unannounced); return whether it changed."""
    fields = {name: value}
    if (
        not Conversation.objects.filter(pk=conversation.pk)
        .exclude(**fields)
        .update(**fields, updated_at=timezone.now())
    ):
        return False
    setattr(conversation, name, value)
    return True


def _set_status(conversation: Conversation, status: str, *, by_user_id: int | None = None) -> bool:
    """Store a new status, open or closed, dropping any snooze (unannounced); return whether it changed.

    Snoozing needs a wake condition: it has its own service (``conversations.snooze``)."""
    if status not in Conversation.SETTABLE_STATUSES:
        raise ServiceError(
            f"Status must be one of: {', '.join(Conversation.SETTABLE_STATUSES)} (snooze has its own action).",
            field="status",
        )
    if (
        not Conversation.objects.filter(pk=conversation.pk)
        .exclude(status=status)
        .update(status=status, **SNOOZE_CLEARED, updated_at=timezone.now())
    ):
        return False
    kind = ConversationEvent.Kind.REOPENED
    if status == Conversation.Status.CLOSED:
        conversation_changed(conversation, WebhookEventType.CONVERSATION_CLOSED)
        kind = ConversationEvent.Kind.CLOSED
    elif conversation.status == Conversation.Status.CLOSED:
        conversation_changed(conversation, WebhookEventType.CONVERSATION_REOPENED)
    elif conversation.status == Conversation.Status.SNOOZED:
        kind = ConversationEvent.Kind.WOKEN
    activity_record(conversation=conversation, kind=kind, actor_id=by_user_id)
    conversation.status = status
    conversation.snoozed_until, conversation.snooze_until_reply, conversation.snoozed_by_id = None, False, None
    return True


def _set_assignee(conversation: Conversation, assignee_id: int | None, *, by_user_id: int | None = None) -> None:
    """Store the assignee (unannounced): an active member of the conversation's organization, or nobody.

    A new assignee is notified (``Kind.ASSIGNED``) unless they assigned it to themselves (``by_user_id``).
    """
    previous = conversation.assignee_id
    if (
        assignee_id is not None
        and not Membership.objects.filter(
            user_id=assignee_id, organization_id=conversation.organization_id, user__is_active=True
        ).exists()
    ):
        raise ServiceError("The assignee must be an active member of this organization.", field="assignee")
    now = timezone.now()
    rows = Conversation.objects.filter(pk=conversation.pk)
    rows = rows.exclude(assignee_id=assignee_id) if assignee_id is not None else rows.filter(assignee_id__isnull=False)
    if rows.update(assignee_id=assignee_id, updated_at=now):  # only a change is an event (a repeated click is not)
        if assignee_id is not None:
            kind, facts = (
                ConversationEvent.Kind.ASSIGNED,
                {"assignee_id": assignee_id, "assignee_name": actor_name(assignee_id)},
            )
        else:
            kind, facts = (
                ConversationEvent.Kind.UNASSIGNED,
                {"assignee_id": previous, "assignee_name": actor_name(previous)},
            )
        activity_record(conversation=conversation, kind=kind, actor_id=by_user_id, data=facts)
        audit_record(
            organization=conversation.organization_id,
            action=Action.CONVERSATION_ASSIGNED,
            actor=by_user_id,
            target=conversation,
            changes={"assignee": [actor_name(previous), actor_name(assignee_id)]},
        )
    conversation.assignee_id = assignee_id
    if assignee_id != previous:
        conversation_changed(conversation, WebhookEventType.CONVERSATION_ASSIGNED)
    if assignee_id is not None and assignee_id != previous:
        notification_dispatch(
            organization_id=conversation.organization_id,
            kind=Kind.ASSIGNED,
            conversation_id=conversation.pk,
            tag=f"assigned-{conversation.pk}-{int(now.timestamp() * 1000)}",
            title=f"Assigned to you: {conversation.contact.display_name}",
            body=conversation.last_message_preview,
            assignee_id=assignee_id,
            actor_id=by_user_id,
        )


def _set_phone_number(conversation: Conversation, phone_number: PhoneNumber) -> bool:
    """Store the number the thread texts from (unannounced); return whether it changed."""
    if phone_number.organization_id != conversation.organization_id:
        raise ServiceError("The number must be one of the conversation's organization.", field="phone_number")
    return _change(conversation, "phone_number", phone_number)


@transaction.atomic
def conversation_set_status(*, conversation: Conversation, status: str, by_user_id: int | None = None) -> Conversation:
    """Close or reopen a conversation (``by_user_id``: who did it)."""
    if _set_status(conversation, status, by_user_id=by_user_id):
        conversation_announce(conversation=conversation)
    return conversation


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, assignee_id: int | None, by_user_id: int | None = None
) -> Conversation:
    """Assign a conversation to a member of its organization, or to nobody (``by_user_id``: who did it)."""
    _set_assignee(conversation, assignee_id, by_user_id=by_user_id)
    conversation_announce(conversation=conversation)
    return conversation


@transaction.atomic
def contact_opt_out_by_staff(*, contact: Contact, by_user_id: int | None = None) -> bool:
    """A staff member records that this person asked not to be texted."""
    changed = contact_opt_out(contact=contact, method=Contact.OptOutMethod.STAFF, actor_id=by_user_id)
    if changed:
        audit_record(
            organization=contact.organization_id,
            action=Action.CONTACT_OPTED_OUT,
            actor=by_user_id,
            target=contact,
            changes={"opted_out": [False, True]},
        )
    for conversation in contact.conversations.all():
        conversation_announce(conversation=conversation)
    return changed


UNSET: object = object()  # "leave as it is", for optional arguments that may also be None


@transaction.atomic
def conversation_update(
    *,
    conversation: Conversation,
    status: str | None = None,
    assignee_id: int | object | None = UNSET,
    phone_number: PhoneNumber | None = None,
    label_ids: list[int] | None = None,
    by_user_id: int | None = None,
) -> Conversation:
    """Change a conversation's status, assignee, the number it texts from and/or its labels (exactly
    ``label_ids``, labels of its organization; any other id is refused) together, all or nothing; open inboxes
    hear the result once (``by_user_id``: who did it)."""
    changed = False
    if label_ids is not None:
        labels = labels_resolve(organization_id=conversation.organization_id, label_ids=label_ids)
        changed = conversation_labels_replace(conversation=conversation, labels=labels, actor_id=by_user_id)
    if phone_number is not None:
        changed = _set_phone_number(conversation, phone_number) or changed
    if assignee_id is not UNSET:
        _set_assignee(conversation, assignee_id, by_user_id=by_user_id)  # type: ignore[arg-type]
        changed = True
    if status is not None:
        changed = _set_status(conversation, status, by_user_id=by_user_id) or changed
    if changed:
        conversation_announce(conversation=conversation)
    return conversation


@transaction.atomic
def conversation_delete(*, conversation: Conversation) -> None:
    """Delete a conversation with its messages (the contact stays)."""
    conversation.delete()


# --- Private notes ---------------------------------------------------------------------------


@transaction.atomic
def note_create(*, conversation: Conversation, author: AbstractBaseUser, body: str) -> Note:
    """Write a private note in a thread, for colleagues only.

    A note is never a text: nothing is sent, the conversation's row is not touched (its preview,
    unread count, time and status stay as they are), and nothing about it reaches Twilio. Its
    ``@username`` mentions of active members of the organization are stored (``conversations.mentions``;
    anything else stays plain text). Once committed, the organization's inboxes hear ``note.created``,
    and each mentioned member (but the author) hears ``mention.created`` in their own inboxes.
    Refused with a clear error: a blank body, one too long, or an author outside the organization.
    """
    text = body.strip()
    if not text:
        raise ServiceError("Write something in the note: it cannot be empty.", code="blank", field="body")
    if len(text) > NOTE_MAX_LENGTH:
        raise ServiceError(f"A note is at most {NOTE_MAX_LENGTH} characters (this one has {len(text)}).", field="body")
    if "\x00" in text:
        raise ServiceError("A note cannot contain NUL characters.", field="body")
    if not Membership.objects.filter(user_id=author.pk, organization_id=conversation.organization_id).exists():
        raise ServiceError.not_found("Conversation")
    mentioned = members_mentioned(organization_id=conversation.organization_id, text=text)
    try:
        # The database has the last word (triggers): a membership removed meanwhile refuses the note or a mention.
        with transaction.atomic():
            note = Note.objects.create(
                organization_id=conversation.organization_id, conversation=conversation, author=author, body=text
            )
            NoteMention.objects.bulk_create([NoteMention(note=note, user=user) for user in mentioned])
    except IntegrityError as exc:
        raise ServiceError(
            "The note was not saved: the organization's members changed meanwhile. Try again.", code="conflict"
        ) from exc
    note = (
        Note.objects.select_related("author", "conversation__contact").prefetch_related(NOTE_MENTIONS).get(pk=note.pk)
    )
    events.publish_on_commit(
        organization_id=note.organization_id,
        event=events.Event.NOTE_CREATED,
        payload=note_payload(note),
        outgoing=(WebhookEventType.NOTE_CREATED,),
    )
    for user in mentioned:
        if user.pk != author.pk:
            events.publish_to_user_on_commit(
                user_id=user.pk, event=events.Event.MENTION_CREATED, payload=mention_payload(note)
            )
    if mentioned:  # desktop notifications and Web Push, by each mentioned member's settings ("mentions")
        notification_dispatch(
            organization_id=note.organization_id,
            kind=Kind.MENTION,
            conversation_id=note.conversation_id,
            tag=f"note-{note.pk}",
            title=f"{user_name(author)} mentioned you",
            body=note.body[:140],
            assignee_id=note.conversation.assignee_id,
            actor_id=author.pk,
            mentioned_ids=tuple(user.pk for user in mentioned),
        )
    return note
