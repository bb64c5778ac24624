"""Writes of the team: invitations (create, resend, revoke, accept) and members' roles.

Every service but ``invite_accept`` is for the organization's admins (``organization_admin_require``).

**At least one admin always remains.** Every change that can take an admin away (a role change here, a
deactivation in ``conversations.team.member_deactivate``) first calls ``admins_lock``: it locks the
organization's row, then its admin memberships (``SELECT … FOR UPDATE``), and only then counts the admins.
Two admins demoting each other at the same moment are serialized by those locks: the second one counts
again after the first committed, finds one admin left and is refused.

Invitation links carry a random token (``secrets.token_urlsafe``); only its SHA-256 is stored
(``Invite.token_hash``). Resending makes a new token (the old link dies). The email is sent inside the
transaction, after the row is written: if it cannot be sent, nothing is kept and the admin is told.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, User
from smsinbox.team.models import Invite
from smsinbox.team.roles import organization_admin_require

logger = logging.getLogger(__name__)

ROLES = tuple(Membership.Role.values)
USERNAME_MAX_LENGTH = 150


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _role(role: str) -> str:
    if role not in ROLES:
        raise ServiceError(f"The role must be one of: {', '.join(ROLES)}.", field="role")
    return role


def _email(email: str) -> str:
    text = email.strip().lower()
    try:
        validate_email(text)
    except ValidationError:
        raise ServiceError("Enter a valid email address.", field="email") from None
    return text


def admins_lock(*, organization_id: int) -> list[Membership]:
    """Lock the organization and its admin memberships (held until the transaction ends); return the active
    admins' memberships. Call it first in any transaction that may take an admin away."""
    Organization.objects.select_for_update().filter(pk=organization_id).first()
    admins = Membership.objects.select_for_update().filter(organization_id=organization_id, role=Membership.Role.ADMIN)
    return [m for m in admins.select_related("user").order_by("pk") if m.user.is_active]


def last_admin_refuse(*, membership: Membership) -> None:
    """Refuse taking ``membership`` out of the admins when it is the last active one; takes ``admins_lock`` first
    (held until the caller's transaction ends, so the change the caller then makes is counted by the next one)."""
    admins = admins_lock(organization_id=membership.organization_id)
    if [m.pk for m in admins] == [membership.pk]:
        raise ServiceError(
            "An organization needs at least one admin: make someone else an admin first.", code="last_admin"
        )


def _staff_for_admin(user: User) -> None:
    """An admin manages their organization in Django admin too (scoped to it: ``smsinbox.web.admin``)."""
    from smsinbox.services import organization_admins_group_ensure

    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(organization_admins_group_ensure())


def _send(invite: Invite, token: str, *, link_base: str) -> None:
    link = f"{link_base.rstrip('/')}/invite/{token}/"
    context = {"invite": invite, "link": link, "days": settings.INVITE_VALID_DAYS}
    subject = f"You are invited to {invite.organization.name} on smsinbox"
    body = render_to_string("team/invite_email.txt", context)
    try:
        send_mail(subject, body, None, [invite.email])
    except Exception as exc:  # SMTP down or refusing: nothing is kept (the transaction rolls back)
        logger.warning("invitation email to organization %s not sent", invite.organization_id, exc_info=True)
        raise ServiceError("The invitation email could not be sent; try again later.", code="email_failed") from exc


@transaction.atomic
def invite_create(
    *, organization: Organization, actor: AbstractBaseUser, email: str, role: str, link_base: str
) -> Invite:
    """Invite ``email`` to the organization with ``role`` and email them a link valid ``INVITE_VALID_DAYS``.

    Refused for a member's address, or while a pending invitation to it is still valid (resend that one);
    an expired one is revoked and replaced. Two admins inviting at once: the database keeps one
    (``invite_one_pending_per_email``), the other is told.
    """
    organization_admin_require(user=actor, organization_id=organization.pk, what="invite people")
    address, role = _email(email), _role(role)
    if Membership.objects.filter(organization=organization, user__email__iexact=address).exists():
        raise ServiceError(f"{address} is already a member of {organization.name}.", code="duplicate", field="email")
    now = timezone.now()
    pending = Invite.objects.filter(
        organization=organization, email=address, accepted_at__isnull=True, revoked_at__isnull=True
    ).first()
    if pending is not None and pending.expires_at > now:
        raise ServiceError(
            f"{address} already has a pending invitation: resend it instead.", code="duplicate", field="email"
        )
    if pending is not None:
        Invite.objects.filter(pk=pending.pk).update(revoked_at=now)
    token, hashed = _new_token()
    try:
        with transaction.atomic():
            invite = Invite.objects.create(
                organization=organization, email=address, role=role, token_hash=hashed, invited_by_id=actor.pk,
                sent_at=now, expires_at=now + timedelta(days=settings.INVITE_VALID_DAYS),
            )  # fmt: skip
    except IntegrityError:
        raise ServiceError(f"{address} was just invited by someone else.", code="duplicate", field="email") from None
    audit_record(
        organization=organization,
        action=Action.INVITE_CREATED,
        actor=actor,
        target=invite,
        label=address,
        changes={"role": role},
    )
    _send(invite, token, link_base=link_base)
    return invite


def _pending_for_update(invite: Invite) -> Invite:
    locked = Invite.objects.select_for_update().select_related("organization").get(pk=invite.pk)
    if not locked.is_pending:
        raise ServiceError("This invitation was already accepted or revoked.", code="not_pending")
    return locked


@transaction.atomic
def invite_resend(*, invite: Invite, actor: AbstractBaseUser, link_base: str) -> Invite:
    """Email a new link (valid ``INVITE_VALID_DAYS`` from now); the previous link stops working."""
    organization_admin_require(user=actor, organization_id=invite.organization_id, what="invite people")
    invite = _pending_for_update(invite)
    token, invite.token_hash = _new_token()
    invite.sent_at = timezone.now()
    invite.expires_at = invite.sent_at + timedelta(days=settings.INVITE_VALID_DAYS)
    invite.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(
        organization=invite.organization, action=Action.INVITE_RESENT, actor=actor, target=invite, label=invite.email
    )
    _send(invite, token, link_base=link_base)
    return invite


@transaction.atomic
def invite_revoke(*, invite: Invite, actor: AbstractBaseUser) -> Invite:
    """Revoke a pending invitation: its link stops working."""
    organization_admin_require(user=actor, organization_id=invite.organization_id, what="invite people")
    invite = _pending_for_update(invite)
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    audit_record(
        organization=invite.organization, action=Action.INVITE_REVOKED, actor=actor, target=invite, label=invite.email
    )
    return invite


def invite_problem(invite: Invite | None) -> str | None:
    """Why an invitation's link cannot be used, in words for the person who opened it; ``None``: it can."""
    if invite is None:
        return "This invitation link is not valid. Check that you opened the whole link from the email."
    if invite.accepted_at is not None:
        return "This invitation was already used. Log in with the account it created."
    if invite.revoked_at is not None:
        return "This invitation was withdrawn. Ask an admin of the organization to invite you again."
    if invite.expires_at <= timezone.now():
        return "This invitation has expired. Ask an admin of the organization to send it again."
    return None


def invite_find(*, token: str) -> Invite | None:
    """The invitation a link's token names (whatever its state), or ``None``."""
    if not token or len(token) > 100:
        return None
    return Invite.objects.select_related("organization").filter(token_hash=token_hash(token)).first()


def _new_user(*, invite: Invite, username: str, password: str) -> User:
    name = username.strip()
    if not name:
        raise ServiceError("Choose a username.", field="username")
    if len(name) > USERNAME_MAX_LENGTH:
        raise ServiceError(f"A username is at most {USERNAME_MAX_LENGTH} characters.", field="username")
    user = User(username=name, email=invite.email, is_active=True)
    try:
        User._meta.get_field("username").run_validators(name)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="username") from None
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ServiceError(f"The username {name!r} is taken: choose another.", field="username") from None
    return user


@transaction.atomic
def invite_accept(
    *, token: str, user: AbstractBaseUser | None = None, username: str = "", password: str = ""
) -> Membership:
    """Use an invitation: make ``user`` (signed in) a member, or create an account named ``username`` with
    ``password`` (Django's password validators) for the invited address; all or nothing.

    A new account is refused when the invited address already belongs to an account: its owner signs in first
    (and only that account may then join with the link).
    """
    found = invite_find(token=token)
    problem = invite_problem(found)
    if found is None or problem is not None:
        raise ServiceError(problem or "", code="invite_unusable")
    invite = Invite.objects.select_for_update().select_related("organization").get(pk=found.pk)
    problem = invite_problem(invite)  # read again under the lock: used meanwhile?
    if problem is not None:
        raise ServiceError(problem, code="invite_unusable")
    if user is None:
        if User.objects.filter(email__iexact=invite.email).exists():
            raise ServiceError(
                f"An account already uses {invite.email}: log in with it, then open the link again.",
                code="account_exists",
            )
        member = _new_user(invite=invite, username=username, password=password)
    else:
        member = User.objects.get(pk=user.pk)
        if User.objects.filter(email__iexact=invite.email).exclude(pk=member.pk).exists():
            raise ServiceError(
                f"This invitation is for the account of {invite.email}: log out, then log in with that one.",
                code="another_account",
            )
        if Membership.objects.filter(organization_id=invite.organization_id, user=member).exists():
            raise ServiceError(f"You are already a member of {invite.organization.name}.", code="duplicate")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(organization=invite.organization, user=member, role=invite.role)
    except IntegrityError:
        raise ServiceError(f"You are already a member of {invite.organization.name}.", code="duplicate") from None
    if invite.role == Membership.Role.ADMIN:
        _staff_for_admin(member)
    invite.accepted_at, invite.accepted_by = timezone.now(), member
    invite.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        organization=invite.organization,
        action=Action.INVITE_ACCEPTED,
        actor=member,
        target=invite,
        label=invite.email,
        changes={"role": invite.role, "username": member.get_username()},
    )
    return membership


@transaction.atomic
def membership_role_change(*, membership: Membership, actor: AbstractBaseUser, role: str) -> Membership:
    """Make a member an admin or an agent. Demoting the last admin is refused (under ``admins_lock``)."""
    organization_admin_require(user=actor, organization_id=membership.organization_id, what="change roles")
    role = _role(role)
    if role != Membership.Role.ADMIN:
        last_admin_refuse(membership=membership)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.role == role:
        return membership
    audit_record(
        organization=membership.organization_id,
        action=Action.ROLE_CHANGED,
        actor=actor,
        target=membership.user,
        changes={"role": [membership.role, role]},
    )
    membership.role = role
    membership.save(update_fields=["role"])
    if role == Membership.Role.ADMIN:
        _staff_for_admin(membership.user)
    return membership
