"""Automatic assignment: an unassigned conversation that receives a text goes, in turn, to an available member.

Per organization (``Organization.auto_assign``, off by default). Who can be given one: an active member (admin
or agent) who is **Available** (``Membership.available``; Away gets none, whatever else) and has fewer open
conversations assigned than ``Organization.auto_assign_max_open`` (0: no limit). Among them, round-robin: the
one given a conversation longest ago (never first), then the oldest membership. Nobody eligible: the
conversation stays unassigned, as without the setting.

Lock: the organization's row (``SELECT … FOR UPDATE``), taken after the conversation's row (``message_receive``
holds it), so two texts arriving at once for two conversations are settled one after the other: each sees the
other's pick (``last_auto_assigned_at``) and the counts it changed, and two members get one each. Nothing
else locks an organization row while holding a conversation's, so the order cannot deadlock.

The assignment itself is ``conversation_assign`` by nobody (``by_user_id=None``): the same live events,
activity entry ("Assigned to Ann"), outgoing webhook and the assignee's notification as any assignment.
"""

from __future__ import annotations

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from conversations.models import Conversation
from conversations.services import conversation_assign
from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.team.roles import organization_admin_require

logger = logging.getLogger(__name__)


def auto_assign_candidate(*, organization: Organization) -> Membership | None:
    """The member next in turn (see the module's rules), or ``None``; the caller holds the organization's lock."""
    cap = organization.auto_assign_max_open
    members = (
        Membership.objects.filter(organization=organization, available=True, user__is_active=True)
        .annotate(
            open_count=Count(
                "user__assigned_conversations",
                filter=Q(
                    user__assigned_conversations__organization=organization,
                    user__assigned_conversations__status=Conversation.Status.OPEN,
                ),
            )
        )
        .order_by(F("last_auto_assigned_at").asc(nulls_first=True), "created_at", "pk")
    )
    if cap:
        members = members.filter(open_count__lt=cap)
    return members.select_related("user").first()


def conversation_auto_assign(*, conversation: Conversation, organization: Organization) -> int | None:
    """Give an unassigned conversation to the member next in turn, if the organization assigns automatically;
    return the assignee's user id (``None``: left unassigned). Called by ``message_receive`` for a newly stored
    text, inside its transaction, with the conversation's row locked. ``organization``: the conversation's, as the
    caller read it: off, it costs no statement at all (not even a savepoint); on, the organization is read again
    under its lock, the setting included, in a transaction of its own (a savepoint within the caller's)."""
    if conversation.assignee_id is not None or not organization.auto_assign:
        return None
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=conversation.organization_id)
        if not organization.auto_assign:
            return None
        member = auto_assign_candidate(organization=organization)
        if member is None:
            logger.info("conversation %s left unassigned: nobody available (org %s)", conversation.pk, organization.pk)
            return None
        Membership.objects.filter(pk=member.pk).update(last_auto_assigned_at=timezone.now())
        conversation_assign(conversation=conversation, assignee_id=member.user_id, by_user_id=None)
    logger.info("conversation %s assigned automatically to user %s", conversation.pk, member.user_id)
    return member.user_id


@transaction.atomic
def membership_availability_set(*, organization: Organization, user: AbstractBaseUser, available: bool) -> Membership:
    """A member marks themselves Available or Away (for automatic assignment) in one organization."""
    membership = Membership.objects.filter(organization=organization, user_id=user.pk).first()
    if membership is None:
        raise ServiceError.not_found("Organization")
    Membership.objects.filter(pk=membership.pk).update(available=available)
    membership.available = available
    return membership


@transaction.atomic
def organization_auto_assign_update(
    *, organization: Organization, actor: AbstractBaseUser, enabled: bool, max_open: int
) -> Organization:
    """Turn automatic assignment on or off and set the open-conversation cap (admins of the organization only)."""
    organization_admin_require(user=actor, organization_id=organization.pk, what="change automatic assignment")
    if not 0 <= max_open <= 1000:
        raise ServiceError("The most open conversations per member is a number from 0 (no limit) to 1000.",
                           field="max_open")  # fmt: skip
    before = {"auto_assign": organization.auto_assign, "auto_assign_max_open": organization.auto_assign_max_open}
    Organization.objects.filter(pk=organization.pk).update(auto_assign=enabled, auto_assign_max_open=max_open)
    organization.auto_assign, organization.auto_assign_max_open = enabled, max_open
    changes = changes_between(before, {"auto_assign": enabled, "auto_assign_max_open": max_open})
    if changes:
        audit_record(organization=organization, action=Action.SETTINGS_CHANGED, actor=actor, changes=changes)
    return organization
