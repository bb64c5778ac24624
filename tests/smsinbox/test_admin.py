"""Django admin: every model registered, changelists with constant query counts, tenants scoped."""

import uuid

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import Contact, Conversation
from conversations.services import contact_get_or_create, conversation_get_or_create, conversation_touch
from messaging.models import Message, MessageEvent, MessageMedia
from smsinbox.models import Membership, Organization, PhoneNumber, User

MODELS = [Organization, Membership, PhoneNumber, User, Contact, Conversation, Message, MessageMedia, MessageEvent]


def add_threads(org, count: int, start: int = 0) -> None:
    """Add ``count`` conversations of one message each (with media and an event)."""
    number = org.phone_numbers.first()
    for i in range(start, start + count):
        contact, _ = contact_get_or_create(organization=org, e164=f"+1415555{i:04d}")
        conversation, _ = conversation_get_or_create(organization=org, contact=contact, phone_number=number)
        msg = Message.objects.create(
            organization=org,
            conversation=conversation,
            direction="in",
            twilio_sid="SM" + uuid.uuid4().hex,
            from_number=str(contact.phone),
            to_number=str(number.number),
            body=f"hello {i}",
            status="received",
        )
        MessageMedia.objects.create(message=msg, position=0, url="https://example.com/x.jpg", content_type="image/jpeg")
        MessageEvent.objects.create(message=msg, event_type="received", status="received")
        conversation_touch(conversation=conversation, preview=f"hello {i}", unread_increment=1)


def changelist_queries(client, model) -> int:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_every_model_is_registered():
    for model in MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow_with_rows(client, org_a, model):
    superuser = User.objects.create_superuser("root", "root@example.com", "pw-root-1")
    client.force_login(superuser)
    org = org_a.organization
    add_threads(org, 3)
    few = changelist_queries(client, model)
    add_threads(org, 30, start=3)
    many = changelist_queries(client, model)
    assert many == few


def test_change_pages_render(client, org_a):
    superuser = User.objects.create_superuser("root", "root@example.com", "pw-root-1")
    client.force_login(superuser)
    add_threads(org_a.organization, 2)
    for obj in [
        Organization.objects.first(),
        Contact.objects.first(),
        Conversation.objects.first(),
        Message.objects.first(),
    ]:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


def test_conversation_page_shows_only_the_newest_messages(client, org_a):
    superuser = User.objects.create_superuser("root", "root@example.com", "pw-root-1")
    client.force_login(superuser)
    org = org_a.organization
    add_threads(org, 1)
    conversation = Conversation.objects.get()
    for i in range(60):
        Message.objects.create(
            organization=org,
            conversation=conversation,
            direction="out",
            from_number="+14155550001",
            to_number="+14155550000",
            body=f"reply number {i:02d}",
            status="pending",
        )
    page = client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk])).content.decode()
    assert "reply number 59" in page
    assert "reply number 05" not in page


def test_org_admin_sees_only_their_organization(client, org_a, org_b):
    add_threads(org_a.organization, 2)
    add_threads(org_b.organization, 3, start=100)
    client.force_login(org_a.user)
    for model, visible in [
        (Contact, 2),
        (Conversation, 2),
        (Message, 2),
        (MessageEvent, 2),
        (MessageMedia, 2),
        (Organization, 1),
        (PhoneNumber, 1),
        (Membership, 1),
    ]:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["cl"].result_count == visible, model
    foreign = Contact.objects.filter(organization=org_b.organization).first()
    response = client.get(reverse("admin:conversations_contact_change", args=[foreign.pk]))
    assert response.status_code == 302  # "doesn't exist", back to the admin index
    assert Contact.objects.filter(pk=foreign.pk).exists()


def test_org_admin_cannot_move_a_contact_into_another_organization(client, org_a, org_b):
    client.force_login(org_a.user)
    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    url = reverse("admin:conversations_contact_change", args=[contact.pk])
    response = client.post(url, {"organization": org_b.organization.pk, "phone": "+14155550101", "opt_out_method": ""})
    assert response.status_code == 200  # the form is shown again with an error
    assert "Select a valid choice" in response.content.decode()
    contact.refresh_from_db()
    assert contact.organization_id == org_a.organization.pk


def test_users_are_for_superusers_only(client, org_a):
    client.force_login(org_a.user)
    assert client.get(reverse("admin:smsinbox_user_changelist")).status_code == 403


@pytest.mark.parametrize("typed", ["(415) 555-0101", "415.555.0101", "+1 415 555 0101", "555-0101"])
def test_contacts_are_searchable_by_number_in_any_common_format(client, org_a, typed):
    client.force_login(org_a.user)
    org = org_a.organization
    wanted, _ = contact_get_or_create(organization=org, e164="+14155550101")
    contact_get_or_create(organization=org, e164="+14155550199")
    response = client.get(reverse("admin:conversations_contact_changelist"), {"q": typed})
    assert [c.pk for c in response.context["cl"].result_list] == [wanted.pk]


def test_contacts_are_searchable_by_name(client, org_a):
    client.force_login(org_a.user)
    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    Contact.objects.filter(pk=contact.pk).update(first_name="Maria")
    response = client.get(reverse("admin:conversations_contact_changelist"), {"q": "mar"})
    assert [c.pk for c in response.context["cl"].result_list] == [contact.pk]
