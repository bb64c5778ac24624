"""Automatic assignment: round-robin among available members under the open-conversation cap, through real
signed webhooks; Away and deactivated members skipped; a retried webhook assigns nothing more; concurrent texts
go to different members (the organization's row lock)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.auto_assign import membership_availability_set, organization_auto_assign_update
from conversations.models import Conversation, ConversationEvent
from conversations.services import conversation_set_status
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, User
from tests.twilio_posts import collect_live_events, inbound_params, post_inbound, post_signed

ORG_NUMBER = "+14155550001"


def _member(org, username: str, role: str = Membership.Role.AGENT) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    Membership.objects.create(user=user, organization=org.organization, role=role)
    return user


def _text(from_: str, **extra):
    response = post_inbound(Client(), to=ORG_NUMBER, from_=from_, body="Hello", **extra)
    assert response.status_code == 200
    return Conversation.objects.get(contact__phone=from_)


@pytest.fixture
def team(org_a):
    """Alice (admin, org_a's), Ann and Ben (agents); automatic assignment on, at most 2 open each."""
    organization_auto_assign_update(organization=org_a.organization, actor=org_a.user, enabled=True, max_open=2)
    return org_a.user, _member(org_a, "ann"), _member(org_a, "ben")


def test_off_by_default_a_text_leaves_the_conversation_unassigned(org_a):
    _member(org_a, "ann")
    assert Organization.objects.get(pk=org_a.organization.pk).auto_assign is False
    with CaptureQueriesContext(connection) as queries:
        conversation = _text("+14155550101")
    assert conversation.assignee_id is None
    assert not any("FOR UPDATE" in q["sql"] and "smsinbox_organization" in q["sql"] for q in queries)


def test_new_conversations_go_round_robin_to_available_members(team):
    alice, ann, ben = team
    assignees = [_text(f"+1415555010{i}").assignee_id for i in range(3)]
    assert assignees == [alice.pk, ann.pk, ben.pk]  # never given one: oldest membership first
    assert _text("+14155550104").assignee_id == alice.pk  # then the one given one longest ago


def test_away_and_deactivated_members_get_none(team, org_a):
    alice, ann, ben = team
    membership_availability_set(organization=org_a.organization, user=alice, available=False)
    User.objects.filter(pk=ben.pk).update(is_active=False)
    assert [_text(f"+1415555010{i}").assignee_id for i in range(2)] == [ann.pk, ann.pk]


def test_the_cap_skips_a_full_member_and_nobody_left_means_unassigned(team, org_a):
    alice, ann, ben = team
    Membership.objects.filter(user__in=[alice, ben]).update(available=False)
    first, second = _text("+14155550101"), _text("+14155550102")
    assert (first.assignee_id, second.assignee_id) == (ann.pk, ann.pk)
    assert _text("+14155550103").assignee_id is None  # Ann has 2 open: the cap
    conversation_set_status(conversation=first, status=Conversation.Status.CLOSED)
    assert _text("+14155550104").assignee_id == ann.pk  # a closed one no longer counts


def test_an_assigned_conversation_keeps_its_assignee_and_an_unassigned_one_is_given_one_on_its_next_text(team):
    alice, ann, _ben = team
    conversation = _text("+14155550101")
    assert conversation.assignee_id == alice.pk
    assert _text("+14155550101").assignee_id == alice.pk  # a second text: kept
    Conversation.objects.filter(pk=conversation.pk).update(assignee=None)
    assert _text("+14155550101").assignee_id == ann.pk


def test_a_retried_webhook_assigns_nothing_more(team):
    alice, _ann, _ben = team
    params = inbound_params(to=ORG_NUMBER, from_="+14155550101", body="Hi")
    for _ in range(3):
        assert post_signed(Client(), reverse("twilio:sms-incoming"), params).status_code == 200
    assert Conversation.objects.get().assignee_id == alice.pk
    assert Membership.objects.filter(last_auto_assigned_at__isnull=False).count() == 1
    assert ConversationEvent.objects.filter(kind=ConversationEvent.Kind.ASSIGNED).count() == 1


@pytest.mark.django_db(transaction=True)  # the events leave on commit
def test_the_assignment_is_announced_and_logged_as_by_nobody(team, org_a):
    alice, _ann, _ben = team
    heard = collect_live_events(org_a.organization.pk, lambda: _text("+14155550101"))
    updated = [f["payload"] for f in heard if f["type"] == "conversation.updated"]
    assert updated, [f["type"] for f in heard]
    assert updated[-1]["assigneeId"] == alice.pk
    event = ConversationEvent.objects.get(kind=ConversationEvent.Kind.ASSIGNED)
    assert event.actor_id is None
    assert [f["payload"]["text"] for f in heard if f["type"] == "activity.created"] == ["Assigned to alice"]


def test_only_admins_change_the_setting_and_the_cap_is_bounded(team, org_a):
    alice, ann, _ben = team
    with pytest.raises(ServiceError) as refused:
        organization_auto_assign_update(organization=org_a.organization, actor=ann, enabled=False, max_open=2)
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError):
        organization_auto_assign_update(organization=org_a.organization, actor=alice, enabled=True, max_open=5000)
    assert Organization.objects.get(pk=org_a.organization.pk).auto_assign_max_open == 2


@pytest.mark.django_db(transaction=True)
def test_texts_arriving_at_once_go_to_different_members(org_a):
    """Eight texts from eight people at once, four members with at most two each: every one assigned, two each."""
    organization_auto_assign_update(organization=org_a.organization, actor=org_a.user, enabled=True, max_open=2)
    members = [org_a.user] + [_member(org_a, f"agent{i}") for i in range(3)]
    barrier = threading.Barrier(8)
    answers: list[int] = []

    def text(i: int) -> None:
        try:
            barrier.wait()
            answers.append(post_inbound(Client(), to=ORG_NUMBER, from_=f"+1415555020{i}", body="Hi").status_code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=text, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200] * 8
    counts = sorted(Conversation.objects.filter(assignee__in=members).values_list("assignee_id", flat=True))
    assert sorted(counts) == sorted([m.pk for m in members] * 2)


def test_changing_the_setting_is_audited_with_before_and_after(team, org_a):
    from smsinbox.audit.models import AuditEntry

    alice, _ann, _ben = team
    organization_auto_assign_update(organization=org_a.organization, actor=alice, enabled=False, max_open=2)
    entry = AuditEntry.objects.filter(action="organization.settings_changed").order_by("-pk").first()
    assert (entry.actor_id, entry.changes) == (alice.pk, {"auto_assign": [True, False]})
