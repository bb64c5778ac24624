"""run_task_worker: the task worker keeps sending after its database connections are cut."""

import threading

import pytest
from django.db import connection

from conversations.services import contact_create
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox import workers
from tests.pipeline import running_emulator, wait_for

FROM = "+14155550001"


def _cut_every_other_connection() -> int:
    """Terminate every other backend of this database, as a PostgreSQL restart does to clients."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_survives_its_connections_being_cut_and_sends_again(settings, live_server, org_a, monkeypatch):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    monkeypatch.setattr(workers, "BACKOFF_FIRST_SECONDS", 0.1)
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    stop = threading.Event()
    options = {"worker_id": "test", "interval": 0.05, "stop": stop}
    thread = threading.Thread(target=workers.run_task_worker, kwargs=options)
    with running_emulator(settings, numbers=[FROM]):
        thread.start()
        try:
            first = message_send(organization=org_a.organization, sender=None, contact=contact, body="one").message
            wait_for(lambda: Message.objects.get(pk=first.pk).status != "pending")
            assert _cut_every_other_connection() >= 1  # the worker's connection among them
            second = message_send(organization=org_a.organization, sender=None, contact=contact, body="two").message
            wait_for(lambda: Message.objects.get(pk=second.pk).status != "pending", timeout=20)
        finally:
            stop.set()
            thread.join(10)
            # The pool still holds the other connections that were cut: later tests get fresh ones.
            connection.close()
            connection.close_pool()
    assert not thread.is_alive()
    assert Message.objects.get(pk=second.pk).twilio_sid


@pytest.mark.django_db(transaction=True)
def test_worker_stops_when_asked():
    stop = threading.Event()
    thread = threading.Thread(target=workers.run_task_worker, kwargs={"worker_id": "t", "interval": 0.05, "stop": stop})
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_sends_scheduled_messages_at_their_time_even_after_a_stop_and_an_outage(
    settings, live_server, org_a, monkeypatch
):
    """The worker's periodic sweep (``TASK_WORKER_SWEEPS``): a message that came due while no worker ran goes
    when one starts; one due while the worker's connections were just cut goes too; each within seconds."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    settings.SCHEDULE_SWEEP_SECONDS = 0.5
    monkeypatch.setattr(workers, "BACKOFF_FIRST_SECONDS", 0.1)
    contact = contact_create(organization=org_a.organization, phone="+14155550101")

    def schedule(body: str, seconds: float) -> Message:
        send_at = timezone.now() + timedelta(seconds=seconds)
        return message_send(
            organization=org_a.organization, sender=None, contact=contact, body=body, send_at=send_at
        ).message

    stop = threading.Event()
    thread = threading.Thread(target=workers.run_task_worker, kwargs={"worker_id": "t", "interval": 0.05, "stop": stop})
    with running_emulator(settings, numbers=[FROM]) as twilio:
        missed = schedule("due while no worker ran", 0.5)
        time.sleep(1.0)
        assert Message.objects.get(pk=missed.pk).status == "scheduled"
        thread.start()
        try:
            wait_for(lambda: Message.objects.get(pk=missed.pk).twilio_sid is not None, timeout=10)
            later = schedule("due after an outage", 1.5)
            assert _cut_every_other_connection() >= 1
            wait_for(lambda: Message.objects.get(pk=later.pk).twilio_sid is not None, timeout=15)
            late = Message.objects.get(pk=later.pk).events.get(event_type="schedule_due").payload["late_seconds"]
            assert late < 5
        finally:
            stop.set()
            thread.join(10)
            connection.close()
            connection.close_pool()
        assert sorted(m["body"] for m in twilio.messages()) == ["due after an outage", "due while no worker ran"]
