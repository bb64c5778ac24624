"""``contact_merge``: two contacts of one person become one, with one conversation.

Generic over the schema: every row that references the merged contact or its conversation (Django's
reverse relations of ``Contact`` and ``Conversation``, hidden ones included, so a model added later is
moved too) is re-pointed at the kept contact or conversation. A row that the move would make a duplicate
under one of its model's unique constraints (a label on both threads) is deleted instead.

Routing after a merge: the merged contact's row is deleted and its number becomes a ``ContactAlias`` of the
kept contact, so a text from that number lands in the kept contact's one conversation, and nobody can
create a new contact with it. Replies go to the number the person last texted from (``reply_number``).

Lock order, the one ``message_receive`` and ``message_send`` take: the two conversation rows (by id), then
the two contact rows (by id). Holding the contacts ``FOR UPDATE`` also keeps a racing inbound text from
creating a conversation for the merged contact meanwhile (its insert waits, then fails on the deleted row,
and Twilio's retry lands in the kept conversation).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from conversations.models import Contact, ContactAlias, ContactMerge, Conversation
from conversations.payloads import contact_payload
from conversations.services import SNOOZE_CLEARED, contact_announce, conversation_announce
from smsinbox import events
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.models import Organization


def referencing_fields(model: type[models.Model]) -> list[models.ForeignKey]:
    """Every foreign key (or one-to-one) of any model that points at ``model``, hidden ones included
    (a many-to-many relation is reached through its link model's foreign keys)."""
    return [
        rel.field
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _unique_sets(model: type[models.Model], field: models.Field) -> list[tuple[list[str], Q]]:
    """The unique field sets of ``model`` that include ``field``, each with its condition."""
    sets: list[tuple[list[str], Q]] = []
    if field.unique:
        sets.append(([field.name], Q()))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field.name in constraint.fields:
            sets.append((list(constraint.fields), constraint.condition or Q()))
    for together in model._meta.unique_together:
        if field.name in together:
            sets.append((list(together), Q()))
    return sets


def _move_references(model: type[models.Model], source: Any, target: Any, *, skip: tuple = ()) -> Counter:
    """Re-point every row that references ``source`` at ``target``; count moved and dropped rows by model."""
    counts: Counter = Counter()
    for field in referencing_fields(model):
        related = field.model
        if related in skip:
            continue
        manager = related._base_manager
        rows = manager.filter(**{field.name: source})
        for fields, condition in _unique_sets(related, field):
            others = [name for name in fields if name != field.name]
            twin = manager.filter(condition, **{field.name: target}, **{name: OuterRef(name) for name in others})
            duplicates = rows.filter(condition).filter(Exists(twin))
            dropped = duplicates.count()
            if dropped:
                duplicates.delete()
                counts[f"{_label(related)} (duplicates dropped)"] += dropped
        moved = rows.update(**{field.name: target})
        if moved:
            counts[_label(related)] += moved
    return counts


def _combine_conversations(kept: Conversation, merged: Conversation) -> None:
    """The kept thread takes both threads' unread counts, the newer preview and time, an assignee, and is open
    if either was (a snooze of the kept one is dropped then)."""
    newer = max((kept, merged), key=lambda c: (c.last_message_at, c.pk))
    fields: dict[str, object] = {
        "unread_count": kept.unread_count + merged.unread_count,
        "last_message_at": newer.last_message_at,
        "last_message_preview": newer.last_message_preview,
        "assignee_id": kept.assignee_id or merged.assignee_id,
        "updated_at": timezone.now(),
    }
    if Conversation.Status.OPEN in (kept.status, merged.status):
        fields.update(status=Conversation.Status.OPEN, **SNOOZE_CLEARED)
    Conversation.objects.filter(pk=kept.pk).update(**fields)


def _combine_contacts(kept: Contact, merged: Contact) -> None:
    """The kept contact keeps its own name and fills blanks (any text field) from the merged one; an opt-out of
    either stays (a merge never opts anyone in)."""
    fields: dict[str, object] = {}
    for field in Contact._meta.concrete_fields:
        text = isinstance(field, models.CharField | models.TextField) and not field.choices
        if not text or field.name == "phone" or field.name.startswith("opt_out"):
            continue
        if not getattr(kept, field.attname) and getattr(merged, field.attname):
            fields[field.attname] = getattr(merged, field.attname)
    if not kept.is_opted_out and merged.is_opted_out:
        fields.update(
            opted_out_at=merged.opted_out_at,
            opt_out_method=merged.opt_out_method,
            opt_out_keyword=merged.opt_out_keyword,
            opt_out_message_id=merged.opt_out_message_id,
        )
    if fields:
        Contact.objects.filter(pk=kept.pk).update(**fields, updated_at=timezone.now())
        kept.refresh_from_db()


def conversation_removed_publish(*, conversation: Conversation, reason: str, into: int | None = None) -> None:
    """After commit, tell open inboxes to drop this conversation's row (no text in the event). Call it before
    deleting the row (its id is read now)."""
    events.publish_on_commit(
        organization_id=conversation.organization_id,
        event=events.Event.CONVERSATION_REMOVED,
        payload={
            "organization_id": conversation.organization_id,
            "id": conversation.pk,
            "reason": reason,
            "into": into,
        },
    )


@transaction.atomic
def contact_merge(
    *, organization: Organization, user: AbstractBaseUser | None, keep: Contact, merge: Contact
) -> Contact:
    """Merge ``merge`` into ``keep`` (see the module docstring); return the kept contact, as stored.

    Refuses (``ServiceError``, a 400) a contact merged into itself and contacts of another organization.
    Audited by a ``ContactMerge`` row; open inboxes drop the merged thread's row and refresh the kept one.
    """
    if keep.pk == merge.pk:
        raise ServiceError("A contact cannot be merged into itself: choose another contact.", field="into")
    if keep.organization_id != organization.id or merge.organization_id != organization.id:
        raise ServiceError("Only two contacts of the same organization can be merged.", field="into")
    ids = sorted((keep.pk, merge.pk))
    list(Conversation.objects.select_for_update().filter(contact_id__in=ids).order_by("pk"))
    locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(locked) != 2:
        raise ServiceError.not_found("Contact", field="into")
    keep, merge = locked[keep.pk], locked[merge.pk]
    threads = {c.contact_id: c for c in Conversation.objects.filter(contact_id__in=ids)}
    kept_thread, merged_thread = threads.get(keep.pk), threads.get(merge.pk)
    moved: Counter = Counter()
    if merged_thread is not None and kept_thread is not None:
        moved += _move_references(Conversation, merged_thread, kept_thread)
        _combine_conversations(kept_thread, merged_thread)
        conversation_removed_publish(conversation=merged_thread, reason="merged", into=kept_thread.pk)
        merged_thread.delete()  # nothing references it any more
    elif merged_thread is not None:
        Conversation.objects.filter(pk=merged_thread.pk).update(contact=keep, updated_at=timezone.now())
        kept_thread = merged_thread
    moved += _move_references(Contact, merge, keep, skip=(Conversation,))
    _combine_contacts(keep, merge)
    merged_phone, merged_name, merged_id = str(merge.phone), merge.full_name, merge.pk
    merge.delete()  # every row that referenced it was moved
    ContactAlias.objects.create(organization=organization, contact=keep, phone=merged_phone)
    ContactMerge.objects.create(
        organization=organization,
        kept_contact=keep,
        merged_contact_id=merged_id,
        merged_phone=merged_phone,
        merged_name=merged_name,
        merged_by=user if user is not None and user.pk else None,
        moved=dict(sorted(moved.items())),
    )
    audit_record(
        organization=organization,
        action=Action.CONTACT_MERGED,
        actor=user,
        target=keep,
        changes={"merged": {"id": merged_id, "phone": merged_phone, "name": merged_name}},
    )
    contact_announce(contact=keep, change=WebhookEventType.CONTACT_UPDATED)
    events.publish_on_commit(
        organization_id=organization.id,
        event=None,
        payload={},
        outgoing=(WebhookEventType.CONTACT_MERGED,),
        outgoing_payload=lambda: {
            **contact_payload(keep),
            "merged_contact_id": merged_id,
            "merged_phone": merged_phone,
        },
    )
    if kept_thread is not None:
        conversation_announce(conversation=kept_thread)
    return keep


def contact_numbers(contact: Contact) -> list[str]:
    """The contact's own number, then the numbers merged into it (E.164)."""
    return [str(contact.phone), *contact.aliases.order_by("id").values_list("phone", flat=True)]


def contact_history_counts(contact: Contact) -> list[tuple[str, int]]:
    """What a merge would move or an erasure delete, for the confirmation pages: the rows of the contact's
    conversation by kind (every model that references a conversation), then the contact's own rows."""
    found: list[tuple[str, int]] = []
    thread = Conversation.objects.filter(contact=contact).first()
    sources: list[tuple[type[models.Model], Any]] = [(Conversation, thread)] if thread is not None else []
    sources.append((Contact, contact))
    for model, row in sources:
        for field in referencing_fields(model):
            if model is Contact and field.model is Conversation:
                continue
            count = field.model._base_manager.filter(**{field.name: row}).count()
            if count:
                meta = field.model._meta
                found.append((str(meta.verbose_name if count == 1 else meta.verbose_name_plural), count))
    return found
