from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from conversations.models import Conversation
from conversations.payloads import conversation_payload
from conversations.services import (
    contact_create,
    contact_get_or_create,
    contact_opt_out_by_staff,
    contact_update,
    conversation_announce,
    conversation_assign,
    conversation_get_or_create,
    conversation_lock,
    conversation_mark_read,
    conversation_set_status,
    conversation_touch,
    conversation_update,
    preview_for,
)
from messaging.services import message_receive
from messaging.twilio.payloads import parse_inbound
from smsinbox import events
from smsinbox.casing import camelize
from smsinbox.errors import ServiceError
from tests.twilio_posts import collect_live_events, inbound_params


def test_contact_create_normalizes_the_number(org_a):
    contact = contact_create(organization=org_a.organization, phone="(415) 555-0101", first_name=" Maria ")
    assert str(contact.phone) == "+14155550101"
    assert contact.first_name == "Maria"


def test_contact_create_names_the_existing_contact_on_duplicate(org_a):
    existing = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    with pytest.raises(ServiceError) as exc:
        contact_create(organization=org_a.organization, phone="415.555.0101")
    assert exc.value.code == "duplicate"
    assert f"already saved as Maria (contact #{existing.pk})" in exc.value.message


def test_contact_create_rejects_a_malformed_number(org_a):
    with pytest.raises(ServiceError) as exc:
        contact_create(organization=org_a.organization, phone="12")
    assert exc.value.field == "phone"


def test_get_or_create_returns_the_same_contact(org_a):
    first, created = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    again, created_again = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    assert created
    assert not created_again
    assert first.pk == again.pk


def test_conversation_get_or_create_refuses_mixed_organizations(org_a, org_b):
    contact, _ = contact_get_or_create(organization=org_b.organization, e164="+14155550101")
    with pytest.raises(ServiceError):
        conversation_get_or_create(
            organization=org_a.organization, contact=contact, phone_number=org_a.organization.phone_numbers.get()
        )


def test_touch_reopens_updates_preview_and_adds_unread(org_a):
    org = org_a.organization
    contact, _ = contact_get_or_create(organization=org, e164="+14155550101")
    conversation, _ = conversation_get_or_create(
        organization=org, contact=contact, phone_number=org.phone_numbers.get()
    )
    Conversation.objects.filter(pk=conversation.pk).update(status="closed")
    conversation_touch(conversation=conversation, preview="hi", unread_increment=1)
    conversation_touch(conversation=conversation, preview="again", unread_increment=1)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.last_message_preview, conversation.unread_count) == ("open", "again", 2)


@pytest.mark.parametrize(
    ("body", "has_media", "expected"),
    [
        ("hello\nthere", False, "hello there"),
        ("", True, "[Media]"),
        ("   ", False, ""),
        ("x" * 150, False, "x" * 99 + "…"),
    ],
)
def test_preview(body, has_media, expected):
    assert preview_for(body, has_media=has_media) == expected


def test_conversation_start_reuses_the_thread_and_needs_a_number(org_a):
    from conversations.services import conversation_start
    from smsinbox.models import Organization

    org = org_a.organization
    contact, _ = contact_get_or_create(organization=org, e164="+14155550101")
    first = conversation_start(organization=org, contact=contact)
    assert first.phone_number == org.phone_numbers.get()
    assert conversation_start(organization=org, contact=contact).pk == first.pk
    empty = Organization.objects.create(name="No numbers yet")
    stranger, _ = contact_get_or_create(organization=empty, e164="+14155550101")
    with pytest.raises(ServiceError, match="no Twilio number"):
        conversation_start(organization=empty, contact=stranger)


# --- The row live inboxes hear, and its version ---------------------------------------------


@pytest.fixture
def announced(django_capture_on_commit_callbacks) -> Callable[[int, Callable[[], Any]], list[dict[str, Any]]]:
    """Run an action, commit it, and return the conversation rows the organization's inboxes heard."""

    def run(organization_id: int, action: Callable[[], Any]) -> list[dict[str, Any]]:
        def committed() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                action()

        heard = collect_live_events(organization_id, committed, quiet=0.2)
        return [event["payload"] for event in heard if event["type"] == events.Event.CONVERSATION_UPDATED]

    return run


def stored_row(conversation: Conversation) -> dict[str, Any]:
    """The row as stored, as inboxes hear it (camelCase)."""
    return camelize(
        conversation_payload(Conversation.objects.select_related("contact", "assignee").get(pk=conversation.pk))
    )


def test_a_locked_and_touched_conversation_announces_the_version_it_stores(conversation_a, announced):
    def receive_twice() -> None:
        with transaction.atomic():
            locked = conversation_lock(conversation_id=conversation_a.pk)
            conversation_touch(conversation=locked, preview="hi", unread_increment=1)
            conversation_touch(conversation=locked, preview="again", unread_increment=1)
            conversation_announce(conversation=locked, current=True)  # not read again: the instance is the row

    rows = announced(conversation_a.organization_id, receive_twice)
    assert rows == [stored_row(conversation_a)]
    assert (rows[0]["version"], rows[0]["unreadCount"]) == (2, 2)


def test_an_inbound_message_announces_the_stored_row_version_included(org_a, announced):
    def receive(body: str) -> None:
        message_receive(sms=parse_inbound(inbound_params(to="+14155550001", from_="+14155550101", body=body)))

    first = announced(org_a.organization.pk, lambda: receive("hello"))
    conversation = Conversation.objects.get()
    assert first == [stored_row(conversation)]
    stop = announced(org_a.organization.pk, lambda: receive("STOP"))  # the contact changes in the same transaction
    assert stop == [stored_row(conversation)]
    assert (first[0]["version"], stop[0]["version"], stop[0]["optedOut"]) == (1, 2, True)


def test_each_change_announces_the_stored_row_with_a_newer_version(conversation_a, org_a, announced):
    conversation_touch(conversation=conversation_a, preview="hi", unread_increment=1)
    changes: list[Callable[[], Any]] = [
        lambda: conversation_mark_read(conversation=conversation_a),
        lambda: conversation_set_status(conversation=conversation_a, status="closed"),
        lambda: conversation_assign(conversation=conversation_a, assignee_id=org_a.user.pk),
        lambda: conversation_update(conversation=conversation_a, status="open", assignee_id=None),
    ]
    versions = [conversation_a.version]
    for change in changes:
        rows = announced(conversation_a.organization_id, change)
        assert rows[-1] == stored_row(conversation_a)
        assert rows[-1]["version"] > versions[-1]
        assert conversation_a.version == rows[-1]["version"]  # the caller holds the row it announced
        versions.append(rows[-1]["version"])
    assert versions == [1, 2, 3, 4, 6]  # conversation_update: two updates, each announced


def test_a_contact_change_announces_the_conversation_at_the_version_it_has(conversation_a, announced):
    """The conversation row is not updated, so its version stays: inboxes apply rows of an equal version."""
    conversation_touch(conversation=conversation_a, preview="hi", unread_increment=1)
    contact = conversation_a.contact
    renamed = announced(conversation_a.organization_id, lambda: contact_update(contact=contact, first_name="Maria"))
    opted_out = announced(conversation_a.organization_id, lambda: contact_opt_out_by_staff(contact=contact))
    assert renamed[0]["version"] == opted_out[0]["version"] == stored_row(conversation_a)["version"] == 1
    assert (renamed[0]["contactName"], renamed[0]["optedOut"]) == ("Maria", False)
    assert opted_out == [stored_row(conversation_a)]
    assert opted_out[0]["optedOut"]


# --- Mark as unread (issue 14) ---------------------------------------------------------------


def test_mark_unread_sets_one_unread_and_announces_the_row_once(conversation_a, announced):
    from conversations.services import conversation_mark_unread

    assert conversation_a.unread_count == 0
    rows = announced(conversation_a.organization_id, lambda: conversation_mark_unread(conversation=conversation_a))
    assert [(r["id"], r["unreadCount"]) for r in rows] == [(conversation_a.pk, 1)]
    assert rows[0] == stored_row(conversation_a)
    assert Conversation.objects.get(pk=conversation_a.pk).unread_count == 1


def test_mark_unread_leaves_an_unread_thread_as_it_is_and_says_nothing(conversation_a, announced):
    from conversations.services import conversation_mark_unread

    Conversation.objects.filter(pk=conversation_a.pk).update(unread_count=3)
    changed = []
    rows = announced(
        conversation_a.organization_id,
        lambda: changed.append(conversation_mark_unread(conversation=conversation_a)),
    )
    assert changed == [False]
    assert rows == []
    assert Conversation.objects.get(pk=conversation_a.pk).unread_count == 3


def test_the_row_says_why_an_opted_out_contact_may_not_be_texted(conversation_a):
    contact_opt_out_by_staff(contact=conversation_a.contact)
    row = conversation_payload(Conversation.objects.select_related("contact", "assignee").get(pk=conversation_a.pk))
    assert row["opted_out"] is True
    assert "opted out on" in row["opt_out_reason"]
    assert "(marked by staff)" in row["opt_out_reason"]
    conversation_a.contact.opted_out_at = None
    assert conversation_payload(conversation_a)["opt_out_reason"] == ""
