"""Which organizations a user may see, in one place for pages, APIs, websockets and admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from smsinbox.integrations.keys import key_of
from smsinbox.models import Membership, Organization

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def organization_ids_for_user(user: AbstractBaseUser | AnonymousUser, *, role: str | None = None) -> list[int]:
    """Return the ids of the organizations ``user`` belongs to (with ``role``, if given)."""
    if not user.is_authenticated or not user.is_active:
        return []
    key = key_of(user)
    if key is not None:  # an organization API key: its organization, never an admin's role
        return [key.organization_id] if role is None else []
    memberships = Membership.objects.filter(user_id=user.pk)
    if role is not None:
        memberships = memberships.filter(role=role)
    return list(memberships.values_list("organization_id", flat=True))


def organizations_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Organization]:
    """Return the organizations ``user`` belongs to, by name."""
    return Organization.objects.filter(id__in=organization_ids_for_user(user))


def admin_organization_ids(user: AbstractBaseUser | AnonymousUser) -> list[int] | None:
    """Return the organizations ``user`` administers in Django admin; ``None`` means all (superuser)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    return organization_ids_for_user(user, role=Membership.Role.ADMIN)


SESSION_KEY = "organization_id"


def current_organization(request: Any) -> Organization | None:
    """The organization the signed-in user is looking at: the one they switched to, else their first."""
    organizations = list(organizations_for_user(request.user))
    if not organizations:
        return None
    chosen = request.session.get(SESSION_KEY)
    for organization in organizations:
        if organization.pk == chosen:
            return organization
    return organizations[0]
