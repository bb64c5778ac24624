"""The after-hours auto-reply under racing webhooks: real threads, separate connections, PostgreSQL."""

from __future__ import annotations

import pytest
from django.test import Client

from conversations.models import Conversation
from messaging.hours.services import business_hours_update
from messaging.models import Message
from tests.messaging.test_concurrency import run_at_once
from tests.twilio_posts import new_sid, post_inbound

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TO = "+14155550001"


@pytest.fixture
def closed(org_a):
    business_hours_update(
        organization=org_a.organization, actor=org_a.user, time_zone="UTC", intervals=[], auto_reply_enabled=True,
        auto_reply_text="Closed now.", auto_reply_every_hours=12, help_reply_text="",
    )  # fmt: skip
    post_inbound(Client(), to=TO, from_="+14155550177", body="first")  # the contact and conversation exist
    Message.objects.filter(automatic=True).delete()
    Conversation.objects.update(last_auto_reply_at=None)


def test_twenty_texts_at_once_after_hours_get_one_auto_reply(closed):
    calls = [
        lambda i=i: post_inbound(Client(), to=TO, from_="+14155550177", body=f"msg {i}").status_code for i in range(20)
    ]
    assert run_at_once(calls) == [200] * 20
    assert Message.objects.filter(direction="in").count() == 21
    assert Message.objects.filter(automatic=True).count() == 1


def test_one_message_delivered_ten_times_at_once_gets_one_auto_reply(closed):
    sid = new_sid()
    calls = [lambda: post_inbound(Client(), to=TO, from_="+14155550177", body="again", sid=sid).status_code] * 10
    assert run_at_once(calls) == [200] * 10
    assert Message.objects.filter(automatic=True).count() == 1
