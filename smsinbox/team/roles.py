"""Who may do what in an organization: the one place the roles are decided.

- **admin**: everything an agent does, plus the team (invitations, roles, deactivation), the organization's
  settings, label management (create, rename, delete), shared canned replies and integrations;
- **agent**: the inbox, contacts, notes, their own canned replies, applying labels and saved views.

Superusers count as admins of every organization. Services call ``organization_admin_require`` (a
``ServiceError`` with ``code="forbidden"``: a 403 from the API and the pages); pages ask
``is_organization_admin`` only to choose what to show.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from smsinbox.errors import ServiceError
from smsinbox.models import Membership

FORBIDDEN = "forbidden"


def is_organization_admin(*, user: AbstractBaseUser | AnonymousUser, organization_id: int) -> bool:
    """Whether ``user`` (active) administers the organization: an ``admin`` membership, or a superuser."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(
        user_id=user.pk, organization_id=organization_id, role=Membership.Role.ADMIN, user__is_active=True
    ).exists()


def admins_only_message(what: str) -> str:
    """How every face says that only admins ``what`` (for example "manage labels")."""
    return f"Only the organization's admins {what}. Ask one of them."


def organization_admin_require(
    *, user: AbstractBaseUser | AnonymousUser, organization_id: int, what: str = "do this"
) -> None:
    """Refuse (``ServiceError``, code ``forbidden``) unless ``user`` administers the organization."""
    if not is_organization_admin(user=user, organization_id=organization_id):
        raise ServiceError(admins_only_message(what), code=FORBIDDEN)
