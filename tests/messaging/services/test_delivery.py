"""The outbound pipeline end to end: message_send → task → twilio SDK → emulator → signed callbacks → our webhook."""

import pytest
from django.db.models import Q

from conversations.models import Contact
from conversations.services import contact_create
from messaging.models import Message, MessageEvent
from messaging.services.delivery import DeliveryOutcome, message_deliver
from messaging.services.outbound import message_send
from messaging.twilio import client
from tests.pipeline import drain_tasks, long_ago, running_emulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FROM = "+14155550001"


@pytest.fixture
def pipeline(settings, live_server, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RETRY_BASE_SECONDS = 0.05
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    settings.SEND_RATE_LIMIT = False
    with running_emulator(settings, numbers=[FROM]) as emulator:
        yield emulator


def send(org_a, phone, body="Hello from the pipeline", **kwargs):
    contact = Contact.objects.filter(organization=org_a.organization, phone=phone).first() or contact_create(
        organization=org_a.organization, phone=phone
    )
    return message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body=body, **kwargs
    ).message


def status_of(message):
    message.refresh_from_db()
    return message.status


def test_a_send_goes_all_the_way_to_delivered(pipeline, org_a):
    message = send(org_a, "+14155550101", media_urls=["https://example.com/cat.png"])
    assert message.status == "pending"
    drain_tasks()
    wait_for(lambda: status_of(message) == "delivered")
    sent = pipeline.messages()
    assert len(sent) == 1
    assert sent[0]["sid"] == message.twilio_sid
    assert (sent[0]["to"], sent[0]["from"], sent[0]["body"]) == ("+14155550101", FROM, "Hello from the pipeline")
    assert sent[0]["num_media"] == "1"
    assert message.sent_at is not None
    assert message.delivered_at is not None
    callbacks = list(message.events.filter(event_type="status_callback").values_list("status", flat=True))
    assert callbacks == ["sending", "sent", "delivered"]
    assert message.events.filter(event_type="send_attempt", payload__outcome="accepted").count() == 1


@pytest.mark.parametrize(
    ("to", "code", "words"),
    [
        ("+15005550001", 21211, "not a valid phone number"),
        ("+15005550002", 21612, "cannot receive SMS"),
        ("+15005550003", 21408, "no permission"),
        ("+15005550009", 21614, "not a mobile number"),
    ],
)
def test_permanent_errors_fail_at_once_with_their_meaning(pipeline, org_a, to, code, words):
    message = send(org_a, to)
    drain_tasks()
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", code)
    assert words in message.error_message
    assert message.send_attempts == 1
    assert pipeline.messages() == []


def test_21610_fails_and_opts_the_contact_out(pipeline, org_a):
    message = send(org_a, "+15005550004")
    drain_tasks()
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 21610)
    contact = message.conversation.contact
    contact.refresh_from_db()
    assert (contact.opt_out_method, contact.opt_out_message_id) == ("error_21610", message.pk)


def test_carrier_failure_arrives_by_callback(pipeline, org_a):
    message = send(org_a, "+15005550010")
    drain_tasks()
    wait_for(lambda: status_of(message) == "undelivered")
    assert message.error_code == 30003
    assert "unreachable" in message.error_message


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_failures_are_retried_then_delivered_once(pipeline, org_a, status):
    pipeline.inject_faults(fail_next=2, status=status)
    message = send(org_a, "+14155550101")
    drain_tasks()
    wait_for(lambda: status_of(message) == "delivered")
    assert len(pipeline.messages()) == 1
    attempts = message.events.filter(event_type="send_attempt")
    assert attempts.filter(payload__outcome="retry").count() == 2
    assert message.send_attempts == 3


def test_retries_give_up_after_the_configured_attempts(pipeline, org_a, settings):
    settings.SEND_MAX_ATTEMPTS = 3
    pipeline.inject_faults(fail_next=10, status=429)
    message = send(org_a, "+14155550101")
    drain_tasks()
    message.refresh_from_db()
    assert message.status == "failed"
    assert "Gave up after 3 attempts" in message.error_message
    assert message.events.filter(event_type="send_attempt").count() == 3
    assert pipeline.messages() == []


def test_a_timeout_is_settled_by_the_callback_carrying_our_id(pipeline, org_a):
    """Twilio took the message but answered too late: its status callback (``?m=``) binds it; no resend."""
    pipeline.inject_faults(fail_next=1, stall_seconds=1.5)  # longer than TWILIO_HTTP_TIMEOUT
    message = send(org_a, "+14155550101")
    drain_tasks()
    wait_for(lambda: status_of(message) == "delivered")
    assert [m["sid"] for m in pipeline.messages()] == [message.twilio_sid]


def test_a_timeout_without_callbacks_is_looked_up_not_resent(pipeline, org_a, settings):
    """The same, with the callbacks lost: the retry finds the message at Twilio instead of sending again."""
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"  # callbacks go nowhere
    pipeline.inject_faults(fail_next=1, stall_seconds=1.5)
    message = send(org_a, "+14155550101")
    drain_tasks()
    message.refresh_from_db()
    assert [m["sid"] for m in pipeline.messages()] == [message.twilio_sid]
    assert message.status in {"queued", "sending", "sent", "delivered"}
    outcomes = list(
        message.events.filter(event_type="send_attempt").order_by("id").values_list("payload__outcome", flat=True)
    )
    assert outcomes == ["retry", "reconciled"]
    assert message.send_attempts == 1


def test_a_worker_killed_mid_send_is_reconciled_when_twilio_has_it(pipeline, org_a, settings):
    message = send(org_a, "+14155550101", body="Sent before the crash")
    # The dead worker's request reached Twilio; its own record never did.
    accepted = client.send_message(
        to="+14155550101", from_=FROM, body="Sent before the crash", media_urls=[], status_callback=""
    )
    Message.objects.filter(pk=message.pk).update(dispatch_started_at=long_ago(60), send_attempts=1)
    assert message_deliver(message_id=message.pk) == "reconciled"
    message.refresh_from_db()
    assert message.twilio_sid == accepted.sid
    assert len(pipeline.messages()) == 1


def test_a_worker_killed_before_twilio_answered_resends_once(pipeline, org_a):
    message = send(org_a, "+14155550101", body="Never reached Twilio")
    Message.objects.filter(pk=message.pk).update(dispatch_started_at=long_ago(60), send_attempts=1)
    assert message_deliver(message_id=message.pk) == "sent"
    assert len(pipeline.messages()) == 1


def test_a_request_still_in_flight_is_left_alone(pipeline, org_a):
    message = send(org_a, "+14155550101")
    Message.objects.filter(pk=message.pk).update(dispatch_started_at=long_ago(0.1), send_attempts=1)
    assert message_deliver(message_id=message.pk) == DeliveryOutcome.BUSY
    assert pipeline.messages() == []


def test_double_click_sends_one_text(pipeline, org_a):
    first = send(org_a, "+14155550101", idempotency_key="k-1")
    second = send(org_a, "+14155550101", idempotency_key="k-1")
    assert first.pk == second.pk
    drain_tasks()
    assert len(pipeline.messages()) == 1


def test_contact_opted_out_after_queueing_is_not_texted(pipeline, org_a):
    message = send(org_a, "+14155550101")
    Contact.objects.filter(pk=message.conversation.contact_id).update(
        opted_out_at=long_ago(1), opt_out_method="keyword", opt_out_keyword="STOP"
    )
    drain_tasks()
    assert status_of(message) == "failed"
    assert pipeline.messages() == []


def test_every_attempt_is_an_event(pipeline, org_a):
    pipeline.inject_faults(fail_next=1, status=429)
    message = send(org_a, "+14155550101")
    drain_tasks()
    outcomes = list(
        MessageEvent.objects.filter(Q(message=message), event_type="send_attempt")
        .order_by("id")
        .values_list("payload__outcome", flat=True)
    )
    assert outcomes == ["retry", "accepted"]


def test_a_stale_task_stands_down_after_another_attempt(pipeline, org_a, settings, monkeypatch):
    """Task B read the message, then waited for its slot; meanwhile task A made an ambiguous attempt.

    B's claim (compare-and-set on what it read) fails, so B never resends without a lookup.
    """
    import threading
    from datetime import timedelta

    from django.db import connections
    from django.utils import timezone

    from messaging.services.ratelimit import phone_number_reserve_send_slot

    settings.SEND_RATE_LIMIT = True
    settings.SEND_RATE_MAX_WAIT_SECONDS = 5
    message = send(org_a, "+14155550101")
    number = org_a.organization.phone_numbers.get()
    phone_number_reserve_send_slot(phone_number_id=number.pk, now=timezone.now() + timedelta(seconds=0.8))
    outcome = {}

    import time

    from messaging.services import delivery

    waiting = threading.Event()
    real_sleep = time.sleep

    def slot_wait(seconds: float) -> None:  # B has read the message and waits for its slot: now A acts
        if threading.current_thread() is b:
            waiting.set()
        real_sleep(seconds)

    def task_b():
        try:
            outcome["b"] = message_deliver(message_id=message.pk)  # reads, then sleeps ~1 s for its slot
        finally:
            connections.close_all()

    monkeypatch.setattr(delivery.time, "sleep", slot_wait)
    b = threading.Thread(target=task_b)
    b.start()
    assert waiting.wait(10)
    Message.objects.filter(pk=message.pk).update(needs_lookup=True, send_attempts=1)  # task A's 502
    b.join(10)
    assert outcome["b"] == DeliveryOutcome.BUSY
    assert pipeline.messages() == []


def test_rate_limited_backlog_is_deferred_to_reserved_slots(pipeline, org_a, settings):
    from decimal import Decimal

    from django_tasks_db.models import DBTaskResult

    settings.SEND_RATE_LIMIT = True
    settings.SEND_RATE_MAX_WAIT_SECONDS = 0.2
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"  # no status callbacks racing the worker here
    number = org_a.organization.phone_numbers.get()
    number.messages_per_second = Decimal("10")
    number.save()
    for i in range(6):
        send(org_a, "+14155550101", body=f"bulk {i}")
    drain_tasks()
    assert len(pipeline.messages()) == 6
    # each message ran at most twice (once to reserve and defer, once at its slot)
    assert DBTaskResult.objects.count() <= 12


def test_retries_wait_the_base_doubling_each_time_within_20_percent_jitter(pipeline, org_a, settings):
    """README: transient failures retry after SEND_RETRY_BASE_SECONDS (2 s), doubling, ±20 % jitter."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.SEND_RETRY_BASE_SECONDS = 2
    message = send(org_a, "+14155550101")
    pipeline.inject_faults(fail_next=4, status=503)
    DBTaskResult.objects.all().delete()  # the first run is ours, below: each retry leaves one queued task
    for attempt in range(1, 5):
        before = timezone.now()
        assert message_deliver(message_id=message.pk) == DeliveryOutcome.RETRY
        after = timezone.now()
        [task] = DBTaskResult.objects.all()
        expected = 2 * 2 ** (attempt - 1)  # 2, 4, 8, 16 s
        assert before.timestamp() + 0.8 * expected <= task.run_after.timestamp() <= after.timestamp() + 1.2 * expected
        task.delete()
    assert pipeline.messages() == []  # 503s created nothing
