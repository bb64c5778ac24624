"""Attaching labels to conversations and contacts, below the services that announce it.

``conversations.services`` (``conversation_update``, ``contact_update``) and ``conversations.labels`` (the label
services) both write labels through these helpers; they announce nothing themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.activity import activity_record
from conversations.models import Contact, ContactLabel, Conversation, ConversationEvent, ConversationLabel, Label
from smsinbox.errors import ServiceError


def labels_resolve(*, organization_id: int, label_ids: Iterable[object]) -> list[Label]:
    """The organization's labels with these ids; any other id (unknown, another organization's, not a whole
    number) is a clear refusal naming it, so nothing is half-written."""
    wanted: list[int] = []
    for raw in label_ids:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise ServiceError(f"Labels are given by their ids (whole numbers); {raw!r} is not one.", field="labels")
        if raw not in wanted:
            wanted.append(raw)
    found = {label.pk: label for label in Label.objects.filter(organization_id=organization_id, pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ServiceError(
            f"Unknown label{'s' if len(missing) > 1 else ''}: {', '.join(map(str, missing))} "
            "(not a label of this organization).",
            field="labels",
        )
    return [found[pk] for pk in wanted]


def _settled(write) -> None:  # type: ignore[no-untyped-def]
    """Run a link-table write; the database's refusal (a trigger: labels of one organization only) is a 400."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        raise ServiceError("A label of another organization cannot be used here.", field="labels") from exc


def conversation_labels_change(
    *,
    conversation: Conversation,
    add: Iterable[Label] = (),
    remove: Iterable[Label] = (),
    actor_id: int | None = None,
) -> bool:
    """Add and remove labels of a conversation (its row unannounced); return whether anything changed.

    A change touches the conversation's row (``updated_at``), so its ``version`` rises (a trigger) and a
    resync after a dropped websocket finds it. Each label actually added or removed is an activity event
    (``actor_id``: who did it); one already there, or already gone, is none.
    """
    add = list(add)
    adding, removing = [label.pk for label in add], [label.pk for label in remove]
    removed = 0
    gone: list[Label] = []
    if removing:
        rows = ConversationLabel.objects.filter(conversation=conversation, label_id__in=removing).select_related(
            "label"
        )
        for row in rows.order_by("label_id"):
            # One row at a time: only a removal this transaction made is an event (a concurrent one made its own).
            if ConversationLabel.objects.filter(pk=row.pk).delete()[0]:
                removed += 1
                gone.append(row.label)
    present = set(
        ConversationLabel.objects.filter(conversation=conversation, label_id__in=adding).values_list(
            "label_id", flat=True
        )
    )
    new = [pk for pk in adding if pk not in present and pk not in removing]
    if new:
        _settled(
            lambda: ConversationLabel.objects.bulk_create(
                [ConversationLabel(conversation=conversation, label_id=pk) for pk in new], ignore_conflicts=False
            )
        )
    changed = bool(removed or new)
    if changed:
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    names = {label.pk: label for label in add}
    for kind, labels in (
        (ConversationEvent.Kind.UNLABELLED, gone),
        (ConversationEvent.Kind.LABELLED, [names[pk] for pk in new]),
    ):
        for label in labels:
            facts = {"label_id": label.pk, "label_name": label.name, "label_color": label.color}
            activity_record(conversation=conversation, kind=kind, actor_id=actor_id, data=facts)
    return changed


def conversation_labels_replace(
    *, conversation: Conversation, labels: list[Label], actor_id: int | None = None
) -> bool:
    """Give a conversation exactly these labels (unannounced); return whether anything changed."""
    current = set(ConversationLabel.objects.filter(conversation=conversation).values_list("label_id", flat=True))
    wanted = {label.pk for label in labels}
    return conversation_labels_change(
        conversation=conversation,
        add=[label for label in labels if label.pk not in current],
        remove=[Label(pk=pk) for pk in current - wanted],
        actor_id=actor_id,
    )


def contact_labels_replace(*, contact: Contact, labels: list[Label]) -> bool:
    """Give a contact exactly these labels; return whether anything changed."""
    current = set(ContactLabel.objects.filter(contact=contact).values_list("label_id", flat=True))
    wanted = {label.pk for label in labels}
    gone = current - wanted
    if gone:
        ContactLabel.objects.filter(contact=contact, label_id__in=gone).delete()
    new = [pk for pk in wanted - current]
    if new:
        _settled(lambda: ContactLabel.objects.bulk_create([ContactLabel(contact=contact, label_id=pk) for pk in new]))
    if gone or new:
        Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return bool(gone or new)
