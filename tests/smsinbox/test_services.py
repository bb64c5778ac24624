import pytest

from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.services import ORG_ADMINS_GROUP, organization_setup


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
