import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conversations.models import Contact, Conversation
from conversations.services import contact_get_or_create, conversation_get_or_create
from tests.db_errors import refused_by


def test_second_contact_with_the_same_number_in_one_organization_is_rejected(org_a):
    org = org_a.organization
    Contact.objects.create(organization=org, phone="+14155550101")
    with refused_by("contact_unique_org_phone"), transaction.atomic():
        Contact.objects.create(organization=org, phone="+14155550101")


def test_same_number_in_two_organizations_is_two_contacts(org_a, org_b):
    Contact.objects.create(organization=org_a.organization, phone="+14155550101")
    Contact.objects.create(organization=org_b.organization, phone="+14155550101")
    assert Contact.objects.filter(phone="+14155550101").count() == 2


def test_numbers_sharing_their_last_ten_digits_stay_distinct(org_a):
    org = org_a.organization
    uk, _ = contact_get_or_create(organization=org, e164="+447700900123")
    us, _ = contact_get_or_create(organization=org, e164="+17700900123")
    assert uk.pk != us.pk
    assert str(uk.phone) == "+447700900123"


def test_opt_out_fields_must_agree(org_a):
    org = org_a.organization
    with refused_by("contact_opt_out_consistent"), transaction.atomic():
        Contact.objects.create(organization=org, phone="+14155550101", opted_out_at=timezone.now())
    with refused_by("contact_opt_out_consistent"), transaction.atomic():
        Contact.objects.create(organization=org, phone="+14155550102", opt_out_method="keyword")
    contact = Contact.objects.create(
        organization=org,
        phone="+14155550103",
        opted_out_at=timezone.now(),
        opt_out_method="keyword",
        opt_out_keyword="STOP",
    )
    assert contact.is_opted_out


def test_one_conversation_per_organization_and_contact(org_a):
    org = org_a.organization
    number = org.phone_numbers.get()
    contact = Contact.objects.create(organization=org, phone="+14155550101")
    Conversation.objects.create(organization=org, contact=contact, phone_number=number)
    with refused_by("conversation_unique_org_contact"), transaction.atomic():
        Conversation.objects.create(organization=org, contact=contact, phone_number=number)


def test_unread_count_cannot_go_negative(org_a):
    org = org_a.organization
    contact = Contact.objects.create(organization=org, phone="+14155550101")
    conversation, _ = conversation_get_or_create(
        organization=org, contact=contact, phone_number=org.phone_numbers.get()
    )
    # The named constraint, or the column's own check (a PositiveIntegerField's): one rule, held twice.
    # PostgreSQL checks in name order (the named one first); SQLite checks the column's first, named after it.
    with refused_by("conversation_unread_nonnegative", "unread_count"), transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=-1)


def test_conversation_clean_refuses_a_contact_of_another_organization(org_a, org_b):
    foreign = Contact.objects.create(organization=org_b.organization, phone="+14155550101")
    conversation = Conversation(
        organization=org_a.organization, contact=foreign, phone_number=org_a.organization.phone_numbers.get()
    )
    with pytest.raises(ValidationError) as exc:
        conversation.clean()
    assert "contact" in exc.value.message_dict


def test_display_name_falls_back_to_the_formatted_number(org_a):
    contact = Contact.objects.create(organization=org_a.organization, phone="+14155550101")
    assert contact.display_name == "(415) 555-0101"
    contact.first_name = "Maria"
    assert contact.display_name == "Maria"


@pytest.mark.parametrize("phone", ["hello", "555", "+1"])
def test_contact_phone_must_be_e164(org_a, phone):
    with refused_by("contact_phone_e164"), transaction.atomic():
        Contact.objects.create(organization=org_a.organization, phone=phone)


def test_deleting_an_organization_deletes_its_threads(conversation_a, org_a):
    org_a.organization.delete()
    assert not Conversation.objects.exists()
    assert not Contact.objects.exists()
