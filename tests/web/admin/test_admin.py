"""Django admin: every model registered, changelists with constant query counts, tenants scoped."""

import uuid

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import Contact, Conversation, Note
from conversations.services import (
    contact_get_or_create,
    conversation_get_or_create,
    conversation_touch,
    note_create,
)
from messaging.models import Message, MessageEvent, MessageMedia
from smsinbox.models import Membership, Organization, PhoneNumber, User

MODELS = [Organization, Membership, PhoneNumber, User, Contact, Conversation, Message, MessageMedia, MessageEvent, Note]


def add_threads(org, count: int, start: int = 0) -> None:
    """Add ``count`` rows of every model: conversations with a message, media and an event,
    numbers, members, and (other) organizations."""
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
        PhoneNumber.objects.create(organization=org, number=f"+1212555{i + 1000 * org.pk:04d}")
        member = User.objects.create_user(f"member-{org.pk}-{i}", password="pw-member-1")
        Membership.objects.create(user=member, organization=org, role="agent")
        note_create(conversation=conversation, author=member, body=f"note {i} @{member.username}")
        Organization.objects.create(name=f"Other org {org.pk}-{i}")


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
    assert model.objects.count() >= 30
    many = changelist_queries(client, model)
    assert many == few


@pytest.mark.parametrize("model", [m for m in MODELS if m is not User], ids=lambda m: m.__name__)
def test_org_admin_changelist_query_count_does_not_grow_with_rows(client, org_a, model):
    client.force_login(org_a.user)
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
        (PhoneNumber, 3),
        (Membership, 3),
        (Note, 2),
    ]:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["cl"].result_count == visible, model
    foreign = Contact.objects.filter(organization=org_b.organization).first()
    response = client.get(reverse("admin:conversations_contact_change", args=[foreign.pk]))
    assert response.status_code == 302  # "doesn't exist", back to the admin index
    assert Contact.objects.filter(pk=foreign.pk).exists()


def test_org_admin_pages_never_name_another_tenant(client, org_a, org_b):
    add_threads(org_a.organization, 2)
    add_threads(org_b.organization, 2, start=100)
    client.force_login(org_a.user)
    foreign_words = [
        "Bravo Vet",
        "member-2-",
        "+12125550002",
        "(212) 555-0002",
        "+14155550100",
        "hello 100",
        "note 100",
    ]
    foreign_words += list(Message.objects.filter(organization=org_b.organization).values_list("twilio_sid", flat=True))
    pages = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in MODELS if m is not User]
    own = [
        Organization.objects.get(pk=org_a.organization.pk),
        Contact.objects.filter(organization=org_a.organization).first(),
        Conversation.objects.filter(organization=org_a.organization).first(),
        Membership.objects.filter(organization=org_a.organization).first(),
        Note.objects.filter(organization=org_a.organization).first(),
    ]
    pages += [reverse(f"admin:{o._meta.app_label}_{o._meta.model_name}_change", args=[o.pk]) for o in own]
    pages += [reverse("admin:conversations_contact_add"), reverse("admin:conversations_conversation_add")]
    for url in pages:
        page = client.get(url).content.decode()
        for word in foreign_words:
            assert word not in page, (url, word)


def test_org_admin_cannot_remove_or_demote_themselves(client, org_a):
    client.force_login(org_a.user)
    own = Membership.objects.get(user=org_a.user)
    assert client.get(reverse("admin:smsinbox_membership_delete", args=[own.pk])).status_code == 403
    client.post(reverse("admin:smsinbox_membership_change", args=[own.pk]), {"role": "agent"})
    own.refresh_from_db()
    assert own.role == "admin"


def test_org_admin_cannot_move_a_contact_into_another_organization(client, org_a, org_b):
    client.force_login(org_a.user)
    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    url = reverse("admin:conversations_contact_change", args=[contact.pk])
    page = client.get(url).content.decode()
    assert 'name="organization"' not in page  # read-only once created
    client.post(url, {"organization": org_b.organization.pk, "phone": "+14155550101"})
    contact.refresh_from_db()
    assert contact.organization_id == org_a.organization.pk


def test_renumbering_a_contact_onto_another_is_a_form_error_naming_it(client, org_a):
    """The organization is read-only on the change form, so Django does not check (organization, phone)
    there: the form does, with the services' message (it was an IntegrityError, a 500)."""
    client.force_login(org_a.user)
    maria, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    james, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550102")
    url = reverse("admin:conversations_contact_change", args=[maria.pk])
    response = client.post(url, {"phone": "(415) 555-0102", "first_name": "Maria", "last_name": ""})
    assert response.status_code == 200
    assert f"(415) 555-0102 is already saved as (415) 555-0102 (contact #{james.pk})." in response.content.decode()
    maria.refresh_from_db()
    assert (str(maria.phone), maria.first_name) == ("+14155550101", "")
    kept = client.post(url, {"phone": "+1 415 555 0101", "first_name": "Maria", "last_name": ""})  # its own number
    assert kept.status_code == 302
    maria.refresh_from_db()
    assert (str(maria.phone), maria.first_name) == ("+14155550101", "Maria")


def test_add_form_offers_only_own_organizations(client, org_a, org_b):
    client.force_login(org_a.user)
    response = client.post(
        reverse("admin:conversations_contact_add"), {"organization": org_b.organization.pk, "phone": "+14155550101"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Contact.objects.exists()


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
