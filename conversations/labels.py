"""Services of labels and saved views: each one call from a face, announced to open inboxes after commit.

A label's name is unique in its organization whatever its case, and its colour a key of the fixed palette
(``LABEL_COLORS``): the database has the last word (constraints), so two requests racing to create one name end
with one label and a clear refusal. Labels are attached through ``conversations.label_rows``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from conversations.label_rows import conversation_labels_change, labels_resolve
from conversations.models import (
    LABEL_COLORS,
    LABEL_NAME_MAX_LENGTH,
    SAVED_VIEW_NAME_MAX_LENGTH,
    Conversation,
    Label,
    SavedView,
)
from conversations.payloads import label_changed_payload
from conversations.services import conversation_announce
from smsinbox import events
from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.team.roles import organization_admin_require


def _clean_name(name: str, *, what: str, limit: int) -> str:
    text = " ".join(name.split())
    if not text:
        raise ServiceError(f"Give the {what} a name.", code="blank", field="name")
    if len(text) > limit:
        raise ServiceError(f"A {what}'s name is at most {limit} characters.", field="name")
    if "\x00" in text:
        raise ServiceError(f"A {what}'s name cannot contain NUL characters.", field="name")
    return text


def _clean_color(color: str) -> str:
    if color not in LABEL_COLORS:
        raise ServiceError(f"Colour must be one of: {', '.join(LABEL_COLORS)}.", field="color")
    return color


def _duplicate(organization_id: int, name: str, exclude: int | None = None) -> ServiceError:
    existing = Label.objects.filter(organization_id=organization_id, name__iexact=name).exclude(pk=exclude).first()
    named = f" (label #{existing.pk}, “{existing.name}”)" if existing else ""
    return ServiceError(f"A label named “{name}” already exists{named}.", code="duplicate", field="name")


LABELS_ADMIN_ACTION = "create, rename or delete labels"  # what only admins do with labels (smsinbox.team.roles)


def _admins_only(actor: AbstractBaseUser | None, organization_id: int) -> None:
    if actor is not None:
        organization_admin_require(user=actor, organization_id=organization_id, what=LABELS_ADMIN_ACTION)


def _announce(label: Label, *, deleted: bool = False, pk: int | None = None) -> None:
    events.publish_on_commit(
        organization_id=label.organization_id,
        event=events.Event.LABEL_CHANGED,
        payload=label_changed_payload(label, deleted=deleted, pk=pk),
    )


@transaction.atomic
def label_create(
    *, organization: Organization, name: str, color: str = "gray", actor: AbstractBaseUser | None = None
) -> Label:
    """Create a label; every open inbox of the organization hears ``label.changed``.

    ``actor``: who asks (every page, API and admin passes it): the organization's admins only
    (``smsinbox.team.roles``); ``None`` is the system itself (fixtures, imports).
    """
    _admins_only(actor, organization.pk)
    text = _clean_name(name, what="label", limit=LABEL_NAME_MAX_LENGTH)
    try:
        with transaction.atomic():
            label = Label.objects.create(organization=organization, name=text, color=_clean_color(color))
    except IntegrityError:
        raise _duplicate(organization.pk, text) from None
    audit_record(organization=organization, action=Action.LABEL_CREATED, actor=actor, target=label)
    _announce(label)
    return label


@transaction.atomic
def label_update(
    *, label: Label, name: str | None = None, color: str | None = None, actor: AbstractBaseUser | None = None
) -> Label:
    """Rename or recolour a label (the organization's admins: see ``label_create``); open inboxes re-render it
    wherever it shows (``label.changed``)."""
    _admins_only(actor, label.organization_id)
    before = {"name": label.name, "color": label.color}
    if name is not None:
        label.name = _clean_name(name, what="label", limit=LABEL_NAME_MAX_LENGTH)
    if color is not None:
        label.color = _clean_color(color)
    try:
        with transaction.atomic():
            label.save(update_fields=["name", "color"])
    except IntegrityError:
        raise _duplicate(label.organization_id, label.name, exclude=label.pk) from None
    if changed := changes_between(before, {"name": label.name, "color": label.color}):
        audit_record(
            organization=label.organization_id, action=Action.LABEL_CHANGED, actor=actor, target=label, changes=changed
        )
    _announce(label)
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: AbstractBaseUser | None = None) -> None:
    """Delete a label (the organization's admins: see ``label_create``): it leaves every conversation and
    contact, and the saved views that filter by it go."""
    _admins_only(actor, label.organization_id)
    pk = label.pk
    audit_record(organization=label.organization_id, action=Action.LABEL_DELETED, actor=actor, target=label)
    label.delete()
    _announce(label, deleted=True, pk=pk)


@transaction.atomic
def conversations_label(
    *,
    organization: Organization,
    conversation_ids: Iterable[int],
    add: Iterable[int] = (),
    remove: Iterable[int] = (),
    by_user_id: int | None = None,
) -> list[Conversation]:
    """Add and remove labels on several conversations of an organization at once, all or nothing.

    Any conversation or label id that is not the organization's is refused before anything is written. Each
    conversation that changed is announced (``conversation.updated`` with its ``labels``), and each label added or
    removed is an activity event of its conversation (``by_user_id``: who did it).
    """
    adding = labels_resolve(organization_id=organization.pk, label_ids=add)
    removing = labels_resolve(organization_id=organization.pk, label_ids=remove)
    wanted = list(dict.fromkeys(conversation_ids))
    if not wanted:
        raise ServiceError("Choose at least one conversation.", field="conversations")
    conversations = list(Conversation.objects.filter(organization=organization, pk__in=wanted).order_by("pk"))
    if len(conversations) != len(wanted):
        raise ServiceError.not_found("Conversation", field="conversations")
    for conversation in conversations:
        if conversation_labels_change(conversation=conversation, add=adding, remove=removing, actor_id=by_user_id):
            conversation_announce(conversation=conversation)
    return conversations


# --- Saved views ----------------------------------------------------------------------------------


@transaction.atomic
def saved_view_create(
    *,
    organization: Organization,
    owner: AbstractBaseUser,
    name: str,
    shared: bool = False,
    status: str = "",
    assigned: str = "",
    label_id: int | None = None,
    unread: bool = False,
    q: str = "",
) -> SavedView:
    """Save a combination of the list's filters under a name, for its owner or shared with the organization."""
    text = _clean_name(name, what="view", limit=SAVED_VIEW_NAME_MAX_LENGTH)
    if status not in ("", *Conversation.Status.values):
        raise ServiceError("Status must be open, closed or empty.", field="status")
    if assigned not in ("", "me", "unassigned"):
        raise ServiceError("Assigned must be me, unassigned or empty.", field="assigned")
    if "\x00" in q or len(q) > 200:
        raise ServiceError("The search is at most 200 characters, without NUL.", field="q")
    if label_id is not None:
        labels_resolve(organization_id=organization.pk, label_ids=[label_id])
    if not Membership.objects.filter(user_id=owner.pk, organization=organization).exists():
        raise ServiceError.not_found("Organization")
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                organization=organization,
                owner=owner,
                name=text,
                shared=shared,
                status=status,
                assigned=assigned,
                label_id=label_id,
                unread=unread,
                q=q.strip(),
            )
    except IntegrityError:
        raise ServiceError(f"You already have a view named “{text}”.", code="duplicate", field="name") from None


@transaction.atomic
def saved_view_update(
    *, view: SavedView, user: AbstractBaseUser, name: str | None = None, shared: bool | None = None
) -> SavedView:
    """Rename a saved view or share it (or stop sharing it): its owner only."""
    if view.owner_id != user.pk:
        raise ServiceError("Only the person who saved this view can change it.", code="forbidden")
    if name is not None:
        view.name = _clean_name(name, what="view", limit=SAVED_VIEW_NAME_MAX_LENGTH)
    if shared is not None:
        view.shared = shared
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "shared"])
    except IntegrityError:
        raise ServiceError(f"You already have a view named “{view.name}”.", code="duplicate", field="name") from None
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, user: AbstractBaseUser) -> None:
    """Delete a saved view: only its owner may (a shared view is seen by all, deleted by its owner)."""
    if view.owner_id != user.pk:
        raise ServiceError("Only the person who saved this view can delete it.", code="forbidden")
    view.delete()
