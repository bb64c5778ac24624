"""Reads of the team that check access: members and invitations are seen by the organization's admins."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, IntegerField, QuerySet, Value, When

from smsinbox.models import Membership, Organization
from smsinbox.team.models import Invite
from smsinbox.tenancy import admin_organization_ids


def _administered(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Organization]:
    ids = admin_organization_ids(user)
    return Organization.objects.all() if ids is None else Organization.objects.filter(pk__in=ids)


def team_members(*, organization: Organization) -> QuerySet[Membership]:
    """The organization's members: admins first, then by username (with their user: last login)."""
    admins_first = Case(When(role=Membership.Role.ADMIN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by(admins_first, "user__username")
    )


def organization_admin_names(*, organization: Organization) -> list[str]:
    """Who to ask: the usernames of the organization's admins (shown to its agents)."""
    return list(
        Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN, user__is_active=True)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def invites_pending(*, organization: Organization) -> QuerySet[Invite]:
    """Invitations neither accepted nor revoked (expired ones included: the page offers to resend them)."""
    return Invite.objects.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def membership_get_for_admin(*, user: AbstractBaseUser | AnonymousUser, membership_id: int) -> Membership | None:
    """A membership of an organization ``user`` administers, else ``None``."""
    return (
        Membership.objects.select_related("user", "organization")
        .filter(pk=membership_id, organization__in=_administered(user))
        .first()
    )


def invite_get_for_admin(*, user: AbstractBaseUser | AnonymousUser, invite_id: int) -> Invite | None:
    """An invitation of an organization ``user`` administers, else ``None``."""
    return (
        Invite.objects.select_related("organization").filter(pk=invite_id, organization__in=_administered(user)).first()
    )


def membership_of(*, organization: Organization | None, user: AbstractBaseUser) -> Membership | None:
    """The user's own membership of the organization (``None``: no organization, or not a member)."""
    if organization is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(organization=organization, user_id=user.pk).first()
