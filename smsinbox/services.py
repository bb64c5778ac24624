"""Writes for tenancy: organizations, their numbers and their staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import RestrictedError

from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.phones import InvalidPhoneNumber, phone_region_clean, to_e164
from smsinbox.team.services import last_admin_refuse

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
    "conversations.note": ("view",),
    "conversations.conversationevent": ("view",),  # the activity log, read only in the conversation's page
    "conversations.cannedreply": ("view", "add", "change", "delete"),
    "smsinbox.webhookendpoint": ("view", "add", "change", "delete"),  # integrations
    "smsinbox.webhookdelivery": ("view",),
    "smsinbox.apikey": ("view",),
    "messaging.openinginterval": ("view",),  # business hours: read only here, changed on /settings/hours/
    "messaging.holiday": ("view",),
    "messaging.autoreplysettings": ("view",),
    "smsinbox.auditentry": ("view",),  # the audit log, read only
}


@dataclass
class SetupResult:
    organization: Organization
    user: User
    changes: list[str] = field(default_factory=list)


def organization_admins_group_ensure() -> Group:
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
    user.groups.add(organization_admins_group_ensure())

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


# --- One row at a time (Django admin's writes) ------------------------------------------


def _validated(instance: models.Model) -> None:
    """Check ``instance`` by its model's own rules (fields, ``clean()``, unique and check
    constraints); the first one broken is a ``ServiceError`` on its field."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(messages[0], field=None if name == NON_FIELD_ERRORS else name) from None


def _saved(instance: models.Model, *, taken: str, field: str) -> None:
    """Validate and save ``instance``; a unique row inserted meanwhile by someone else is refused with ``taken``."""
    _validated(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise ServiceError(taken, code="duplicate", field=field) from None


def _e164(number: str) -> str:
    try:
        return to_e164(number)
    except InvalidPhoneNumber as exc:
        raise ServiceError(str(exc), field="number") from exc


def _pace(messages_per_second: Decimal) -> Decimal:
    if messages_per_second <= 0:  # phonenumber_mps_positive, worded
        raise ServiceError("The sending pace must be above 0 messages per second.", field="messages_per_second")
    return messages_per_second


@transaction.atomic
def organization_create(
    *, name: str, auto_assign_on_reply: bool = True, only_assignee_replies: bool = False, phone_region: str = ""
) -> Organization:
    """Create an organization (no numbers, no members yet) with its reply rules and phone region."""
    organization = Organization(
        name=name.strip(),
        auto_assign_on_reply=auto_assign_on_reply,
        only_assignee_replies=only_assignee_replies,
        phone_region=_phone_region(phone_region),
    )
    _saved(organization, taken=f"An organization named {organization.name!r} already exists.", field="name")
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    name: str | None = None,
    auto_assign_on_reply: bool | None = None,
    only_assignee_replies: bool | None = None,
    phone_region: str | None = None,
    audit_retention_days: int | None = None,
) -> Organization:
    """Rename an organization, change its reply rules or its phone region (see ``Organization``)."""
    settings_fields = ("name", "auto_assign_on_reply", "only_assignee_replies", "phone_region", "audit_retention_days")
    before = {name: getattr(organization, name) for name in settings_fields}
    if phone_region is not None:
        organization.phone_region = _phone_region(phone_region)
    if name is not None:
        organization.name = name.strip()
    if auto_assign_on_reply is not None:
        organization.auto_assign_on_reply = auto_assign_on_reply
    if only_assignee_replies is not None:
        organization.only_assignee_replies = only_assignee_replies
    if audit_retention_days is not None:
        organization.audit_retention_days = audit_retention_days
    _saved(organization, taken=f"An organization named {organization.name!r} already exists.", field="name")
    after = {name: getattr(organization, name) for name in settings_fields}
    if changed := changes_between(before, after):
        audit_record(organization=organization, action=Action.SETTINGS_CHANGED, target=organization, changes=changed)
    return organization


def _phone_region(text: str) -> str:
    try:
        return phone_region_clean(text)
    except ValueError as exc:
        raise ServiceError(str(exc), field="phone_region") from exc


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Delete an organization with everything it holds: numbers, members, contacts, conversations, messages."""
    organization.delete()


@transaction.atomic
def phone_number_create(
    *,
    organization: Organization,
    number: str,
    friendly_name: str = "",
    messaging_service_sid: str = "",
    messages_per_second: Decimal = Decimal("1"),
    twilio_scheduling: bool = False,
) -> PhoneNumber:
    """Add a Twilio number (typed any common way, stored E.164) to an organization."""
    phone_number = PhoneNumber(
        organization=organization,
        number=_e164(number),
        friendly_name=friendly_name.strip(),
        messaging_service_sid=messaging_service_sid.strip(),
        messages_per_second=_pace(messages_per_second),
        twilio_scheduling=twilio_scheduling,
    )
    if twilio_scheduling and not phone_number.messaging_service_sid:
        raise ServiceError("Twilio's scheduling needs a Messaging Service SID.", field="twilio_scheduling")
    _saved(phone_number, taken=f"{phone_number.number} is already set up.", field="number")
    return phone_number


@transaction.atomic
def phone_number_update(
    *,
    phone_number: PhoneNumber,
    number: str | None = None,
    friendly_name: str | None = None,
    messaging_service_sid: str | None = None,
    messages_per_second: Decimal | None = None,
    twilio_scheduling: bool | None = None,
) -> PhoneNumber:
    """Change a number's details; ``None`` leaves a detail as it is. ``twilio_scheduling`` (hand scheduled
    messages to Twilio's own scheduler) needs a Messaging Service."""
    if number is not None:
        phone_number.number = _e164(number)
    if friendly_name is not None:
        phone_number.friendly_name = friendly_name.strip()
    if messaging_service_sid is not None:
        phone_number.messaging_service_sid = messaging_service_sid.strip()
    if messages_per_second is not None:
        phone_number.messages_per_second = _pace(messages_per_second)
    if twilio_scheduling is not None:
        phone_number.twilio_scheduling = twilio_scheduling
    if phone_number.twilio_scheduling and not phone_number.messaging_service_sid:
        raise ServiceError("Twilio's scheduling needs a Messaging Service SID.", field="twilio_scheduling")
    _saved(phone_number, taken=f"{phone_number.number} is already set up.", field="number")
    return phone_number


@transaction.atomic
def phone_number_delete(*, phone_number: PhoneNumber) -> None:
    """Remove a number; refused while conversations text from it."""
    try:
        with transaction.atomic():
            phone_number.delete()
    except RestrictedError:
        raise ServiceError(
            f"Conversations still text from {phone_number.number}: move them to another number first.",
            code="in_use",
        ) from None


@transaction.atomic
def membership_create(*, organization: Organization, user: User, role: str = Membership.Role.AGENT) -> Membership:
    """Make ``user`` a member of ``organization`` with ``role``."""
    membership = Membership(organization=organization, user=user, role=role)
    _saved(membership, taken=f"{user} is already a member of {organization}.", field="user")
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, role: str) -> Membership:
    """Change a member's role (Django admin's write); the last admin stays one (``smsinbox.team.services``)."""
    if role in Membership.Role.values and role != Membership.Role.ADMIN:  # another value: refused on its field
        last_admin_refuse(membership=membership)
    membership.role = role
    _saved(membership, taken=f"{membership.user} is already a member of {membership.organization}.", field="user")
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Remove a member from an organization (the user stays); never its last admin. The Team page's
    deactivation (``conversations.team.member_deactivate``) also releases their conversations."""
    last_admin_refuse(membership=membership)
    membership.delete()
