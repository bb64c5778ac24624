"""messages_reconcile: quiet messages are settled from Twilio's records, never resent blindly."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.services import contact_create
from messaging.models import Message
from messaging.services.outbound import message_send
from messaging.services.reconcile import messages_reconcile
from tests.pipeline import drain_tasks, running_emulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FROM = "+14155550001"


@pytest.fixture
def lost_callbacks(settings, org_a):
    """Twilio (the emulator) works, but its status callbacks never reach us."""
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"
    settings.SEND_RATE_LIMIT = False
    settings.RECONCILE_AFTER_SECONDS = 60
    with running_emulator(settings, numbers=[FROM]) as emulator:
        yield emulator


def queue(org_a, body="hello"):
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    return message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body=body).message


def test_a_message_whose_callbacks_were_lost_is_brought_up_to_date(lost_callbacks, org_a):
    message = queue(org_a)
    drain_tasks()
    lost_callbacks.wait_idle()
    message.refresh_from_db()
    assert message.status == "queued"
    assert messages_reconcile().fetched == 0  # not quiet long enough yet
    report = messages_reconcile(now=timezone.now() + timedelta(minutes=5))
    assert (report.fetched, report.advanced) == (1, 1)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.events.filter(event_type="reconciled", status="delivered").count() == 1
    again = messages_reconcile(now=timezone.now() + timedelta(minutes=5))
    assert again.fetched == 0  # delivered: nothing left to ask


def test_a_stuck_pending_message_is_requeued_and_sent_once(lost_callbacks, org_a):
    message = queue(org_a)
    DBTaskResult.objects.all().delete()  # the task was lost with its worker
    report = messages_reconcile(now=timezone.now() + timedelta(hours=1))
    assert report.requeued == 1
    drain_tasks()
    wait_for(lambda: len(lost_callbacks.messages()) == 1)
    message.refresh_from_db()
    assert message.twilio_sid == lost_callbacks.messages()[0]["sid"]


def test_a_crashed_send_is_looked_up_through_reconciliation(lost_callbacks, org_a):
    from messaging.twilio import client

    message = queue(org_a, body="in flight when the worker died")
    DBTaskResult.objects.all().delete()
    accepted = client.send_message(
        to="+14155550101", from_=FROM, body="in flight when the worker died", media_urls=[], status_callback=""
    )
    Message.objects.filter(pk=message.pk).update(
        dispatch_started_at=timezone.now() - timedelta(minutes=2),
        updated_at=timezone.now() - timedelta(minutes=2),
        send_attempts=1,
    )
    assert messages_reconcile().requeued == 1
    drain_tasks()
    message.refresh_from_db()
    assert message.twilio_sid == accepted.sid
    assert len(lost_callbacks.messages()) == 1  # found, not resent


def test_reconcile_command_prints_its_counts(lost_callbacks, org_a):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("reconcile_messages", stdout=out)
    assert out.getvalue().strip() == "requeued 0, fetched 0, advanced 0, errors 0"
