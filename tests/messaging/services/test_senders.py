"""Messaging Services and senders, end to end through the emulator: the conversation follows the number the
customer texted (sticky sender), staff choose the sending number, and a number in a Messaging Service sends
``MessagingServiceSid`` with the sticky ``From``."""

import pytest

from conversations.activity import activity_text
from conversations.models import Contact, Conversation, ConversationEvent
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.errors import ServiceError
from smsinbox.services import phone_number_create, phone_number_update
from tests.pipeline import drain_tasks, running_emulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "+14155550001"  # org_a's number
SECOND = "+14155550002"  # org_a's second number
POOLED = "+14155550009"  # in the service's pool at Twilio, not set up in the inbox
CUSTOMER = "+14155550101"
SERVICE_SID = "MG" + "7" * 32


@pytest.fixture
def twilio(settings, live_server, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    phone_number_create(organization=org_a.organization, number=SECOND)
    with running_emulator(settings, numbers=[FIRST, SECOND, POOLED]) as emulator:
        yield emulator


def reply(org_a, body="Thanks!", **kwargs):
    contact = Contact.objects.get(organization=org_a.organization, phone=CUSTOMER)
    return message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body=body, **kwargs)


def delivered(message):
    drain_tasks()
    wait_for(lambda: Message.objects.get(pk=message.pk).status == "delivered")
    return Message.objects.get(pk=message.pk)


def test_replies_go_from_the_number_the_customer_texted(twilio, org_a):
    twilio.send_inbound(from_=CUSTOMER, to=SECOND, body="Hi second line")
    conversation = Conversation.objects.get()
    assert conversation.phone_number.number == SECOND

    sent = delivered(reply(org_a).message)
    assert sent.from_number == SECOND
    assert twilio.message(sent.twilio_sid)["from"] == SECOND

    twilio.send_inbound(from_=CUSTOMER, to=FIRST, body="Now the first line")  # the thread follows them
    assert Conversation.objects.get().phone_number.number == FIRST
    assert delivered(reply(org_a).message).from_number == FIRST
    # The move is a row of the thread, so the team sees which number the customer now hears from.
    [moved] = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.SENDER_CHANGED)
    assert (moved.actor_id, activity_text(moved)) == (None, f"The customer texted {FIRST}: replies go from it now")


def test_staff_choose_the_sending_number_and_the_thread_keeps_it(twilio, org_a):
    twilio.send_inbound(from_=CUSTOMER, to=FIRST, body="Hello")
    second = org_a.organization.phone_numbers.get(number=SECOND)

    sent = delivered(reply(org_a, from_number_id=second.pk).message)
    assert (sent.from_number, twilio.message(sent.twilio_sid)["from"]) == (SECOND, SECOND)
    assert Conversation.objects.get().phone_number_id == second.pk
    assert delivered(reply(org_a, body="And again").message).from_number == SECOND
    [moved] = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.SENDER_CHANGED)  # once: not on each send
    assert moved.actor_id == org_a.user.pk
    assert (
        activity_text(moved) == f"{org_a.user.username} switched this conversation to {SECOND}: replies go from it now"
    )


def test_a_number_of_another_organization_is_refused_and_nothing_is_stored(twilio, org_a, org_b):
    twilio.send_inbound(from_=CUSTOMER, to=FIRST, body="Hello")
    theirs = org_b.organization.phone_numbers.get()
    with pytest.raises(ServiceError) as refused:
        reply(org_a, from_number_id=theirs.pk)
    assert (refused.value.field, refused.value.message) == ("fromNumberId", "Phone number not found.")
    assert Message.objects.filter(direction="out").count() == 0
    assert Conversation.objects.get().phone_number.number == FIRST


def test_a_messaging_service_sends_with_its_sid_and_the_sticky_sender(twilio, org_a):
    first = org_a.organization.phone_numbers.get(number=FIRST)
    phone_number_update(phone_number=first, messaging_service_sid=SERVICE_SID)
    for number in (FIRST, POOLED):
        twilio.add_number(number, messaging_service_sid=SERVICE_SID)
    twilio.send_inbound(from_=CUSTOMER, to=POOLED, body="Texting the pool's other number")
    assert Conversation.objects.get().phone_number_id == first.pk  # routed by its Messaging Service

    sent = delivered(reply(org_a).message)
    at_twilio = twilio.message(sent.twilio_sid)
    assert (at_twilio["messaging_service_sid"], at_twilio["from"]) == (SERVICE_SID, POOLED)
    assert sent.from_number == POOLED


def test_the_emulator_keeps_one_sender_per_recipient_in_a_service(twilio):
    """Without ``From``, the Messaging Service answers from the number the recipient texted, every time."""
    for number in (FIRST, POOLED):
        twilio.add_number(number, messaging_service_sid=SERVICE_SID)
    from messaging.twilio import client

    twilio.send_inbound(from_=CUSTOMER, to=POOLED, body="hi")
    senders = set()
    for _ in range(2):
        created = client.send_message(
            to=CUSTOMER, from_="", messaging_service_sid=SERVICE_SID, body="x", media_urls=[], status_callback=""
        )
        twilio.wait_idle()
        wait_for(lambda sid=created.sid: twilio.message(sid)["from"] is not None)
        senders.add(twilio.message(created.sid)["from"])
    assert senders == {POOLED}
    other = client.send_message(
        to="+14155550199", from_="", messaging_service_sid=SERVICE_SID, body="x", media_urls=[], status_callback=""
    )
    wait_for(lambda: twilio.message(other.sid)["from"] is not None)
    assert twilio.message(other.sid)["from"] == FIRST  # a new recipient: the pool's first sender
