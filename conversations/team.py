"""Deactivating a member of an organization: the membership goes, their conversations are released.

Deactivation removes the ``Membership`` row (the account stays, with its other organizations): the
``post_delete`` signal (``smsinbox.signals``) tells the user's open inboxes ``session.ended``, and each of
their websockets of that organization re-checks its access and closes ("Signed out of this organization")
at once; their pages of it answer as to a stranger from the next request. Their conversations of the
organization are handed to the member chosen, or left unassigned, each announced as any assignment is.

Held with ``smsinbox.team.services.admins_lock``: the last admin cannot be deactivated, even by two admins
deactivating each other at the same moment.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from conversations.models import Conversation
from conversations.services import conversation_assign
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Membership
from smsinbox.team.roles import organization_admin_require
from smsinbox.team.services import last_admin_refuse


@transaction.atomic
def member_deactivate(
    *, membership: Membership, actor: AbstractBaseUser, hand_to_id: int | None = None
) -> list[Conversation]:
    """Remove a member from the organization; return their conversations, now ``hand_to_id``'s or unassigned.

    ``hand_to_id``: another active member of the organization (anyone else is refused before anything changes).
    """
    organization_id = membership.organization_id
    organization_admin_require(user=actor, organization_id=organization_id, what="deactivate members")
    last_admin_refuse(membership=membership)
    membership = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if membership is None:
        raise ServiceError.not_found("Member")
    if hand_to_id is not None and (
        hand_to_id == membership.user_id
        or not Membership.objects.filter(
            organization_id=organization_id, user_id=hand_to_id, user__is_active=True
        ).exists()
    ):
        raise ServiceError("Hand their conversations to another active member.", field="hand_to")
    conversations = list(
        Conversation.objects.select_for_update()
        .select_related("contact")
        .filter(organization_id=organization_id, assignee_id=membership.user_id)
        .order_by("pk")
    )
    for conversation in conversations:
        conversation_assign(conversation=conversation, assignee_id=hand_to_id, by_user_id=actor.pk)
    audit_record(
        organization=organization_id,
        action=Action.MEMBER_DEACTIVATED,
        actor=actor,
        target=membership.user,
        changes={"role": membership.role, "conversations": len(conversations), "handed_to": hand_to_id},
    )
    membership.delete()  # the signal ends their live connections of the organization once this commits
    return conversations
