"""Writing the audit log: ``audit_record`` (inside the caller's transaction) and ``audit_prune`` (retention).

``audit_record`` is called by the services that change data or access, one line each, inside their own
``transaction.atomic``: a refused or rolled-back action leaves no entry, a committed one always has its
entry. The address and browser come from the request being served (``smsinbox.audit.context``); the actor
is the one given, else the request's user (a staff member, or an organization API key named as such).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from smsinbox.audit.context import current_request, origin_of, request_user
from smsinbox.audit.models import AuditEntry

Action = AuditEntry.Action
LABEL_MAX = 200


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field of ``after`` whose value differs from ``before``."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def _actor(actor: Any) -> tuple[int | None, str]:
    if isinstance(actor, int):  # a user's id, as some services carry it
        from django.contrib.auth import get_user_model

        name = get_user_model()._default_manager.filter(pk=actor).values_list("username", flat=True).first()
        return actor, (name or "")[:150]
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    key = getattr(actor, "api_key", None)
    if key is not None and actor.pk is None:
        return None, f"API key {key.name}"[:150]
    return actor.pk, actor.get_username()[:150]


def _target(target: models.Model | None) -> dict[str, Any]:
    if target is None:
        return {}
    found = {
        "target_type": target._meta.model_name,
        "target_id": target.pk,
        "target_label": str(target)[:LABEL_MAX],
    }
    if target._meta.model_name == "contact":
        found["contact_id"] = target.pk
    elif getattr(target, "contact_id", None) is not None:
        found["contact_id"] = target.contact_id  # a conversation: about its contact
    return found


def audit_record(
    *,
    organization: Any,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    label: str | None = None,
    target_type: str = "",
    target_id: int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (see the module docstring). ``organization``: an Organization, its id, or ``None``;
    ``actor``: a user, a user's id, or ``None`` (the request's user); ``label``: what the target is called, when
    its ``str`` is not right; ``target_type``/``target_id``: a target that is gone (a deleted row)."""
    request = current_request()
    actor_id, actor_name = _actor(actor if actor is not None else request_user(request))
    origin = origin_of(request)
    fields = _target(target) or ({"target_type": target_type, "target_id": target_id} if target_type else {})
    if label is not None:
        fields["target_label"] = label[:LABEL_MAX]
    return AuditEntry.objects.create(
        organization_id=getattr(organization, "pk", organization),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        changes=dict(changes or {}),
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        **fields,
    )


@transaction.atomic
def audit_prune(*, now: Any = None) -> int:
    """Delete the entries older than their organization's ``audit_retention_days`` (entries of no
    organization: ``AUDIT_RETENTION_DAYS``); return how many went. The only routine delete of the log."""
    from smsinbox.models import Organization

    now = now or timezone.now()
    removed = AuditEntry.objects.filter(
        organization__isnull=True, created_at__lt=now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    ).delete()[0]
    for organization_id, days in Organization.objects.values_list("pk", "audit_retention_days"):
        removed += AuditEntry.objects.filter(
            organization_id=organization_id, created_at__lt=now - timedelta(days=days)
        ).delete()[0]
    return removed


def audit_forget_contact(*, organization_id: int, contact_ids: list[int]) -> int:
    """Delete the entries about a contact being erased, and about the contacts merged into it (names, numbers,
    notes in their changes); return how many. Called by ``contact_erase`` only, in its transaction."""
    return AuditEntry.objects.filter(organization_id=organization_id, contact_id__in=contact_ids).delete()[0]


def audit_record_for_user(*, user: Any, action: str, changes: Mapping[str, Any] | None = None) -> None:
    """An entry in each organization ``user`` belongs to (none: one entry of no organization), about ``user``:
    what concerns an account rather than one organization (signing in, two-factor sign-in), so that each of its
    organizations' admins see it."""
    from smsinbox.models import Membership

    ids: list[int | None] = list(
        Membership.objects.filter(user_id=user.pk).order_by("organization_id").values_list("organization_id", flat=True)
    )
    for organization_id in ids or [None]:
        audit_record(organization=organization_id, action=action, actor=user, target=user, changes=changes)
