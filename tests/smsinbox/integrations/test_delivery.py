"""Outgoing webhooks end to end: a change, its event in the same transaction, a signed delivery by the real task
worker (django-tasks' db_worker) to a local receiver that verifies the signature; retries, a killed worker, the
concurrency limit, the pause after a day of failures."""

from __future__ import annotations

import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from conversations.models import Contact
from conversations.services import (
    contact_create,
    contact_update,
    conversation_assign,
    conversation_set_status,
    note_create,
)
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.integrations.catalog import TEST_EVENT, WebhookEventType
from smsinbox.integrations.delivery import Outcome, claim, send, webhook_deliveries_sweep
from smsinbox.integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from smsinbox.integrations.services import webhook_delivery_redeliver, webhook_endpoint_send_test
from tests.api_client import ApiClient
from tests.pipeline import drain_tasks
from tests.twilio_posts import new_sid, post_inbound, post_status

TO = "+14155550001"

# The real db_worker runs the tasks, on its own connection (PostgreSQL): the tests' data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def only(endpoint: WebhookEndpoint, *types: WebhookEventType) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(event_types=[t.value for t in types])


def test_an_inbound_text_is_one_signed_message_received_delivery_in_the_api_shape(client, org_a, endpoint, receiver):
    only(endpoint, WebhookEventType.MESSAGE_RECEIVED)
    post_inbound(client, to=TO, from_="+14155550101", body="Is the clinic open Saturday?")
    drain_tasks()

    event = WebhookEvent.objects.get()
    assert event.type == "message.received"
    assert len(receiver.heard) == 1
    heard = receiver.heard[0]
    assert heard.verified, "the receiver verifies the HMAC-SHA256 of timestamp.body with the endpoint's secret"
    assert heard.event_id == str(event.id) == heard.headers["x-smsinbox-event-id"]
    assert heard.body["type"] == "message.received"
    assert heard.body["organizationId"] == org_a.organization.pk
    message = Message.objects.get()
    api = ApiClient(org_a.user).get(f"/api/messages/{message.pk}/").json()
    api.pop("events")  # the detail adds the message's history
    data = heard.body["data"]
    assert {key: data[key] for key in api} == api, "the payload is the REST API's message shape"
    assert data["body"] == "Is the clinic open Saturday?"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    assert delivery.duration_ms is not None
    assert delivery.response_excerpt == '{"ok": true}'


def test_a_receiver_failing_twice_gets_the_same_event_three_times(client, org_a, endpoint, receiver):
    only(endpoint, WebhookEventType.MESSAGE_RECEIVED)
    receiver.statuses = [500, 503]
    post_inbound(client, to=TO, body="hello")
    drain_tasks()

    assert WebhookEvent.objects.count() == 1
    assert [h.event_id for h in receiver.heard] == [str(WebhookEvent.objects.get().id)] * 3
    assert all(h.verified for h in receiver.heard)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert WebhookEndpoint.objects.get().failing_since is None, "a success ends the failing streak"


def test_a_worker_killed_mid_delivery_delivers_again_with_the_same_id(client, org_a, endpoint, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3  # the lease: 3 × timeout + 1 s
    only(endpoint, WebhookEventType.MESSAGE_RECEIVED)
    post_inbound(client, to=TO, body="hello")
    task = DBTaskResult.objects.get()
    # The worker takes the delivery and POSTs it; the receiver gets it; the worker dies before recording.
    outcome, delivery = claim(WebhookDelivery.objects.get().pk)
    assert outcome == Outcome.DELIVERED
    assert delivery is not None
    assert send(delivery).ok
    DBTaskResult.objects.filter(pk=task.pk).delete()  # its task died with it
    assert WebhookDelivery.objects.get().status == "pending"
    assert webhook_deliveries_sweep() == 0, "still leased: the attempt may be in flight"

    time.sleep(1.0 + 3 * 0.3 + 0.1)
    assert webhook_deliveries_sweep() == 1
    drain_tasks()
    assert [h.event_id for h in receiver.heard] == [str(WebhookEvent.objects.get().id)] * 2
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_the_concurrency_limit_defers_a_second_delivery_to_the_same_endpoint(org_a, endpoint, settings):
    settings.WEBHOOK_CONCURRENCY = 1
    contact_create(organization=org_a.organization, phone="+14155550111")
    contact_create(organization=org_a.organization, phone="+14155550112")
    first, second = WebhookDelivery.objects.order_by("id")
    assert claim(first.pk)[0] == Outcome.DELIVERED
    assert claim(first.pk)[0] == Outcome.BUSY
    assert claim(second.pk)[0] == Outcome.DEFERRED
    assert DBTaskResult.objects.filter(status="READY").count() == 3  # the two first tasks, and the deferral


def test_a_change_rolled_back_leaves_no_event(org_a, endpoint):
    def change_then_fail() -> None:
        with transaction.atomic():
            contact_create(organization=org_a.organization, phone="+14155550111")
            assert WebhookEvent.objects.count() == 1  # written with the change, in its transaction
            raise RuntimeError("the database goes away before the commit")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not Contact.objects.exists()
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_an_event_that_cannot_be_written_leaves_no_change(org_a, endpoint):
    """The outbox's table is gone when the inbound text arrives: Twilio gets an error (and retries), and
    nothing of the text is stored — no change without its event."""
    twilio = Client(raise_request_exception=False)

    def without_the_outbox() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE smsinbox_webhookevent RENAME TO smsinbox_webhookevent_gone")
            response = post_inbound(twilio, to=TO, from_="+14155550199", body="lost?")
            assert response.status_code >= 500
            assert not Message.objects.exists()
            assert not Contact.objects.exists()
            raise RuntimeError("put the table back")

    with pytest.raises(RuntimeError, match="put the table back"):
        without_the_outbox()
    post_inbound(twilio, to=TO, from_="+14155550199", body="lost?")  # Twilio's retry, the table back
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.filter(type="message.received").count() == 1


def test_no_endpoint_subscribed_means_no_event(client, org_a, endpoint):
    only(endpoint, WebhookEventType.NOTE_CREATED)
    post_inbound(client, to=TO, body="hello")
    assert not WebhookEvent.objects.exists()


def test_each_change_is_its_event(client, org_a, endpoint):
    post_inbound(client, to=TO, from_="+14155550101", body="hi")
    conversation = Message.objects.get().conversation
    conversation_assign(conversation=conversation, assignee_id=org_a.user.pk, by_user_id=org_a.user.pk)
    conversation_set_status(conversation=conversation, status="closed")
    post_inbound(client, to=TO, from_="+14155550101", body="one more thing")  # reopens it
    note_create(conversation=conversation, author=org_a.user, body="Called back")
    post_inbound(client, to=TO, from_="+14155550101", body="STOP")
    types = list(WebhookEvent.objects.order_by("created_at").values_list("type", flat=True))
    assert types == [
        "contact.created",
        "message.received",
        "conversation.assigned",
        "conversation.closed",
        "message.received",
        "conversation.reopened",
        "note.created",
        "contact.opted_out",
        "message.received",
    ]
    closed = WebhookEvent.objects.get(type="conversation.closed").data
    assert (closed["id"], closed["status"]) == (conversation.pk, "closed")
    assert WebhookEvent.objects.get(type="conversation.assigned").data["assigneeId"] == org_a.user.pk
    assert WebhookEvent.objects.get(type="contact.opted_out").data["optedOut"] is True


def test_an_endpoint_failing_for_a_day_is_paused_and_its_admins_told(
    client, org_a, endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_PAUSE_AFTER_SECONDS = 0  # "a day" of failures, already
    org_a.user.email = "alice@example.com"
    org_a.user.save()
    only(endpoint, WebhookEventType.MESSAGE_RECEIVED)
    receiver.statuses = [500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(client, to=TO, body="hello")
        drain_tasks()
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "Paused automatically" in endpoint.paused_reason
    assert len(receiver.heard) == 2, "no attempt after the pause"
    assert WebhookDelivery.objects.get().status == "pending"
    assert mail.outbox[0].to == ["alice@example.com"]
    assert endpoint.url in mail.outbox[0].body


def test_send_test_event_and_redeliver(org_a, endpoint, receiver):
    delivery = webhook_endpoint_send_test(endpoint=endpoint, actor=org_a.user)
    drain_tasks()
    assert [h.type for h in receiver.heard] == [TEST_EVENT]
    webhook_delivery_redeliver(delivery=WebhookDelivery.objects.get(pk=delivery.pk), actor=org_a.user)
    drain_tasks()
    assert [h.event_id for h in receiver.heard] == [str(delivery.event_id)] * 2
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered"


def test_a_slow_receiver_never_holds_the_twilio_webhook(client, org_a, endpoint, receiver):
    receiver.hold = threading.Event()
    started = time.monotonic()
    response = post_inbound(client, to=TO, body="hello")
    assert response.status_code == 200
    assert time.monotonic() - started < 2
    assert not receiver.heard, "nothing is sent before a worker takes the task"


def test_sends_statuses_contact_edits_and_opt_ins_are_their_events(client, org_a, endpoint):
    contact = contact_create(organization=org_a.organization, phone="+14155550177", first_name="Ana")
    sent = message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="Ready!").message
    post_status(client, message_id=sent.pk, sid=new_sid(), status="failed", ErrorCode="30008", to="+14155550177")
    contact_update(contact=contact, first_name="Anna")
    post_inbound(client, to=TO, from_="+14155550177", body="STOP")
    post_inbound(client, to=TO, from_="+14155550177", body="START")
    types = list(WebhookEvent.objects.order_by("created_at").values_list("type", flat=True))
    assert types[:4] == ["contact.created", "message.sent", "message.status_changed", "contact.updated"]
    assert types[4:] == ["contact.opted_out", "message.received", "contact.opted_in", "message.received"]
    assert WebhookEvent.objects.get(type="message.sent").data["sentById"] == org_a.user.pk
    failed = WebhookEvent.objects.get(type="message.status_changed").data
    assert (failed["id"], failed["status"], failed["errorCode"]) == (sent.pk, "failed", 30008)
    assert failed["errorMessage"]
    assert WebhookEvent.objects.get(type="contact.updated").data["firstName"] == "Anna"
