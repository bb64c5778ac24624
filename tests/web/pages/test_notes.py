"""Notes in the inbox page: the thread shows them apart from texts, the Note form (without JavaScript too),
the Mentions filter linking to the note, the resync, and query counts that stay flat as notes grow."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import Conversation, Note
from conversations.services import note_create
from messaging.models import Message
from smsinbox.models import Membership
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


def test_the_thread_shows_notes_distinctly_in_time_order(alice, thread, org_a):
    note = note_create(conversation=thread, author=org_a.user, body="<b>VIP</b> @alice")
    page = alice.get(reverse("inbox-thread", args=[thread.pk])).content.decode()
    assert page.index("Is it ready?") < page.index(f'id="note-{note.pk}"')
    assert '<span class="note-tag">Note</span>' in page
    assert "&lt;b&gt;VIP&lt;/b&gt;" in page
    assert "<b>VIP</b>" not in page
    assert '<span class="mention">@alice</span>' in page
    assert 'id="note-composer"' in page
    assert reverse("inbox-note", args=[thread.pk]) in page
    assert ">Add note<" in page


def test_the_note_form_without_javascript_writes_a_note_and_never_a_text(alice, thread):
    response = alice.post(reverse("inbox-note", args=[thread.pk]), {"note_body": "Left a voicemail"})
    note = Note.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox-thread", args=[thread.pk]) + f"#note-{note.pk}"
    assert Message.objects.count() == 1  # the inbound one only
    response = alice.post(reverse("inbox-note", args=[thread.pk]), {"note_body": "  "}, follow=True)
    assert "cannot be empty" in response.content.decode()
    assert Note.objects.count() == 1


def test_the_note_form_of_another_organizations_thread_is_404(client, thread, org_b):
    client.force_login(org_b.user)
    assert client.post(reverse("inbox-note", args=[thread.pk]), {"note_body": "x"}).status_code == 404
    assert not Note.objects.exists()


def test_the_mentions_filter_lists_threads_that_mention_me_linking_to_the_note(alice, client, thread, org_a):
    carol = get_user_model().objects.create_user(username="carol", password="pw-carol-1")
    Membership.objects.create(user=carol, organization=org_a.organization)
    empty = alice.get(reverse("home"), {"filter": "mentions"}).content.decode()
    assert "No notes mention you." in empty
    note = note_create(conversation=thread, author=carol, body="@alice can you take this one?")
    page = alice.get(reverse("home"), {"filter": "mentions"}).content.decode()
    assert f'{reverse("inbox-thread", args=[thread.pk])}?filter=mentions#note-{note.pk}"' in page
    client.force_login(carol)
    assert "No notes mention you." in client.get(reverse("home"), {"filter": "mentions"}).content.decode()


def test_the_resync_brings_notes_written_while_disconnected(alice, thread, org_a):
    note = note_create(conversation=thread, author=org_a.user, body="while you were away")
    answer = alice.get(reverse("inbox-sync"), {"since": "2000-01-01T00:00:00+00:00", "conversation": thread.pk})
    assert [(n["id"], n["kind"], n["body"]) for n in answer.json()["notes"]] == [(note.pk, "note", note.body)]


def test_thread_queries_do_not_grow_with_notes_and_mentions(alice, thread, org_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice.get(reverse("inbox-thread", args=[thread.pk])).status_code == 200
        return len(queries)

    note_create(conversation=thread, author=org_a.user, body="one @alice")
    count()  # the first visit marks the thread read and stores the session's organization
    few = count()
    for i in range(30):
        note_create(conversation=thread, author=org_a.user, body=f"note {i} @alice")
    assert count() == few


def test_the_mentions_list_queries_do_not_grow_with_notes(alice, client, org_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice.get(reverse("home"), {"filter": "mentions"}).status_code == 200
        return len(queries)

    for i in range(3):
        post_inbound(client, to=TO, from_=f"+141555700{i:02d}", body=f"hello {i}")
    for conversation in Conversation.objects.all():
        note_create(conversation=conversation, author=org_a.user, body="@alice look")
    count()
    few = count()
    for i in range(3, 30):
        post_inbound(client, to=TO, from_=f"+141555700{i:02d}", body=f"hello {i}")
    for conversation in Conversation.objects.all():
        note_create(conversation=conversation, author=org_a.user, body="@alice again")
    assert count() == few
