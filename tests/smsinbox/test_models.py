from django.db import transaction

from smsinbox.models import Membership, Organization, PhoneNumber
from tests.db_errors import refused_by


def test_phone_number_is_unique_across_organizations(org_a, org_b):
    with refused_by("smsinbox_phonenumber_number_key"), transaction.atomic():
        PhoneNumber.objects.create(organization=org_b.organization, number="+14155550001")


def test_one_membership_per_user_and_organization(org_a):
    with refused_by("membership_unique_user_org"), transaction.atomic():
        Membership.objects.create(user=org_a.user, organization=org_a.organization, role="agent")


def test_user_may_belong_to_several_organizations(org_a, org_b):
    Membership.objects.create(user=org_a.user, organization=org_b.organization, role="agent")
    assert set(org_a.user.memberships.values_list("organization__name", flat=True)) == {"Acme Dental", "Bravo Vet"}


def test_membership_role_is_checked_by_the_database(org_a, org_b):
    with refused_by("membership_role_valid"), transaction.atomic():
        Membership.objects.create(user=org_a.user, organization=org_b.organization, role="owner")


def test_messages_per_second_must_be_positive(org_a):
    with refused_by("phonenumber_mps_positive"), transaction.atomic():
        PhoneNumber.objects.create(organization=org_a.organization, number="+14155550002", messages_per_second=0)


def test_organization_name_is_unique(org_a):
    with refused_by("smsinbox_organization_name_key"), transaction.atomic():
        Organization.objects.create(name="Acme Dental")
