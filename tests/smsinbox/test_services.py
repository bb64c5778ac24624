from decimal import Decimal

import pytest

from conversations.services import contact_get_or_create, conversation_start
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.services import (
    ORG_ADMINS_GROUP,
    membership_create,
    membership_update,
    organization_create,
    organization_setup,
    organization_update,
    phone_number_create,
    phone_number_delete,
    phone_number_update,
)


def setup(**overrides):
    args = {"name": "Acme", "numbers": ["+14155550001"], "username": "alice", "password": "s3cret-pass"}
    args.update(overrides)
    return organization_setup(**args)


def test_creates_organization_number_staff_user_and_admin_membership(db):
    result = setup()
    user = User.objects.get(username="alice")
    assert user.is_staff
    assert user.is_active
    assert not user.is_superuser
    assert user.check_password("s3cret-pass")
    assert user.groups.filter(name=ORG_ADMINS_GROUP).exists()
    assert Membership.objects.get(user=user).role == "admin"
    assert list(PhoneNumber.objects.values_list("number", flat=True)) == ["+14155550001"]
    assert result.changes[0] == "created organization 'Acme'"


def test_is_idempotent(db):
    setup(numbers=["+14155550001", "(415) 555-0002"])
    second = setup(numbers=["+14155550001", "(415) 555-0002"])
    assert Organization.objects.count() == 1
    assert PhoneNumber.objects.count() == 2
    assert Membership.objects.count() == 1
    assert not any(line.startswith(("created", "added", "updated", "made", "promoted")) for line in second.changes)


def test_updates_password_and_adds_numbers(db):
    setup()
    result = setup(numbers=["+14155550001", "+14155550002"], password="new-pass-22")
    assert User.objects.get(username="alice").check_password("new-pass-22")
    assert "updated user 'alice': password" in result.changes
    assert "added number +14155550002" in result.changes


def test_bad_number_writes_nothing(db):
    with pytest.raises(ServiceError, match=r"not a phone number|wrong number of digits|not a valid"):
        setup(numbers=["+14155550001", "12"])
    assert Organization.objects.count() == 0
    assert User.objects.count() == 0


def test_number_of_another_organization_is_refused(db):
    setup()
    with pytest.raises(ServiceError, match="already belongs to organization 'Acme'"):
        setup(name="Other", username="olga")
    assert not Organization.objects.filter(name="Other").exists()


# --- One row at a time ----------------------------------------------------------------------


def test_organizations_are_named_once(db):
    acme = organization_create(name="  Acme ")
    assert acme.name == "Acme"
    with pytest.raises(ServiceError) as refused:
        organization_create(name="Acme")
    assert refused.value.field == "name"
    with pytest.raises(ServiceError) as blank:
        organization_update(organization=acme, name=" ")
    assert blank.value.field == "name"
    assert Organization.objects.get().name == "Acme"


def test_numbers_are_stored_in_e164_and_checked_by_the_models_rules(db):
    acme, bravo = organization_create(name="Acme"), organization_create(name="Bravo")
    number = phone_number_create(organization=acme, number="(415) 555-0001", messaging_service_sid="MG" + "1" * 32)
    assert str(PhoneNumber.objects.get().number) == "+14155550001"
    for refused_field, call in [
        ("number", lambda: phone_number_create(organization=bravo, number="+1 415 555 0001")),
        ("number", lambda: phone_number_create(organization=bravo, number="not a number")),
        (
            "messaging_service_sid",
            lambda: phone_number_create(
                organization=bravo, number="+14155550002", messaging_service_sid="MG" + "1" * 32
            ),
        ),
        ("messages_per_second", lambda: phone_number_update(phone_number=number, messages_per_second=Decimal(0))),
    ]:
        with pytest.raises(ServiceError) as refused:
            call()
        assert refused.value.field == refused_field
    assert PhoneNumber.objects.count() == 1


def test_a_number_conversations_text_from_is_not_deleted(db):
    result = setup()
    contact, _ = contact_get_or_create(organization=result.organization, e164="+14155550101")
    conversation_start(organization=result.organization, contact=contact)
    with pytest.raises(ServiceError, match="still text from"):
        phone_number_delete(phone_number=PhoneNumber.objects.get())
    assert PhoneNumber.objects.exists()


def test_memberships_are_unique_and_have_a_known_role(db):
    result = setup()
    with pytest.raises(ServiceError):
        membership_create(organization=result.organization, user=result.user)
    with pytest.raises(ServiceError) as refused:
        membership_update(membership=Membership.objects.get(), role="owner")
    assert refused.value.field == "role"
    assert Membership.objects.get().role == "admin"


def test_django_admins_membership_writes_keep_the_last_admin(org_a):
    from smsinbox.services import membership_delete

    own = Membership.objects.get()
    with pytest.raises(ServiceError, match="at least one admin"):
        membership_update(membership=own, role="agent")
    with pytest.raises(ServiceError, match="at least one admin"):
        membership_delete(membership=own)
    assert Membership.objects.get().role == "admin"
