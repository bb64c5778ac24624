"""Deactivating a member (``conversations.team.member_deactivate``): the membership goes, their conversations
are handed over or released and announced, their open inboxes are told, and the last admin stays."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from conversations.models import Conversation
from conversations.services import conversation_assign
from conversations.team import member_deactivate
from smsinbox.errors import ServiceError
from smsinbox.events import user_group
from smsinbox.models import Membership, User
from smsinbox.services import membership_create


@pytest.fixture
def carol(org_a):
    user = User.objects.create_user("carol", password="pw-carol-1")
    return membership_create(organization=org_a.organization, user=user)


def test_deactivating_releases_their_conversations_and_removes_the_membership(org_a, carol, conversation_a):
    conversation_assign(conversation=conversation_a, assignee_id=carol.user_id)
    released = member_deactivate(membership=carol, actor=org_a.user)
    assert [c.pk for c in released] == [conversation_a.pk]
    assert Conversation.objects.get(pk=conversation_a.pk).assignee_id is None
    assert not Membership.objects.filter(pk=carol.pk).exists()
    assert User.objects.get(pk=carol.user_id).is_active  # the account stays (other organizations)


def test_deactivating_can_hand_their_conversations_to_a_chosen_member(org_a, carol, conversation_a):
    conversation_assign(conversation=conversation_a, assignee_id=carol.user_id)
    member_deactivate(membership=carol, actor=org_a.user, hand_to_id=org_a.user.pk)
    assert Conversation.objects.get(pk=conversation_a.pk).assignee_id == org_a.user.pk


def test_handing_to_someone_outside_the_organization_is_refused_before_anything_changes(
    org_a, org_b, carol, conversation_a
):
    conversation_assign(conversation=conversation_a, assignee_id=carol.user_id)
    for stranger in (org_b.user.pk, carol.user_id, 999999):
        with pytest.raises(ServiceError, match="another active member"):
            member_deactivate(membership=carol, actor=org_a.user, hand_to_id=stranger)
    assert Membership.objects.filter(pk=carol.pk).exists()
    assert Conversation.objects.get(pk=conversation_a.pk).assignee_id == carol.user_id


def test_an_agent_cannot_deactivate_anyone(org_a, carol):
    alice = Membership.objects.get(user=org_a.user)
    with pytest.raises(ServiceError) as caught:
        member_deactivate(membership=alice, actor=carol.user)
    assert caught.value.code == "forbidden"
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_the_last_admin_cannot_be_deactivated(org_a, carol):
    alice = Membership.objects.get(user=org_a.user)
    with pytest.raises(ServiceError, match="at least one admin"):
        member_deactivate(membership=alice, actor=org_a.user)
    assert Membership.objects.filter(pk=alice.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_their_open_inboxes_hear_session_ended_once_it_commits(org_a, carol):
    """The signal of issue 14 (``smsinbox.signals``): the consumer re-checks and closes (tests/web/…)."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(carol.user_id), channel)
    member_deactivate(membership=carol, actor=org_a.user)
    message = async_to_sync(layer.receive)(channel)
    assert message["event"] == "session.ended"
    assert message["payload"] == {"reason": "membership_removed"}
