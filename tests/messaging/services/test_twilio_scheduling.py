"""Twilio's native scheduling (``PhoneNumber.twilio_scheduling`` with a Messaging Service), through the emulator on
its controllable clock: handed over at once with ``ScheduleType=fixed`` and ``SendAt``, our status follows
Twilio's ``scheduled`` → … → ``delivered`` or ``canceled``, and a cancel is made at Twilio."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Contact
from conversations.services import contact_create
from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.services.schedule import message_schedule_cancel, message_schedule_edit
from smsinbox.errors import ServiceError
from smsinbox.services import phone_number_update
from tests.pipeline import drain_tasks, running_emulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

OURS = "+14155550001"
CUSTOMER = "+14155550101"
SERVICE_SID = "MG" + "3" * 32


@pytest.fixture
def twilio(settings, live_server, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    phone_number_update(
        phone_number=org_a.organization.phone_numbers.get(), messaging_service_sid=SERVICE_SID, twilio_scheduling=True
    )
    with running_emulator(settings, numbers=[OURS]) as emulator:
        emulator.add_number(OURS, messaging_service_sid=SERVICE_SID)
        yield emulator


def schedule(org_a, ahead: timedelta) -> Message:
    contact = Contact.objects.filter(phone=CUSTOMER).first() or contact_create(
        organization=org_a.organization, phone=CUSTOMER
    )
    send_at = (timezone.now() + ahead).replace(microsecond=0)
    message = message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="See you at 10", send_at=send_at
    ).message
    drain_tasks()
    return Message.objects.get(pk=message.pk)


def status_of(message: Message) -> str:
    return Message.objects.get(pk=message.pk).status


def test_twilio_holds_it_until_send_at_then_it_is_delivered(twilio, org_a):
    message = schedule(org_a, timedelta(hours=2))
    assert (message.status, message.twilio_sid is not None) == ("scheduled", True)
    at_twilio = twilio.message(message.twilio_sid)
    assert (at_twilio["status"], at_twilio["messaging_service_sid"], at_twilio["from"]) == (
        "scheduled",
        SERVICE_SID,
        OURS,
    )
    assert abs((message.send_at - timezone.now()) - timedelta(hours=2)) < timedelta(seconds=5)

    twilio.advance_clock(3600)
    twilio.wait_idle(1)
    assert twilio.message(message.twilio_sid)["status"] == "scheduled"  # an hour early: still held
    assert status_of(message) == "scheduled"

    twilio.advance_clock(3600 + 5)
    wait_for(lambda: status_of(message) == "delivered")
    callbacks = list(
        MessageEvent.objects.filter(message=message, event_type="status_callback").values_list("status", flat=True)
    )
    assert callbacks == ["queued", "sending", "sent", "delivered"]


def test_cancel_is_made_at_twilio_and_our_status_follows(twilio, org_a):
    message = schedule(org_a, timedelta(hours=1))
    canceled = message_schedule_cancel(message=message, user=org_a.user)
    assert canceled.status == "canceled"
    assert twilio.message(message.twilio_sid)["status"] == "canceled"
    twilio.advance_clock(7200)
    twilio.wait_idle(2)
    assert status_of(message) == "canceled"  # never backwards, and never sent
    assert twilio.message(message.twilio_sid)["status"] == "canceled"


def test_once_twilio_started_sending_a_cancel_is_refused(twilio, org_a):
    message = schedule(org_a, timedelta(hours=1))
    twilio.advance_clock(3605)
    wait_for(lambda: status_of(message) == "delivered")
    with pytest.raises(ServiceError) as refused:
        message_schedule_cancel(message=message, user=org_a.user)
    assert refused.value.code == "not_scheduled"
    assert "already started sending" in refused.value.message


def test_a_message_at_twilio_cannot_be_edited(twilio, org_a):
    message = schedule(org_a, timedelta(hours=1))
    with pytest.raises(ServiceError) as refused:
        message_schedule_edit(message=message, user=org_a.user, body="changed")
    assert "Twilio holds it" in refused.value.message


def test_too_close_for_twilio_our_own_scheduler_sends_it(twilio, org_a):
    message = schedule(org_a, timedelta(minutes=10))  # Twilio's window starts 15 minutes ahead (with margin)
    assert (message.status, message.twilio_sid) == ("scheduled", None)
    assert twilio.messages() == []


def test_without_the_setting_our_own_scheduler_keeps_it(twilio, org_a):
    phone_number_update(phone_number=org_a.organization.phone_numbers.get(), twilio_scheduling=False)
    message = schedule(org_a, timedelta(hours=2))
    assert (message.status, message.twilio_sid) == ("scheduled", None)
    assert twilio.messages() == []


def test_twilio_scheduling_needs_a_messaging_service(org_a):
    with pytest.raises(ServiceError) as refused:
        phone_number_update(
            phone_number=org_a.organization.phone_numbers.get(), messaging_service_sid="", twilio_scheduling=True
        )
    assert refused.value.field == "twilio_scheduling"
