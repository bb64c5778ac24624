"""Canned replies' writes: create, update, delete (kept apart from ``conversations.services`` to stay small).

Who may write what (``may_manage_canned``): any member manages their own personal replies; shared ones
(``owner`` empty) are managed by the organization's admins (``Membership.Role.ADMIN``) and superusers,
who may also manage members' personal replies from Django admin. A refusal names nothing the caller may
not see: a reply that is not theirs to see is "not found". Duplicate shortcuts are settled by the
database's unique constraints (no check-then-insert), and answered with a clear error on ``shortcut``.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from conversations.canned import body_problems
from conversations.models import (
    CANNED_BODY_MAX_LENGTH,
    CANNED_NAME_MAX_LENGTH,
    CANNED_SHORTCUT_MAX_LENGTH,
    CANNED_SHORTCUT_REGEX,
    CannedReply,
)
from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.team.roles import is_organization_admin

_UNSET: Any = object()


def may_manage_canned(*, user: AbstractBaseUser, reply: CannedReply) -> bool:
    """Whether ``user`` may change or delete ``reply``: their own personal one, or as the organization's admin."""
    if reply.owner_id is not None and reply.owner_id == user.pk:
        return True
    return is_organization_admin(user=user, organization_id=reply.organization_id)


def _clean_name(name: str) -> str:
    text = name.strip()
    if not text:
        raise ServiceError("Give the reply a name.", code="blank", field="name")
    if len(text) > CANNED_NAME_MAX_LENGTH:
        raise ServiceError(f"A name is at most {CANNED_NAME_MAX_LENGTH} characters.", field="name")
    return text


def _clean_shortcut(shortcut: str) -> str:
    text = shortcut.strip().removeprefix("/").lower()
    if not text:
        raise ServiceError("Give the reply a shortcut (typed after / in the composer).", code="blank", field="shortcut")
    if len(text) > CANNED_SHORTCUT_MAX_LENGTH:
        raise ServiceError(f"A shortcut is at most {CANNED_SHORTCUT_MAX_LENGTH} characters.", field="shortcut")
    if not re.fullmatch(CANNED_SHORTCUT_REGEX, text):
        raise ServiceError(
            "A shortcut has letters, digits, - and _ only, and starts with a letter or digit (e.g. hours).",
            field="shortcut",
        )
    return text


def _clean_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise ServiceError("Write the reply: it cannot be empty.", code="blank", field="body")
    if len(text) > CANNED_BODY_MAX_LENGTH:
        raise ServiceError(
            f"A reply is at most {CANNED_BODY_MAX_LENGTH} characters (this one has {len(text)}).", field="body"
        )
    if "\x00" in text:
        raise ServiceError("A reply cannot contain NUL characters.", field="body")
    problem = body_problems(text)
    if problem:
        raise ServiceError(problem, code="variable", field="body")
    return text


def _announce(reply: CannedReply, *, before_owner: int | None = _UNSET, deleted: bool = False) -> None:
    """Tell open inboxes, once committed, that a reply changed (no text: their pickers load the list again).

    Whoever could insert it before or after hears it: the organization's group when it is or was shared,
    its owner's (and former owner's) group when it is or was personal; nobody else learns a personal reply
    exists. ``before_owner``: its owner before an update (``None``: it was shared).
    """
    after = reply.owner_id
    before = after if before_owner is _UNSET else before_owner
    payload = {"organization_id": reply.organization_id, "id": reply.pk, "shared": after is None, "deleted": deleted}
    event = events.Event.CANNED_REPLY_CHANGED
    if after is None or before is None:
        events.publish_on_commit(organization_id=reply.organization_id, event=event, payload=payload)
    for user_id in {after, before} - {None}:
        events.publish_to_user_on_commit(user_id=user_id, event=event, payload=payload)


def _save(reply: CannedReply) -> CannedReply:
    """Save, letting the database settle duplicates and membership (its constraints and trigger)."""
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError as exc:
        scope = "shared reply of the organization" if reply.owner_id is None else "of your personal replies"
        if "shortcut" in str(exc) or "UNIQUE" in str(exc).upper():
            raise ServiceError(
                f"Another {scope} already has the shortcut /{reply.shortcut}.", code="duplicate", field="shortcut"
            ) from exc
        raise ServiceError(
            "The reply was not saved: its owner is not a member of the organization.", code="conflict"
        ) from exc
    return reply


@transaction.atomic
def canned_reply_create(
    *,
    organization: Organization,
    actor: AbstractBaseUser,
    name: str,
    shortcut: str,
    body: str,
    shared: bool,
    owner: AbstractBaseUser | None = None,
) -> CannedReply:
    """Save a canned reply: shared with the organization (its admins only), or personal.

    A personal reply belongs to ``owner`` (the actor when not given; another member only when the actor
    administers the organization). Refused with a clear error: a blank or too long name or body, a bad or
    taken shortcut, an unknown ``{{variable}}``, or a caller who may not.
    """
    if not Membership.objects.filter(user_id=actor.pk, organization_id=organization.pk).exists() and not (
        getattr(actor, "is_superuser", False)
    ):
        raise ServiceError.not_found("Organization")
    owner = None if shared else (owner or actor)
    if (shared or owner.pk != actor.pk) and not is_organization_admin(user=actor, organization_id=organization.pk):
        raise ServiceError(
            "Only the organization's admins manage shared replies; save it as your own instead.",
            code="forbidden",
            field="shared",
        )
    reply = CannedReply(
        organization=organization,
        owner=owner,
        name=_clean_name(name),
        shortcut=_clean_shortcut(shortcut),
        body=_clean_body(body),
    )
    _save(reply)
    _announce(reply)
    return reply


@transaction.atomic
def canned_reply_update(
    *,
    reply: CannedReply,
    actor: AbstractBaseUser,
    name: str = _UNSET,
    shortcut: str = _UNSET,
    body: str = _UNSET,
    shared: bool = _UNSET,
    owner: AbstractBaseUser | None = _UNSET,
) -> CannedReply:
    """Change what is given of a reply. Sharing a personal reply, or making a shared one personal (the
    actor's with ``shared=False``, or ``owner``'s: ``None`` is shared) is an admin's; a shared reply is
    changed by admins only."""
    if not may_manage_canned(user=actor, reply=reply):
        raise ServiceError("Only the organization's admins change shared replies.", code="forbidden", field="shared")
    before_owner = reply.owner_id
    if name is not _UNSET:
        reply.name = _clean_name(name)
    if shortcut is not _UNSET:
        reply.shortcut = _clean_shortcut(shortcut)
    if body is not _UNSET:
        reply.body = _clean_body(body)
    if shared is not _UNSET and shared != reply.is_shared:
        if not is_organization_admin(user=actor, organization_id=reply.organization_id):
            raise ServiceError("Only the organization's admins share replies.", code="forbidden", field="shared")
        reply.owner = None if shared else actor
    if owner is not _UNSET and (owner.pk if owner else None) != reply.owner_id:
        if not is_organization_admin(user=actor, organization_id=reply.organization_id):
            raise ServiceError(
                "Only the organization's admins give replies to others.", code="forbidden", field="owner"
            )
        reply.owner = owner
    _save(reply)
    _announce(reply, before_owner=before_owner)
    return reply


@transaction.atomic
def canned_reply_delete(*, reply: CannedReply, actor: AbstractBaseUser) -> None:
    """Delete a reply: the owner's personal one, or any of the organization's as its admin."""
    if not may_manage_canned(user=actor, reply=reply):
        raise ServiceError("Only the organization's admins delete shared replies.", code="forbidden")
    pk = reply.pk
    reply.delete()
    reply.pk = pk  # the announcement names what was deleted
    _announce(reply, deleted=True)
