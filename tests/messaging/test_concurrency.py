"""Races settled by the database: real threads, separate connections, PostgreSQL."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client

from conversations.models import Contact, Conversation
from messaging.models import Message, MessageEvent
from tests.twilio_posts import new_sid, post_inbound, post_status

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TO = "+14155550001"


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, each on its own thread and database connection."""
    barrier = threading.Barrier(len(calls))

    def wrapped(call: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=20)
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(wrapped, call) for call in calls]
        return [f.result(timeout=120) for f in futures]


def test_twenty_first_messages_from_one_new_number(org_a):
    calls = [
        lambda i=i: post_inbound(Client(), to=TO, from_="+14155550177", body=f"msg {i}").status_code for i in range(20)
    ]
    assert run_at_once(calls) == [200] * 20
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 20
    assert Conversation.objects.get().unread_count == 20


def test_same_message_sid_five_times_at_once(org_a):
    sid = new_sid()
    calls = [lambda: post_inbound(Client(), to=TO, sid=sid).status_code for _ in range(5)]
    assert run_at_once(calls) == [200] * 5
    assert Message.objects.filter(twilio_sid=sid).count() == 1
    assert Conversation.objects.get().unread_count == 1
    assert MessageEvent.objects.count() == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_concurrent_status_callbacks_end_in_the_true_status(org_a, conversation_a, seed):
    messages = [
        Message.objects.create(
            organization=org_a.organization,
            conversation=conversation_a,
            direction="out",
            twilio_sid=new_sid(),
            from_number=TO,
            to_number="+14155550101",
            status="queued",
        )
        for _ in range(4)
    ]
    finals = ["delivered", "undelivered", "failed", "read"]
    callbacks = []
    for message, final in zip(messages, finals, strict=True):
        path = ["sending", "sent", final] if final != "read" else ["sending", "sent", "delivered", "read"]
        callbacks += [(message.twilio_sid, status) for status in path for _ in range(2)]
    random.Random(seed).shuffle(callbacks)
    calls = [lambda s=s, st=st: post_status(Client(), sid=s, status=st).status_code for s, st in callbacks]
    assert run_at_once(calls) == [200] * len(callbacks)
    for message, final in zip(messages, finals, strict=True):
        message.refresh_from_db()
        assert message.status == final
        distinct = 3 if final != "read" else 4
        assert message.events.count() == distinct


def _blocker() -> psycopg.Connection:
    """A second connection to the test database, outside Django (it holds locks against the webhook)."""
    settings_dict = connection.settings_dict
    return psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
        autocommit=False,
    )


def test_a_database_that_stops_answering_gets_a_503_at_the_deadline_then_redelivery_stores_once(org_a, settings):
    """A server that never answers (paused, partitioned) cannot enforce timeouts; our deadline cuts it."""
    settings.WEBHOOK_DATABASE_DEADLINE_SECONDS = 1.0
    sid = new_sid()
    with _blocker() as blocker:
        blocker.execute("SET idle_in_transaction_session_timeout = '6s'")  # without a deadline: fail, not hang
        blocker.execute("LOCK TABLE messaging_message IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")  # the server would wait for ever, as a stalled one does
        started = time.monotonic()
        response = post_inbound(Client(), to=TO, sid=sid)
        elapsed = time.monotonic() - started
        with contextlib.suppress(psycopg.Error):
            blocker.rollback()
    connection.close()  # cut by the deadline (were it not, this drops the session's lock_timeout = 0)
    assert response.status_code == 503
    assert 1.0 <= elapsed < 3
    assert Message.objects.count() == 0
    assert post_inbound(Client(), to=TO, sid=sid).status_code == 200
    assert Message.objects.filter(twilio_sid=sid).count() == 1
    assert Conversation.objects.get().unread_count == 1


def test_locked_database_answers_503_within_seconds_then_redelivery_stores_once(org_a):
    """A transient failure: Twilio gets a 5xx quickly and retries; nothing half-written."""
    sid = new_sid()
    with _blocker() as blocker:
        blocker.execute("LOCK TABLE messaging_message IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        response = post_inbound(Client(), to=TO, sid=sid)
        elapsed = time.monotonic() - started
        blocker.rollback()
    assert response.status_code == 503
    assert elapsed < 5
    assert Message.objects.count() == 0
    assert Contact.objects.count() == 0
    assert post_inbound(Client(), to=TO, sid=sid).status_code == 200
    assert post_inbound(Client(), to=TO, sid=sid).status_code == 200
    assert Message.objects.filter(twilio_sid=sid).count() == 1
    assert Conversation.objects.get().unread_count == 1


def test_two_sweeps_at_once_wake_a_snoozed_conversation_once(org_a, conversation_a):
    """Two sweepers (threads, connections) reach the same due rows: each row is woken, announced and its
    assignee told exactly once (the conditional UPDATE), whichever sweeper gets it."""
    from datetime import timedelta

    from django.utils import timezone

    from conversations.snooze import conversation_snooze, conversations_wake_due

    now = timezone.now()
    snoozed = [conversation_a]
    for i in range(2, 30):
        post_inbound(Client(), to=TO, from_=f"+141555502{i:02d}", body="hi")
    snoozed = list(Conversation.objects.all())
    for conversation in snoozed:
        conversation_snooze(conversation=conversation, user=org_a.user, until=now + timedelta(minutes=5), now=now)
    woken = run_at_once([lambda: conversations_wake_due(now=now + timedelta(minutes=5))] * 2)
    assert sum(woken) == len(snoozed)
    assert not Conversation.objects.filter(status="snoozed").exists()
    assert conversations_wake_due(now=now + timedelta(hours=1)) == 0


def _schedule_many(org_a, count: int, *, minutes: float = 5) -> list[Message]:
    from datetime import timedelta

    from django.utils import timezone

    from conversations.services import contact_create
    from messaging.services.outbound import message_send

    send_at = timezone.now() + timedelta(minutes=minutes)
    return [
        message_send(
            organization=org_a.organization,
            sender=org_a.user,
            contact=contact_create(organization=org_a.organization, phone=f"+141555503{i:02d}"),
            body=f"Reminder {i}",
            send_at=send_at,
        ).message
        for i in range(count)
    ]


def test_two_sweeps_at_once_hand_each_scheduled_message_to_twilio_once(settings, live_server, org_a):
    """Two sweepers (threads, connections) reach the same due rows, twice over: each message is handed to the
    send pipeline once (skip-locked claim + conditional UPDATE), and the emulator receives each text once."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from messaging.services.schedule import messages_send_due
    from tests.pipeline import drain_tasks, running_emulator, wait_for

    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    with running_emulator(settings, numbers=[TO]) as twilio:
        scheduled = _schedule_many(org_a, 20)
        due = timezone.now() + timedelta(minutes=6)
        handed = run_at_once([lambda: messages_send_due(now=due)] * 2)
        assert sum(handed) == len(scheduled)
        handed = run_at_once([lambda: messages_send_due(now=due)] * 2)
        assert sum(handed) == 0
        assert DBTaskResult.objects.count() == len(scheduled)
        drain_tasks()
        wait_for(lambda: not Message.objects.exclude(status="delivered").exists(), timeout=30)
        sent = twilio.messages()
        assert sorted(m["body"] for m in sent) == sorted(m.body for m in scheduled)
        assert len({m["sid"] for m in sent}) == len(scheduled)


def test_a_cancel_racing_the_sweep_either_cancels_or_is_refused_never_both(org_a):
    """Staff cancel at the moment the sweep claims: exactly one of them moves the message out of ``scheduled``."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from messaging.services.schedule import message_schedule_cancel, messages_send_due
    from smsinbox.errors import ServiceError

    scheduled = _schedule_many(org_a, 10, minutes=1)
    due = timezone.now() + timedelta(minutes=2)

    refusals: list[str] = []

    def cancel_all() -> int:
        canceled = 0
        for message in scheduled:
            try:
                message_schedule_cancel(message=message, user=org_a.user)
                canceled += 1
            except ServiceError as refused:
                refusals.append(refused.message)
        return canceled

    handed, canceled = run_at_once([lambda: messages_send_due(now=due), cancel_all])
    assert handed + canceled == len(scheduled)
    assert len(refusals) == handed
    assert all("already started sending" in refusal for refusal in refusals)
    assert Message.objects.filter(status="canceled").count() == canceled
    assert Message.objects.filter(status="pending").count() == handed == DBTaskResult.objects.count()
