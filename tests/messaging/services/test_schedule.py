"""Scheduled messages: stored as ``scheduled``, edited or canceled until due, handed to the send pipeline once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.models import Contact
from conversations.services import contact_create
from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.services.schedule import (
    message_schedule_cancel,
    message_schedule_edit,
    messages_send_due,
    send_at_check,
)
from smsinbox.errors import ServiceError
from smsinbox.shapes import iso
from tests.pipeline import drain_tasks, running_emulator, wait_for
from tests.twilio_posts import collect_live_events, post_inbound

FROM = "+14155550001"
DANA = "+14155550101"


def schedule(org_a, *, minutes: float = 30, body: str = "Reminder: your appointment is at 10", phone: str = DANA):
    contact = Contact.objects.filter(organization=org_a.organization, phone=phone).first() or contact_create(
        organization=org_a.organization, phone=phone, first_name="Dana"
    )
    send_at = timezone.now() + timedelta(minutes=minutes)
    return message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body=body, send_at=send_at
    ).message


def deliveries() -> int:
    return DBTaskResult.objects.count()


@pytest.mark.django_db
def test_a_scheduled_message_is_stored_at_once_and_nothing_is_enqueued(org_a):
    message = schedule(org_a)
    assert message.status == "scheduled"
    assert message.send_at is not None
    assert deliveries() == 0
    created = message.events.get(event_type=MessageEvent.Type.CREATED)
    assert created.status == "scheduled"
    assert created.payload["send_at"] == message.send_at.isoformat()


@pytest.mark.django_db
def test_the_sweep_hands_a_due_message_to_the_send_pipeline_once(org_a):
    message = schedule(org_a, minutes=5)
    assert messages_send_due() == 0  # not yet
    later = timezone.now() + timedelta(minutes=6)
    assert messages_send_due(now=later) == 1
    assert messages_send_due(now=later) == 0  # a second sweep finds nothing
    message.refresh_from_db()
    assert message.status == "pending"
    assert deliveries() == 1
    due = message.events.get(event_type=MessageEvent.Type.SCHEDULE_DUE)
    assert due.payload["late_seconds"] >= 60


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("send_at", "says"),
    [
        (timezone.now().replace(tzinfo=None) + timedelta(hours=1), "offset"),
        (timezone.now() - timedelta(minutes=1), "in the past"),
        (timezone.now() + timedelta(days=36), "at most 35 days"),
    ],
)
def test_a_naive_past_or_far_time_is_refused(org_a, send_at, says):
    contact = contact_create(organization=org_a.organization, phone=DANA)
    with pytest.raises(ServiceError, match=says):
        message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="x", send_at=send_at)
    assert not Message.objects.exists()


def test_send_at_check_takes_a_time_within_the_window():
    now = timezone.now()
    assert send_at_check(send_at=now + timedelta(days=35), now=now) == now + timedelta(days=35)


@pytest.mark.django_db
def test_edit_changes_text_segments_and_time_until_it_starts_sending(org_a):
    message = schedule(org_a, minutes=5)
    new_time = timezone.now() + timedelta(hours=2)
    edited = message_schedule_edit(message=message, user=org_a.user, body="Moved to 11 ☺", send_at=new_time)
    assert (edited.body, edited.send_at, edited.status, edited.encoding) == (
        "Moved to 11 ☺",
        new_time,
        "scheduled",
        "UCS-2",
    )
    assert edited.events.filter(event_type=MessageEvent.Type.SCHEDULE_EDITED).count() == 1
    # The old time came: the edit moved it later, so the sweep leaves it.
    assert messages_send_due(now=timezone.now() + timedelta(minutes=10)) == 0
    assert messages_send_due(now=new_time) == 1
    with pytest.raises(ServiceError, match="already started sending") as refused:
        message_schedule_edit(message=message, user=org_a.user, body="too late")
    assert refused.value.code == "not_scheduled"
    message.refresh_from_db()
    assert message.body == "Moved to 11 ☺"


@pytest.mark.django_db
def test_an_edit_is_refused_without_changes_or_with_an_empty_text(org_a):
    message = schedule(org_a)
    with pytest.raises(ServiceError, match="Nothing to change"):
        message_schedule_edit(message=message, user=org_a.user)
    with pytest.raises(ServiceError, match="empty"):
        message_schedule_edit(message=message, user=org_a.user, body="   ")
    with pytest.raises(ServiceError, match="in the past"):
        message_schedule_edit(message=message, user=org_a.user, send_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_cancel_ends_it_canceled_never_sent(org_a):
    message = schedule(org_a, minutes=1)
    canceled = message_schedule_cancel(message=message, user=org_a.user)
    assert canceled.status == "canceled"
    assert messages_send_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert deliveries() == 0
    with pytest.raises(ServiceError, match="It was canceled") as refused:
        message_schedule_cancel(message=message, user=org_a.user)
    assert refused.value.code == "not_scheduled"
    with pytest.raises(ServiceError, match="It was canceled"):
        message_schedule_edit(message=message, user=org_a.user, body="again")


@pytest.mark.django_db
def test_a_message_sent_at_once_cannot_be_edited_or_canceled(org_a):
    contact = contact_create(organization=org_a.organization, phone=DANA)
    now = message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="now").message
    with pytest.raises(ServiceError, match="already started sending"):
        message_schedule_cancel(message=now, user=org_a.user)


@pytest.mark.django_db
def test_a_contact_who_opted_out_before_the_time_is_not_texted_and_the_thread_says_why(org_a):
    message = schedule(org_a, minutes=5)
    post_inbound(Client(), to=FROM, from_=DANA, body="STOP")
    assert Contact.objects.get(phone=DANA).is_opted_out
    assert messages_send_due(now=timezone.now() + timedelta(minutes=6)) == 1
    message.refresh_from_db()
    assert message.status == "canceled"
    assert message.error_message == "Not sent: Dana opted out before the scheduled time."
    assert deliveries() == 0


@pytest.mark.django_db(transaction=True)
def test_edit_cancel_and_due_are_heard_live_whole(org_a):
    message = schedule(org_a, minutes=5)
    heard = collect_live_events(
        org_a.organization.pk, lambda: message_schedule_edit(message=message, user=org_a.user, body="Edited")
    )
    updated = [e for e in heard if e["type"] == "message.updated"]
    assert [(e["payload"]["id"], e["payload"]["body"], e["payload"]["status"]) for e in updated] == [
        (message.pk, "Edited", "scheduled")
    ]
    assert updated[0]["payload"]["sendAt"] == iso(message.send_at)
    heard = collect_live_events(
        org_a.organization.pk, lambda: messages_send_due(now=timezone.now() + timedelta(minutes=6))
    )
    assert [e["payload"]["status"] for e in heard if e["type"] == "message.updated"] == ["pending"]


@pytest.mark.django_db(transaction=True)
def test_a_due_message_reaches_twilio_once_however_often_the_sweep_runs(settings, live_server, org_a):
    """Through the real pipeline: sweep, sweep again, drain the tasks with db_worker; the emulator got one text."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    with running_emulator(settings, numbers=[FROM]) as twilio:
        message = schedule(org_a, minutes=1, body="Your order is ready")
        later = timezone.now() + timedelta(minutes=2)
        assert messages_send_due(now=later) == 1
        drain_tasks()
        assert messages_send_due(now=later) == 0
        drain_tasks()
        wait_for(lambda: Message.objects.get(pk=message.pk).status == "delivered")
        sent = twilio.messages()
        assert [(m["to"], m["body"]) for m in sent] == [(DANA, "Your order is ready")]


@pytest.mark.django_db
def test_a_message_written_weeks_before_its_time_is_still_reconciled_once_handed_over(org_a):
    """Reconciliation requeues a pending message whose task was lost; a scheduled one counts from its send_at."""
    from messaging.services.reconcile import messages_reconcile

    message = schedule(org_a, minutes=5)
    now = timezone.now() + timedelta(minutes=6)
    assert messages_send_due(now=now) == 1
    DBTaskResult.objects.all().delete()  # its delivery task was lost
    Message.objects.filter(pk=message.pk).update(
        created_at=now - timedelta(days=30), updated_at=now - timedelta(hours=6)
    )
    assert messages_reconcile(now=now).requeued == 1
    assert deliveries() == 1


def test_an_edit_that_leaves_a_placeholder_is_refused(org_a):
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    message = message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="Reminder",
        send_at=timezone.now() + timedelta(days=1),
    ).message  # fmt: skip
    with pytest.raises(ServiceError) as refused:
        message_schedule_edit(message=message, user=org_a.user, body="See you at [[time]]")
    assert refused.value.code == "placeholder"
    assert Message.objects.get(pk=message.pk).body == "Reminder"
