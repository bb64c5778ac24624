"""Writes for tenancy: organizations, their numbers and their staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction

from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.phones import InvalidPhoneNumber, to_e164

ORG_ADMINS_GROUP = "Organization admins"

# Models an organization admin manages in Django admin (always within their organizations).
_ORG_ADMIN_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "smsinbox.organization": ("view", "change"),
    "smsinbox.membership": ("view", "add", "change", "delete"),
    "smsinbox.phonenumber": ("view", "add", "change"),
    "conversations.contact": ("view", "add", "change", "delete"),
    "conversations.conversation": ("view", "change"),
    "messaging.message": ("view",),
    "messaging.messagemedia": ("view",),
    "messaging.messageevent": ("view",),
}


@dataclass
class SetupResult:
    organization: Organization
    user: User
    changes: list[str] = field(default_factory=list)


def org_admins_group_ensure() -> Group:
    """Return the group that grants organization admins their Django admin permissions."""
    group, _ = Group.objects.get_or_create(name=ORG_ADMINS_GROUP)
    wanted = []
    for label, actions in _ORG_ADMIN_PERMISSIONS.items():
        app_label, model = label.split(".")
        for action in actions:
            wanted.append((app_label, f"{action}_{model}"))
    perms = Permission.objects.filter(
        content_type__app_label__in={a for a, _ in wanted}, codename__in={c for _, c in wanted}
    ).select_related("content_type")
    perms = [p for p in perms if (p.content_type.app_label, p.codename) in set(wanted)]
    group.permissions.add(*perms)
    return group


@transaction.atomic
def organization_setup(*, name: str, numbers: list[str], username: str, password: str) -> SetupResult:
    """Create or update an organization, its numbers, an admin staff user and the membership.

    Idempotent: running it twice with the same arguments changes nothing the second time.
    Raises ``ServiceError`` for a malformed number or a number owned by another organization,
    before anything is written.
    """
    name = name.strip()
    if not name:
        raise ServiceError("The organization needs a name.", field="name")
    if not username.strip():
        raise ServiceError("The user needs a username.", field="username")
    if not password:
        raise ServiceError("The user needs a password.", field="password")
    e164_numbers: list[str] = []
    for raw in numbers:
        try:
            e164_numbers.append(to_e164(raw))
        except InvalidPhoneNumber as exc:
            raise ServiceError(str(exc), field="number") from exc

    changes: list[str] = []
    organization, created = Organization.objects.get_or_create(name=name)
    changes.append(f"{'created' if created else 'found'} organization {organization.name!r}")

    for number in dict.fromkeys(e164_numbers):
        existing = PhoneNumber.objects.select_related("organization").filter(number=number).first()
        if existing is None:
            try:
                with transaction.atomic():
                    PhoneNumber.objects.create(organization=organization, number=number)
            except IntegrityError as exc:
                raise ServiceError(f"{number} was just added by someone else; run the command again.") from exc
            changes.append(f"added number {number}")
        elif existing.organization_id != organization.id:
            raise ServiceError(
                f"{number} already belongs to organization {existing.organization.name!r}.", field="number"
            )
        else:
            changes.append(f"number {number} already set up")

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, is_staff=True, is_active=True)
        user.set_password(password)
        user.save()
        changes.append(f"created user {username!r}")
    else:
        updated = []
        if not user.check_password(password):
            user.set_password(password)
            updated.append("password")
        if not user.is_staff or not user.is_active:
            user.is_staff = user.is_active = True
            updated.append("activated as staff")
        if updated:
            user.save()
            changes.append(f"updated user {username!r}: {', '.join(updated)}")
        else:
            changes.append(f"user {username!r} unchanged")
    user.groups.add(org_admins_group_ensure())

    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Membership.Role.ADMIN}
    )
    if created:
        changes.append(f"made {username!r} an admin of {organization.name!r}")
    elif membership.role != Membership.Role.ADMIN:
        membership.role = Membership.Role.ADMIN
        membership.save(update_fields=["role"])
        changes.append(f"promoted {username!r} to admin of {organization.name!r}")
    else:
        changes.append(f"{username!r} already an admin of {organization.name!r}")
    return SetupResult(organization=organization, user=user, changes=changes)
