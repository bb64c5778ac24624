"""Activity rows in the inbox page: between the texts in time order, in the viewer's zone, in the resync, in admin,
and query counts that stay flat as events grow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import Conversation, ConversationEvent
from conversations.services import conversation_assign, conversation_set_status
from conversations.snooze import conversation_snooze
from smsinbox.models import Membership, User
from tests.twilio_posts import post_inbound

TO = "+14155550001"


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.fixture
def thread(client, org_a) -> Conversation:
    post_inbound(client, to=TO, from_="+14155560001", body="Is it ready?")
    return Conversation.objects.get()


@pytest.fixture
def sam(org_a) -> User:
    user = User.objects.create_user("sam", password="pw-sam-1", first_name="Sam")
    Membership.objects.create(user=user, organization=org_a.organization, role="agent")
    return user


def test_the_thread_shows_activity_rows_between_the_texts(alice, client, thread, org_a, sam):
    conversation_assign(conversation=thread, assignee_id=sam.pk, by_user_id=org_a.user.pk)
    post_inbound(client, to=TO, from_="+14155560001", body="Still there?")
    conversation_set_status(conversation=thread, status="closed", by_user_id=org_a.user.pk)
    page = alice.get(reverse("inbox-thread", args=[thread.pk])).content.decode()
    page = page[page.index('id="messages"') :]  # the thread (the list's row previews the last text too)
    assigned, closed = ConversationEvent.objects.order_by("id")
    assert page.index("Is it ready?") < page.index(f'id="event-{assigned.pk}"') < page.index("Still there?")
    assert page.index("Still there?") < page.index(f'id="event-{closed.pk}"')
    assert '<span class="activity-text">alice assigned this to Sam</span>' in page
    assert '<span class="activity-text">alice closed this</span>' in page
    assert 'id="event-template"' in page


def test_a_snooze_time_is_written_in_the_viewers_zone(alice, thread, org_a):
    until = datetime(2031, 1, 2, 17, 30, tzinfo=UTC)
    conversation_snooze(conversation=thread, user=org_a.user, until=until, now=until - timedelta(hours=5))
    alice.cookies["tz"] = "America/Los_Angeles"
    page = alice.get(reverse("inbox-thread", args=[thread.pk])).content.decode()
    assert f'<time class="activity-at" datetime="{until.isoformat()}">Jan 2, 9:30 AM</time>' in page


def test_the_resync_brings_activity_since(alice, thread, org_a):
    conversation_set_status(conversation=thread, status="closed", by_user_id=org_a.user.pk)
    answer = alice.get(reverse("inbox-sync"), {"since": "2000-01-01T00:00:00+00:00", "conversation": thread.pk})
    assert [(e["kind"], e["event"], e["text"]) for e in answer.json()["events"]] == [
        ("event", "closed", "alice closed this")
    ]


def test_thread_queries_do_not_grow_with_events(alice, thread, org_a, sam):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice.get(reverse("inbox-thread", args=[thread.pk])).status_code == 200
        return len(queries)

    conversation_assign(conversation=thread, assignee_id=sam.pk, by_user_id=org_a.user.pk)
    count()  # the first visit marks the thread read and stores the session's organization
    few = count()
    for i in range(15):
        conversation_assign(conversation=thread, assignee_id=org_a.user.pk if i % 2 else sam.pk, by_user_id=sam.pk)
        conversation_set_status(conversation=thread, status="closed" if i % 2 else "open", by_user_id=sam.pk)
    assert ConversationEvent.objects.count() > 20
    assert count() == few


def test_admin_shows_a_conversations_activity_read_only(client, thread, org_a, org_b):
    conversation_set_status(conversation=thread, status="closed", by_user_id=org_a.user.pk)
    client.force_login(org_a.user)
    page = client.get(reverse("admin:conversations_conversation_change", args=[thread.pk])).content.decode()
    assert "activity (newest 50)" in page.lower()
    assert "alice closed this" in page
    assert 'name="events-0-kind"' not in page  # shown, never editable
    client.force_login(org_b.user)
    assert client.get(reverse("admin:conversations_conversation_change", args=[thread.pk])).status_code == 302
