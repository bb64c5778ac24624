"""Notes through the API: ``GET``/``POST /api/conversations/{id}/notes/``, and notes in the thread listing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from conversations.models import Conversation, ConversationEvent, Note
from conversations.services import note_create
from messaging.models import Message
from messaging.selectors import thread_page
from messaging.services.outbound import message_send
from tests.api_client import ApiClient, build_tenant


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


def notes_path(tenant) -> str:
    return f"/api/conversations/{tenant.conversation.pk}/notes/"


def test_writing_and_reading_notes(api, tenant):
    before = Conversation.objects.values("unread_count", "last_message_preview", "version").get(
        pk=tenant.conversation.pk
    )
    response = api.post(notes_path(tenant), {"body": "@alice please call Maria back"})
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["kind"] == "note"
    assert (note["conversationId"], note["authorId"], note["body"]) == (
        tenant.conversation.pk,
        tenant.user.pk,
        "@alice please call Maria back",
    )
    assert note["mentions"] == [{"userId": tenant.user.pk, "username": "alice", "name": "alice"}]
    assert set(note) == {
        "id", "kind", "organizationId", "conversationId", "authorId", "authorName", "body", "createdAt", "mentions",
    }  # fmt: skip
    listed = api.get(notes_path(tenant)).json()
    assert [n["id"] for n in listed["results"]] == [note["id"]]
    assert listed["nextCursor"] is None
    assert Message.objects.filter(conversation=tenant.conversation).count() == 2  # nothing sent
    after = Conversation.objects.values("unread_count", "last_message_preview", "version").get(
        pk=tenant.conversation.pk
    )
    assert after == before


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"body": ""}, "cannot be empty"),
        ({"body": "   \n"}, "cannot be empty"),
        ({}, "required"),
        ({"body": 5}, "valid string"),
        ({"body": "x" * 2001}, "no more than 2000"),
    ],
)
def test_a_bad_note_is_a_clear_400_and_writes_nothing(api, tenant, body, words):
    response = api.post(notes_path(tenant), body)
    assert response.status_code == 400
    assert words in str(response.json()).lower().replace("ensure this field has ", "")
    assert not Note.objects.exists()


def test_a_blank_note_names_its_field_and_code(api, tenant):
    response = api.post(notes_path(tenant), {"body": " "})
    assert response.json() == {
        "error": "Write something in the note: it cannot be empty.",
        "code": "blank",
        "field": "body",
    }


def test_another_organizations_thread_is_404_for_notes(org_b, tenant):
    stranger = ApiClient(org_b.user)
    assert stranger.get(notes_path(tenant)).status_code == 404
    assert stranger.post(notes_path(tenant), {"body": "hi"}).status_code == 404
    assert not Note.objects.exists()


def test_the_thread_listing_mixes_messages_and_notes_in_time_order_with_their_kind(api, tenant):
    note = note_create(conversation=tenant.conversation, author=tenant.user, body="between")
    reply = message_send(
        organization=tenant.organization, sender=tenant.user, contact=tenant.contact, body="after"
    ).message
    items = api.get(f"/api/conversations/{tenant.conversation.pk}/messages/").json()["results"]
    assigned = ConversationEvent.objects.get()  # the first reply assigned the thread to its sender (reply rules)
    assert [(i["kind"], i["id"]) for i in items] == [
        ("message", tenant.inbound.pk),
        ("event", assigned.pk),
        ("message", tenant.outbound.pk),
        ("note", note.pk),
        ("message", reply.pk),
    ]
    assert items[3]["body"] == "between"
    assert "direction" not in items[3]
    assert items[0]["direction"] == "in"


def test_merged_pages_cover_every_item_once_even_at_equal_times(api, tenant):
    """Keyset over three tables: items of one moment (a message, notes, an event) are never lost or repeated."""
    moment = Message.objects.get(pk=tenant.outbound.pk).created_at
    notes = [note_create(conversation=tenant.conversation, author=tenant.user, body=f"n{i}") for i in range(4)]
    Note.objects.filter(pk__in=[notes[0].pk, notes[1].pk]).update(created_at=moment)  # the same moment as a message
    Note.objects.filter(pk=notes[2].pk).update(created_at=moment - timedelta(microseconds=1))
    for i in range(3):
        message_send(organization=tenant.organization, sender=tenant.user, contact=tenant.contact, body=f"m{i}")
    expected = sorted(
        [("message", m.pk, m.created_at) for m in Message.objects.filter(conversation=tenant.conversation)]
        + [("note", n.pk, n.created_at) for n in Note.objects.filter(conversation=tenant.conversation)]
        + [("event", e.pk, e.created_at) for e in ConversationEvent.objects.filter(conversation=tenant.conversation)],
        key=lambda item: (item[2], ["message", "note", "event"].index(item[0]), item[1]),
    )
    for limit in (1, 2, 3, 4):
        seen: list[tuple[str, int]] = []
        url = f"/api/conversations/{tenant.conversation.pk}/messages/?limit={limit}"
        while url:
            page = api.get(url).json()
            seen = [(i["kind"], i["id"]) for i in page["results"]] + seen
            url = page["next"]
        assert seen == [(kind, pk) for kind, pk, _ in expected], limit


def test_old_message_cursors_still_page_the_thread(tenant):
    for i in range(3):
        message_send(organization=tenant.organization, sender=tenant.user, contact=tenant.contact, body=f"m{i}")
    first = thread_page(conversation=tenant.conversation, limit=2)
    assert "_n" not in first.next_cursor  # a message's position, written as keyset_encode always wrote it
    rest = thread_page(conversation=tenant.conversation, before=first.next_cursor, limit=10)
    assert len(first.items) + len(rest.items) == 5 + ConversationEvent.objects.count()  # (the reply assigned it)


def test_the_conversation_list_filters_by_mentions_of_me(api, tenant, org_a):
    assert api.get("/api/conversations/?mentions=me").json()["results"] == []
    note_create(conversation=tenant.conversation, author=tenant.user, body="note to self @alice")
    rows = api.get("/api/conversations/?mentions=me").json()["results"]
    assert [r["id"] for r in rows] == [tenant.conversation.pk]
    assert api.get("/api/conversations/?mentions=you").status_code == 400


def test_the_thread_listing_costs_the_same_queries_however_many_notes_and_mentions(api, tenant, org_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from smsinbox.models import Membership, User

    carol = User.objects.create_user("carol", password="pw-carol-1")
    Membership.objects.create(user=carol, organization=org_a.organization, role="agent")
    path = f"/api/conversations/{tenant.conversation.pk}/messages/"

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(path)
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    note_create(conversation=tenant.conversation, author=tenant.user, body="@carol first")
    few, shown = count()
    for i in range(12):
        note_create(conversation=tenant.conversation, author=carol if i % 2 else tenant.user, body=f"@alice @carol {i}")
    many, shown_many = count()
    assert shown_many == shown + 12
    assert many == few
