import pytest

from conversations.models import Conversation
from conversations.services import (
    contact_create,
    contact_get_or_create,
    conversation_get_or_create,
    conversation_touch,
    preview_for,
)
from smsinbox.errors import ServiceError


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
