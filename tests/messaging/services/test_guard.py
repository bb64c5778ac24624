"""The send guard and the reply rules of ``message_send`` (``messaging.services.guard``).

Decided: any message newer than the one the sender saw refuses, the sender's own too (written from another
tab or request: the inbox counts its own sends as seen). Retries with the same idempotency key are not refused.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_tasks_db.models import DBTaskResult

from conversations.models import Conversation
from conversations.services import conversation_assign, conversation_start
from messaging.inputs import IncomingMessage
from messaging.models import Message
from messaging.services.guard import AssignedToOther, ConversationChanged
from messaging.services.inbound import message_receive
from messaging.services.outbound import message_send
from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.services import membership_create, organization_update
from tests.twilio_posts import collect_live_events, new_sid

OURS = "+14155550001"
CUSTOMER = "+14155550101"


@pytest.fixture
def carol(org_a):
    user = get_user_model().objects.create_user("carol", password="pw-carol-1", first_name="Carol", last_name="Ng")
    membership_create(organization=org_a.organization, user=user)
    return user


@pytest.fixture
def contact(conversation_a):
    return conversation_a.contact


def reply(org_a, contact, user, body="Hello", **kwargs):
    return message_send(organization=org_a.organization, sender=user, contact=contact, body=body, **kwargs)


def receive(body="Are you there?"):
    sms = IncomingMessage(
        message_sid=new_sid(), account_sid="AC1", from_e164=CUSTOMER, to_e164=OURS, body=body, num_segments=1
    )
    return message_receive(sms=sms).message


def test_a_colleagues_newer_reply_refuses_and_nothing_is_stored_or_enqueued(org_a, contact, carol):
    seen = receive()
    theirs = reply(org_a, contact, carol, "Carol here, on it").message
    tasks = DBTaskResult.objects.count()
    with pytest.raises(ConversationChanged) as refused:
        reply(org_a, contact, org_a.user, "Alice here", last_seen_message_id=seen.pk)
    assert refused.value.code == "conversation_changed"
    assert [m.pk for m in refused.value.newer] == [theirs.pk]
    assert refused.value.count == 1
    assert "Carol Ng wrote since you opened this conversation" in refused.value.message
    assert Message.objects.count() == 2
    assert DBTaskResult.objects.count() == tasks


def test_confirm_sends_anyway(org_a, contact, carol):
    seen = receive()
    reply(org_a, contact, carol)
    result = reply(org_a, contact, org_a.user, "Alice too", last_seen_message_id=seen.pk, confirm=True)
    assert result.created
    assert result.message.body == "Alice too"


def test_a_newer_inbound_message_refuses(org_a, contact):
    seen = receive("first")
    newer = receive("second")
    with pytest.raises(ConversationChanged) as refused:
        reply(org_a, contact, org_a.user, last_seen_message_id=seen.pk)
    assert [m.pk for m in refused.value.newer] == [newer.pk]
    assert refused.value.message.startswith("The contact wrote")


def test_the_senders_own_newer_message_from_elsewhere_refuses_but_counts_as_seen_once_known(org_a, contact):
    seen = receive()
    mine = reply(org_a, contact, org_a.user, "from my other tab").message
    with pytest.raises(ConversationChanged, match=r"You \(in another tab or request\) wrote"):
        reply(org_a, contact, org_a.user, "and this", last_seen_message_id=seen.pk)
    assert reply(org_a, contact, org_a.user, "and this", last_seen_message_id=mine.pk).created


def test_an_automated_newer_send_refuses(org_a, contact):
    seen = receive()
    reply(org_a, contact, None, "Automated reminder")
    with pytest.raises(ConversationChanged, match="An automated send wrote"):
        reply(org_a, contact, org_a.user, last_seen_message_id=seen.pk)


def test_nothing_newer_sends_and_zero_means_none_seen_yet(org_a, contact):
    assert reply(org_a, contact, org_a.user, last_seen_message_id=0).created  # empty thread
    seen = receive()
    assert reply(org_a, contact, org_a.user, last_seen_message_id=seen.pk).created
    with pytest.raises(ConversationChanged):
        reply(org_a, contact, org_a.user, last_seen_message_id=0)


def test_omitting_last_seen_keeps_the_old_behaviour(org_a, contact, carol):
    receive()
    reply(org_a, contact, carol)
    assert reply(org_a, contact, org_a.user, "unguarded").created


def test_a_last_seen_id_of_another_conversation_is_refused(org_a, org_b, contact):
    other = reply(org_a, contact, org_a.user).message
    from conversations.services import contact_create

    stranger = contact_create(organization=org_a.organization, phone="+14155550102")
    with pytest.raises(ServiceError) as refused:
        reply(org_a, stranger, org_a.user, last_seen_message_id=other.pk)
    assert (refused.value.code, refused.value.field) == ("invalid", "lastSeenMessageId")
    assert not Message.objects.filter(conversation__contact=stranger).exists()


def test_a_refused_key_then_confirmed_retries_store_once(org_a, contact, carol):
    seen = receive()
    reply(org_a, contact, carol)
    with pytest.raises(ConversationChanged):
        reply(org_a, contact, org_a.user, "mine", idempotency_key="k-1", last_seen_message_id=seen.pk)
    first = reply(org_a, contact, org_a.user, "mine", idempotency_key="k-1", last_seen_message_id=seen.pk, confirm=True)
    again = reply(org_a, contact, org_a.user, "mine", idempotency_key="k-1", last_seen_message_id=seen.pk, confirm=True)
    unconfirmed = reply(org_a, contact, org_a.user, "mine", idempotency_key="k-1", last_seen_message_id=seen.pk)
    assert first.created
    assert not again.created
    assert not unconfirmed.created
    assert again.message.pk == first.message.pk == unconfirmed.message.pk
    assert Message.objects.filter(body="mine").count() == 1


# --- reply rules ---------------------------------------------------------------------------------


def test_a_reply_assigns_an_unassigned_conversation_to_the_replier_and_announces_it(
    org_a, contact, django_capture_on_commit_callbacks
):
    def send():
        with django_capture_on_commit_callbacks(execute=True):
            reply(org_a, contact, org_a.user)

    heard = collect_live_events(org_a.organization.pk, send)
    assert Conversation.objects.get(contact=contact).assignee_id == org_a.user.pk
    rows = [e["payload"] for e in heard if e["type"] == events.Event.CONVERSATION_UPDATED]
    assert [(row["assigneeId"], row["assigneeName"]) for row in rows] == [(org_a.user.pk, "alice")]


def test_auto_assign_off_leaves_it_unassigned(org_a, contact):
    organization_update(organization=org_a.organization, auto_assign_on_reply=False)
    reply(org_a, contact, org_a.user)
    assert Conversation.objects.get(contact=contact).assignee_id is None


def test_an_assigned_conversation_stays_assigned_when_another_member_replies(org_a, contact, conversation_a, carol):
    conversation_assign(conversation=conversation_a, assignee_id=carol.pk)
    reply(org_a, contact, org_a.user)
    assert Conversation.objects.get(contact=contact).assignee_id == carol.pk


def test_only_the_assignee_may_reply_unless_taken_over(org_a, contact, conversation_a, carol):
    organization_update(organization=org_a.organization, only_assignee_replies=True)
    conversation_assign(conversation=conversation_a, assignee_id=carol.pk)
    with pytest.raises(AssignedToOther) as refused:
        reply(org_a, contact, org_a.user, "mine")
    assert (refused.value.code, refused.value.assignee_id) == ("assigned_to_other", carol.pk)
    assert "Only Carol Ng, the assignee, may reply" in refused.value.message
    assert not Message.objects.exists()
    assert reply(org_a, contact, carol, "the assignee's").created
    taken = reply(org_a, contact, org_a.user, "mine", take_over=True)
    assert taken.created
    assert Conversation.objects.get(contact=contact).assignee_id == org_a.user.pk


def test_without_the_restriction_take_over_still_assigns_to_self(org_a, contact, conversation_a, carol):
    conversation_assign(conversation=conversation_a, assignee_id=carol.pk)
    reply(org_a, contact, org_a.user, take_over=True)
    assert Conversation.objects.get(contact=contact).assignee_id == org_a.user.pk


def test_a_new_conversation_started_by_a_send_is_assigned_to_the_sender(org_a):
    from conversations.services import contact_create

    stranger = contact_create(organization=org_a.organization, phone="+14155550103")
    reply(org_a, stranger, org_a.user, last_seen_message_id=0)
    assert conversation_start(organization=org_a.organization, contact=stranger).assignee_id == org_a.user.pk
