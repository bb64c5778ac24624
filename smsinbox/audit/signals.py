"""Sign-in, sign-out and failed sign-in, from Django's auth signals (the product's login and Django admin's).

An entry per organization the user belongs to, so each organization's admins see their own staff's; a user of
no organization (a superuser) gets one entry of none. A failed sign-in with a username that nobody has belongs
to no organization (superusers see it in Django admin), and keeps the username tried (at most 150 characters).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from smsinbox.audit.models import AuditEntry
from smsinbox.audit.services import audit_record, audit_record_for_user


def _organization_ids(user: Any) -> list[int | None]:
    from smsinbox.models import Membership

    ids = list(Membership.objects.filter(user_id=user.pk).order_by("organization_id").values_list(
        "organization_id", flat=True))  # fmt: skip
    return list(ids) or [None]


def _each_organization(user: Any, action: str) -> None:
    audit_record_for_user(user=user, action=action)


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _each_organization(user, AuditEntry.Action.SIGN_IN)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        _each_organization(user, AuditEntry.Action.SIGN_OUT)


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")[:150]
    user = get_user_model()._default_manager.filter(username=username).first() if username else None
    if user is None:
        audit_record(organization=None, action=AuditEntry.Action.SIGN_IN_FAILED, label=username)
        return
    for organization_id in _organization_ids(user):
        audit_record(organization=organization_id, action=AuditEntry.Action.SIGN_IN_FAILED, target=user)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="smsinbox.audit.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="smsinbox.audit.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="smsinbox.audit.login_failed")
