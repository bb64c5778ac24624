"""The intake processor as it runs: a thread applying what signed posts leave, woken by PostgreSQL's
NOTIFY (polling on SQLite), stopped cleanly."""

import threading
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from messaging.intake.models import NOTIFY_CHANNEL, WebhookPost
from messaging.intake.processor import run_intake_processor
from messaging.models import Message
from tests.twilio_posts import inbound_params, post_signed

INCOMING = reverse("twilio:sms-incoming")
ORG_A_NUMBER = "+14155550001"


def _wait_for(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout} s")


class Running:
    """The processor in a thread, as the embedded default runs it."""

    def __enter__(self) -> "Running":
        self.stop = threading.Event()
        self.thread = threading.Thread(target=run_intake_processor, kwargs={"stop": self.stop}, daemon=True)
        self.thread.start()
        time.sleep(0.5)  # it has looked once and waits
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")  # ends its wait at once
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.mark.django_db(transaction=True)
@override_settings(WEBHOOK_INTAKE="store-first", INTAKE_POLL_SECONDS=0.05)
def test_the_processor_applies_posts_as_they_arrive(client, org_a):
    with Running():
        sids = []
        for i in range(5):
            params = inbound_params(to=ORG_A_NUMBER, from_=f"+1415555020{i}", body=f"text {i}")
            assert post_signed(client, INCOMING, params).status_code == 200
            sids.append(params["MessageSid"])
        _wait_for(lambda: Message.objects.count() == 5, timeout=10)
    assert sorted(Message.objects.values_list("twilio_sid", flat=True)) == sorted(sids)
    assert not WebhookPost.objects.filter(applied_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(WEBHOOK_INTAKE="store-first", INTAKE_POLL_SECONDS=30)
def test_on_postgresql_the_insert_itself_wakes_the_processor(client, org_a):
    """With a 30 s poll, only the table trigger's NOTIFY can have it applied within a second."""
    with Running():
        posted = time.monotonic()
        assert post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER)).status_code == 200
        answered = time.monotonic() - posted
        waited = _wait_for(lambda: Message.objects.exists(), timeout=5)
    assert waited < 1.0, (answered, waited)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processors_on_the_same_threads_store_each_post_once(client, org_a):
    """Two processors at once over 60 posts from 3 customers (so they meet on the same conversations): each post
    applied by one of them, each message stored once, and the unread counts are exactly what arrived."""
    from conversations.models import Conversation
    from messaging.intake.services import webhook_posts_apply

    senders = ["+14155550301", "+14155550302", "+14155550303"]
    with override_settings(WEBHOOK_INTAKE="store-first"):
        for i in range(60):
            params = inbound_params(to=ORG_A_NUMBER, from_=senders[i % 3], body=f"text {i}")
            assert post_signed(client, INCOMING, params).status_code == 200
    applied: list[int] = []
    errors: list[BaseException] = []

    def processor() -> None:
        try:
            with override_settings(INTAKE_BATCH=7):
                while n := webhook_posts_apply():
                    applied.append(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=processor) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(applied) == 60
    assert Message.objects.count() == 60
    assert sorted(Conversation.objects.values_list("unread_count", flat=True)) == [20, 20, 20]
    assert not WebhookPost.objects.filter(applied_at__isnull=True).exists()
    assert set(WebhookPost.objects.values_list("outcome", flat=True)) == {"stored"}
