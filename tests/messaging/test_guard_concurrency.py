"""The send guard under a race (PostgreSQL, real threads, each with its own connection): of ten guarded
replies from two members to one conversation, all sent from the same view, at most one is stored; a reply
racing the contact's texts is stored only if it came before all of them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from conversations.models import Contact
from messaging.inputs import IncomingMessage
from messaging.models import Message
from messaging.services.guard import ConversationChanged
from messaging.services.inbound import message_receive
from messaging.services.outbound import message_send
from smsinbox.models import Organization, User
from smsinbox.services import membership_create
from tests.messaging.test_concurrency import run_at_once
from tests.twilio_posts import new_sid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def guarded_reply(*, organization_id: int, user_id: int, contact_id: int, seen_id: int, text: str, **kw) -> str:
    """One reply in its own thread and connection: ``stored`` or ``refused``."""
    try:
        message_send(
            organization=Organization.objects.get(pk=organization_id),
            sender=User.objects.get(pk=user_id),
            contact=Contact.objects.get(pk=contact_id),
            body=text,
            last_seen_message_id=seen_id,
            **kw,
        )
    except ConversationChanged:
        return "refused"
    return "stored"


def test_ten_racing_guarded_replies_from_two_members_store_at_most_one(org_a, conversation_a):
    carol = get_user_model().objects.create_user("carol", password="pw-carol-1")
    membership_create(organization=org_a.organization, user=carol)
    contact = conversation_a.contact
    seen = message_send(organization=org_a.organization, sender=None, contact=contact, body="Welcome!").message
    users = [org_a.user.pk, carol.pk] * 5
    calls = [
        lambda i=i, u=u: guarded_reply(
            organization_id=org_a.organization.pk, user_id=u, contact_id=contact.pk, seen_id=seen.pk, text=f"reply {i}"
        )
        for i, u in enumerate(users)
    ]
    outcomes = run_at_once(calls)
    stored = Message.objects.filter(body__startswith="reply ")
    assert outcomes.count("stored") == stored.count() == 1
    assert outcomes.count("refused") == 9


def test_racing_confirmed_replies_all_store(org_a, conversation_a):
    contact = conversation_a.contact
    seen = message_send(organization=org_a.organization, sender=None, contact=contact, body="Welcome!").message
    calls = [
        lambda i=i: guarded_reply(
            organization_id=org_a.organization.pk,
            user_id=org_a.user.pk,
            contact_id=contact.pk,
            seen_id=seen.pk,
            text=f"sure {i}",
            confirm=True,
        )
        for i in range(6)
    ]
    assert run_at_once(calls) == ["stored"] * 6
    assert Message.objects.filter(body__startswith="sure ").count() == 6


def receive(sid: str) -> str:
    sms = IncomingMessage(
        message_sid=sid, account_sid="AC1", from_e164="+14155550101", to_e164="+14155550001", body="hi", num_segments=1
    )
    message_receive(sms=sms)
    return "received"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_guarded_reply_racing_inbound_texts_is_stored_only_before_all_of_them(org_a, conversation_a, seed):
    """Under the conversation row lock ids are committed in order: a stored reply saw every earlier text."""
    contact = conversation_a.contact
    seen = message_send(organization=org_a.organization, sender=None, contact=contact, body="Welcome!").message
    reply = [
        lambda: guarded_reply(
            organization_id=org_a.organization.pk, user_id=org_a.user.pk, contact_id=contact.pk, seen_id=seen.pk,
            text="the reply",
        )
    ]  # fmt: skip
    texts = [lambda sid=sid: receive(sid) for sid in [new_sid() for _ in range(4)]]
    calls = texts[: seed % 4] + reply + texts[seed % 4 :]
    outcomes = run_at_once(calls)
    inbound = list(Message.objects.filter(direction="in").values_list("pk", flat=True))
    assert len(inbound) == 4
    stored = Message.objects.filter(body="the reply").first()
    assert (stored is not None) == ("stored" in outcomes)
    if stored is not None:
        assert all(pk > stored.pk for pk in inbound)
    else:
        assert outcomes.count("refused") == 1


def test_racing_repeats_of_one_guarded_send_store_it_once_and_are_not_refused_by_it(org_a, conversation_a):
    """A double submit (same idempotency key) answers the first message, not the guard's 409."""
    contact = conversation_a.contact
    seen = message_send(organization=org_a.organization, sender=None, contact=contact, body="Welcome!").message
    calls = [
        lambda: guarded_reply(
            organization_id=org_a.organization.pk,
            user_id=org_a.user.pk,
            contact_id=contact.pk,
            seen_id=seen.pk,
            text="once",
            idempotency_key="k-double",
        )
        for _ in range(5)
    ]
    assert run_at_once(calls) == ["stored"] * 5
    assert Message.objects.filter(body="once").count() == 1
