"""The activity log: each change of a conversation stored once by the service that made it, in its transaction,
with the sentence the thread shows; a repeated request or a retried webhook writes no second event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from conversations.activity import activity_payload, activity_text
from conversations.labels import conversations_label, label_create
from conversations.models import Conversation, ConversationEvent
from conversations.services import (
    contact_opt_out_by_staff,
    conversation_assign,
    conversation_set_status,
    conversation_update,
)
from conversations.snooze import conversation_snooze, conversation_unsnooze, conversations_wake_due
from smsinbox import events
from smsinbox.models import Membership, User
from tests.db_errors import refused_by
from tests.twilio_posts import collect_live_events, new_sid, post_inbound, post_status

TO = "+14155550001"
Kind = ConversationEvent.Kind


@pytest.fixture
def sam(org_a) -> User:
    user = User.objects.create_user("sam", password="pw-sam-1", first_name="Sam", last_name="Lee")
    Membership.objects.create(user=user, organization=org_a.organization, role="agent")
    return user


@pytest.fixture
def dana(org_a) -> User:
    org_a.user.first_name, org_a.user.last_name = "Dana", "Ruiz"
    org_a.user.save()
    return org_a.user


def kinds(conversation: Conversation) -> list[str]:
    return list(conversation.events.order_by("created_at", "id").values_list("kind", flat=True))


def sentences(conversation: Conversation) -> list[str]:
    return [activity_text(e) for e in conversation.events.order_by("created_at", "id")]


def test_assigning_and_unassigning_are_stored_once_with_names(conversation_a, dana, sam):
    conversation_assign(conversation=conversation_a, assignee_id=sam.pk, by_user_id=dana.pk)
    conversation_assign(conversation=conversation_a, assignee_id=sam.pk, by_user_id=dana.pk)  # a repeated click
    conversation_assign(conversation=conversation_a, assignee_id=dana.pk, by_user_id=dana.pk)
    conversation_assign(conversation=conversation_a, assignee_id=None, by_user_id=dana.pk)
    assert sentences(conversation_a) == [
        "Dana Ruiz assigned this to Sam Lee",
        "Dana Ruiz assigned this to themselves",
        "Dana Ruiz unassigned Dana Ruiz",
    ]
    first = conversation_a.events.order_by("id").first()
    assert (first.actor_id, first.data["assignee_id"], first.organization_id) == (
        dana.pk,
        sam.pk,
        conversation_a.organization_id,
    )


def test_closing_and_reopening_are_stored_once(conversation_a, dana):
    conversation_set_status(conversation=conversation_a, status="closed", by_user_id=dana.pk)
    conversation_set_status(conversation=conversation_a, status="closed", by_user_id=dana.pk)
    conversation_update(conversation=conversation_a, status="open", by_user_id=dana.pk)
    assert sentences(conversation_a) == ["Dana Ruiz closed this", "Dana Ruiz reopened this"]


def test_labels_added_and_removed_are_events_with_their_names(conversation_a, org_a, dana):
    vip = label_create(organization=org_a.organization, name="VIP", color="purple")
    late = label_create(organization=org_a.organization, name="Late payer", color="red")
    conversation_update(conversation=conversation_a, label_ids=[vip.pk, late.pk], by_user_id=dana.pk)
    conversation_update(conversation=conversation_a, label_ids=[vip.pk, late.pk], by_user_id=dana.pk)  # no change
    conversations_label(
        organization=org_a.organization, conversation_ids=[conversation_a.pk], remove=[late.pk], by_user_id=dana.pk
    )
    assert sorted(sentences(conversation_a)) == [
        "Dana Ruiz added the label “Late payer”",
        "Dana Ruiz added the label “VIP”",
        "Dana Ruiz removed the label “Late payer”",
    ]
    removed = conversation_a.events.get(kind=Kind.UNLABELLED)
    assert removed.data == {"label_id": late.pk, "label_name": "Late payer", "label_color": "red", "by": "Dana Ruiz"}


def test_snooze_and_every_wake_are_events(conversation_a, dana):
    now = timezone.now()
    until = now + timedelta(hours=2)
    conversation_snooze(conversation=conversation_a, user=dana, until=until, now=now)
    conversation_snooze(conversation=conversation_a, user=dana, until=until, now=now)  # the same snooze: no event
    conversations_wake_due(now=until)
    conversations_wake_due(now=until)  # nothing left to wake
    conversation_snooze(conversation=conversation_a, user=dana, until_reply=True)
    conversation_unsnooze(conversation=conversation_a, by_user_id=dana.pk)
    assert kinds(conversation_a) == [Kind.SNOOZED, Kind.WOKEN, Kind.SNOOZED, Kind.WOKEN]
    texts = sentences(conversation_a)
    assert texts[0].startswith("Dana Ruiz snoozed this until ")
    assert texts[1:] == [
        "Back from snooze: the time came",
        "Dana Ruiz snoozed this until the customer replies",
        "Dana Ruiz brought this back from snooze",
    ]
    parts = activity_payload(conversation_a.events.order_by("id").first())["parts"]
    assert (parts["before"], parts["after"]) == ("Dana Ruiz snoozed this until ", "")
    assert parts["at"] == until.isoformat()


def test_a_reply_wakes_and_reopens_with_events(client, org_a, dana):
    post_inbound(client, to=TO, from_="+14155560001", body="Hi")
    conversation = Conversation.objects.get()
    conversation_snooze(conversation=conversation, user=dana, until_reply=True)
    post_inbound(client, to=TO, from_="+14155560001", body="Back again")
    conversation_set_status(conversation=conversation, status="closed", by_user_id=dana.pk)
    post_inbound(client, to=TO, from_="+14155560001", body="One more thing")
    assert sentences(conversation)[-3:] == [
        "Back from snooze: the customer replied",
        "Dana Ruiz closed this",
        "Reopened: the customer texted",
    ]


def test_stop_posted_twice_by_twilio_writes_one_event_and_start_another(client, org_a):
    """A retried webhook (the same MessageSid) and a second STOP change nothing: one opted_out event."""
    sid = new_sid()
    assert post_inbound(client, to=TO, from_="+14155560001", body="STOP", sid=sid).status_code == 200
    assert post_inbound(client, to=TO, from_="+14155560001", body="STOP", sid=sid).status_code == 200
    post_inbound(client, to=TO, from_="+14155560001", body="stop")  # already opted out
    conversation = Conversation.objects.get()
    assert kinds(conversation) == [Kind.OPTED_OUT]
    assert conversation.events.get().actor_id is None
    post_inbound(client, to=TO, from_="+14155560001", body="START")
    assert sentences(conversation) == [
        "The customer opted out by replying STOP",
        "The customer opted back in by replying START",
    ]


def test_a_21610_refusal_and_a_staff_opt_out_are_events(client, org_a, dana):
    from messaging.services.outbound import message_send

    post_inbound(client, to=TO, from_="+14155560001", body="Hi")
    conversation = Conversation.objects.select_related("contact").get()
    sent = message_send(organization=org_a.organization, sender=dana, contact=conversation.contact, body="Hello")
    post_status(Client(), message_id=sent.message.pk, sid=new_sid(), status="undelivered", ErrorCode="21610")
    post_status(Client(), message_id=sent.message.pk, sid=new_sid(), status="undelivered", ErrorCode="21610")
    assert kinds(conversation).count(Kind.OPTED_OUT) == 1
    assert "error 21610" in sentences(conversation)[-1]

    other = Conversation.objects.get(pk=conversation.pk)
    post_inbound(client, to=TO, from_="+14155560002", body="Hi")
    second = Conversation.objects.exclude(pk=other.pk).select_related("contact").get()
    assert contact_opt_out_by_staff(contact=second.contact, by_user_id=dana.pk)
    assert not contact_opt_out_by_staff(contact=second.contact, by_user_id=dana.pk)
    assert sentences(second) == ["Dana Ruiz marked the customer as opted out"]


def test_a_rolled_back_change_leaves_no_event(conversation_a, dana, sam):
    @transaction.atomic
    def assign_then_fail() -> None:
        conversation_assign(conversation=conversation_a, assignee_id=sam.pk, by_user_id=dana.pk)
        raise RuntimeError

    with pytest.raises(RuntimeError):
        assign_then_fail()
    assert not ConversationEvent.objects.exists()


def test_the_database_refuses_an_unknown_kind_and_another_organizations_conversation(conversation_a, org_b):
    with refused_by("conversation_event_kind_valid"), transaction.atomic():
        ConversationEvent.objects.create(
            organization=conversation_a.organization, conversation=conversation_a, kind="exploded"
        )
    with refused_by("conversation_event_same_organization"), transaction.atomic():
        ConversationEvent.objects.create(organization=org_b.organization, conversation=conversation_a, kind="closed")


def test_each_event_is_announced_live_after_commit(conversation_a, dana, sam, django_capture_on_commit_callbacks):
    def assign() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            conversation_assign(conversation=conversation_a, assignee_id=sam.pk, by_user_id=dana.pk)

    heard = collect_live_events(conversation_a.organization_id, assign, quiet=0.2)
    activity = [e["payload"] for e in heard if e["type"] == events.Event.ACTIVITY_CREATED]
    assert len(activity) == 1
    payload = activity[0]
    assert (payload["kind"], payload["event"], payload["text"]) == (
        "event",
        "assigned",
        "Dana Ruiz assigned this to Sam Lee",
    )
    assert (payload["conversationId"], payload["actorId"], payload["actorName"]) == (
        conversation_a.pk,
        dana.pk,
        "Dana Ruiz",
    )
    assert payload["data"]["assigneeName"] == "Sam Lee"
