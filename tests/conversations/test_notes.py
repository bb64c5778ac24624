"""Private notes: the database's rules, the service (never a text, never unread), mentions and live events."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import transaction

from conversations.mentions import members_mentioned, mention_candidates
from conversations.models import NOTE_MAX_LENGTH, Conversation, Note, NoteMention
from conversations.selectors import note_list_for_user, note_page
from conversations.services import contact_get_or_create, conversation_get_or_create, note_create
from messaging.models import Message
from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.models import Membership
from tests.db_errors import refused_by
from tests.twilio_posts import collect_live_events

User = get_user_model()


def member(org, username: str, **extra: Any):
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    Membership.objects.create(user=user, organization=org.organization, role=Membership.Role.AGENT)
    return user


def conversation_of(org):
    contact, _ = contact_get_or_create(organization=org.organization, e164="+14155550199")
    conversation, _ = conversation_get_or_create(
        organization=org.organization, contact=contact, phone_number=org.organization.phone_numbers.get()
    )
    return conversation


# --- the database's rules ------------------------------------------------------------------------


def test_a_note_belongs_to_its_conversations_organization(conversation_a, org_a, org_b):
    with refused_by("note_same_organization"), transaction.atomic():
        Note.objects.create(organization=org_b.organization, conversation=conversation_a, body="wrong tenant")
    note = Note.objects.create(organization=org_a.organization, conversation=conversation_a, body="ok")
    with refused_by("note_same_organization"), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(organization=org_b.organization)


def test_a_notes_author_is_a_member_of_its_organization(conversation_a, org_a, org_b):
    with refused_by("note_author_member"), transaction.atomic():
        Note.objects.create(organization=org_a.organization, conversation=conversation_a, author=org_b.user, body="x")
    Note.objects.create(organization=org_a.organization, conversation=conversation_a, author=org_a.user, body="x")


@pytest.mark.parametrize(
    ("body", "rule"),
    [("", "note_body_not_blank"), ("   ", "note_body_not_blank"), ("x" * (NOTE_MAX_LENGTH + 1), "note_body_length")],
)
def test_a_note_body_is_not_blank_nor_too_long(conversation_a, org_a, body, rule):
    with refused_by(rule), transaction.atomic():
        Note.objects.create(organization=org_a.organization, conversation=conversation_a, body=body)


def test_a_note_mentions_only_members_of_its_organization_once_each(conversation_a, org_a, org_b):
    note = Note.objects.create(organization=org_a.organization, conversation=conversation_a, body="hi")
    with refused_by("note_mention_member"), transaction.atomic():
        NoteMention.objects.create(note=note, user=org_b.user)
    NoteMention.objects.create(note=note, user=org_a.user)
    with refused_by("note_mention_unique"), transaction.atomic():
        NoteMention.objects.create(note=note, user=org_a.user)


# --- the service ------------------------------------------------------------------------------------


def test_a_note_is_never_a_text_and_leaves_the_conversation_row_alone(conversation_a, org_a, monkeypatch):
    import messaging.twilio.client as twilio_client

    def no_twilio(*args, **kwargs):  # the outside world: nothing may reach it
        raise AssertionError("a note reached Twilio")

    for name in dir(twilio_client):
        if callable(getattr(twilio_client, name)) and not name.startswith("_"):
            monkeypatch.setattr(twilio_client, name, no_twilio)
    Conversation.objects.filter(pk=conversation_a.pk).update(unread_count=2, last_message_preview="Where are you?")
    before = Conversation.objects.values().get(pk=conversation_a.pk)
    note = note_create(conversation=conversation_a, author=org_a.user, body="  They called twice.\nCall back.  ")
    assert note.body == "They called twice.\nCall back."
    assert (note.organization_id, note.author_id) == (org_a.organization.pk, org_a.user.pk)
    assert not Message.objects.exists()
    assert Conversation.objects.values().get(pk=conversation_a.pk) == before  # unread, preview, time, version
    assert [n.pk for n in note_list_for_user(user=org_a.user, conversation_id=conversation_a.pk)] == [note.pk]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "cannot be empty"),
        (" \n\t ", "cannot be empty"),
        ("x" * (NOTE_MAX_LENGTH + 1), "at most"),
        ("a\x00", "NUL"),
    ],
)
def test_a_bad_note_is_refused_clearly_and_writes_nothing(conversation_a, org_a, body, words):
    with pytest.raises(ServiceError, match=words) as refused:
        note_create(conversation=conversation_a, author=org_a.user, body=body)
    assert refused.value.field == "body"
    assert not Note.objects.exists()


def test_a_stranger_cannot_write_in_another_organizations_thread(conversation_a, org_b):
    with pytest.raises(ServiceError, match="not found"):
        note_create(conversation=conversation_a, author=org_b.user, body="hello")
    assert note_list_for_user(user=org_b.user, conversation_id=conversation_a.pk) is None
    assert not Note.objects.exists()


# --- mentions ---------------------------------------------------------------------------------------


def test_mentions_link_members_of_the_organization_only(conversation_a, org_a, org_b):
    carol = member(org_a, "carol", first_name="Carol", last_name="Diaz")
    member(org_a, "dan.k")
    gone = member(org_a, "gone")
    gone.is_active = False
    gone.save()
    text = "@Carol and @dan.k, see @bob (other org), @gone, @nobody, mail ann@example.com, (@alice)."
    assert mention_candidates("x@y @a @b.") == ["a", "b."]
    note = note_create(conversation=conversation_a, author=org_a.user, body=text)
    assert sorted(u.username for u in note.mentions.all()) == ["alice", "carol", "dan.k"]
    assert carol in note.mentions.all()
    assert org_b.user not in note.mentions.all()  # "@bob" stays text: bob is of another organization
    assert note.body == text
    assert members_mentioned(organization_id=org_b.organization.pk, text=text) == [org_b.user]


def test_the_mentions_filter_lists_threads_where_i_am_mentioned_with_the_newest_note(conversation_a, org_a):
    from messaging.selectors import conversation_list

    carol = member(org_a, "carol")
    other = conversation_of(org_a)
    note_create(conversation=conversation_a, author=org_a.user, body="for @carol")
    newest = note_create(conversation=conversation_a, author=org_a.user, body="again @carol")
    note_create(conversation=other, author=carol, body="nobody mentioned")
    rows = list(conversation_list(user=carol, organization=org_a.organization, mentioned=True))
    assert [(r.pk, r.mention_note_id) for r in rows] == [(conversation_a.pk, newest.pk)]
    assert not list(conversation_list(user=org_a.user, organization=org_a.organization, mentioned=True))


# --- live events ------------------------------------------------------------------------------------


def test_colleagues_hear_the_note_and_the_mentioned_member_hears_the_mention(
    conversation_a, org_a, django_capture_on_commit_callbacks
):
    carol = member(org_a, "carol", first_name="Carol")
    layer = get_channel_layer()
    carol_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.user_group(carol.pk), carol_channel)
    alice_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.user_group(org_a.user.pk), alice_channel)
    written: list[Note] = []

    def write() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            written.append(note_create(conversation=conversation_a, author=org_a.user, body="@carol @alice call back"))

    heard = collect_live_events(org_a.organization.pk, write, quiet=0.2)
    note = written[0]
    assert [e["type"] for e in heard] == [events.Event.NOTE_CREATED]  # no message, no conversation update
    payload = heard[0]["payload"]
    assert payload["kind"] == "note"
    assert (payload["id"], payload["conversationId"], payload["authorId"]) == (
        note.pk,
        conversation_a.pk,
        org_a.user.pk,
    )
    assert payload["body"] == "@carol @alice call back"
    assert [m["username"] for m in payload["mentions"]] == ["alice", "carol"]
    mention = async_to_sync(layer.receive)(carol_channel)
    assert mention["event"] == events.Event.MENTION_CREATED
    assert mention["payload"]["noteId"] == note.pk
    assert mention["payload"]["organizationId"] == org_a.organization.pk
    assert mention["payload"]["url"].endswith(f"/c/{conversation_a.pk}/#note-{note.pk}")
    with pytest.raises(TimeoutError):  # the author mentioned themselves: no toast for them
        async_to_sync(_receive_within)(layer, alice_channel, 0.2)


async def _receive_within(layer, channel, seconds):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=seconds)


def test_note_pages_go_back_in_time_by_keyset(conversation_a, org_a):
    notes = [note_create(conversation=conversation_a, author=org_a.user, body=f"n{i}") for i in range(5)]
    first = note_page(conversation=conversation_a, limit=2)
    assert [n.pk for n in first.items] == [notes[3].pk, notes[4].pk]
    second = note_page(conversation=conversation_a, before=first.next_cursor, limit=2)
    third = note_page(conversation=conversation_a, before=second.next_cursor, limit=2)
    assert [n.pk for n in second.items + third.items] == [notes[1].pk, notes[2].pk, notes[0].pk]
    assert third.next_cursor == ""


def test_a_mention_of_someone_who_left_meanwhile_is_refused_whole_by_the_database(
    conversation_a, org_a, org_b, monkeypatch
):
    import conversations.services as services

    # As if the member was removed between reading the members and storing the mention.
    monkeypatch.setattr(services, "members_mentioned", lambda **kwargs: [org_b.user])
    with pytest.raises(ServiceError, match="members changed meanwhile"):
        note_create(conversation=conversation_a, author=org_a.user, body="@bob hi")
    assert not Note.objects.exists()
