"""Merge and erase through the API: ``POST /api/contacts/{id}/merge`` and ``POST /api/contacts/{id}/erase``."""

from __future__ import annotations

import pytest
from django.test import Client

from conversations.models import Contact, ContactErasure, Conversation
from conversations.services import contact_create
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from tests.api_client import ApiClient, build_tenant


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


def test_merge_answers_the_kept_contact(org_a, tenant):
    answer = ApiClient(org_a.user).post(f"/api/contacts/{tenant.spare.pk}/merge", {"into": tenant.contact.pk})
    assert answer.status_code == 200, answer.content
    assert answer.json()["id"] == tenant.contact.pk
    assert answer.json()["lastName"] == "Lopez"  # the kept contact's own name stays
    assert not Contact.objects.filter(pk=tenant.spare.pk).exists()
    assert Conversation.objects.filter(organization=org_a.organization).count() == 1


def test_merge_into_itself_or_nothing_is_a_clear_400(org_a, tenant):
    api = ApiClient(org_a.user)
    itself = api.post(f"/api/contacts/{tenant.spare.pk}/merge", {"into": tenant.spare.pk})
    assert itself.status_code == 400
    assert itself.json()["field"] == "into"
    assert "itself" in itself.json()["error"]
    for body in ({}, {"into": "12"}, {"into": 0}):
        assert api.post(f"/api/contacts/{tenant.spare.pk}/merge", body).status_code == 400


def test_merge_into_another_organizations_contact_is_refused(org_a, org_b, tenant):
    theirs = contact_create(organization=org_b.organization, phone="+12125550199")
    answer = ApiClient(org_a.user).post(f"/api/contacts/{tenant.spare.pk}/merge", {"into": theirs.pk})
    assert answer.status_code == 404
    assert answer.json()["field"] == "into"
    both = User.objects.create_user("both", password="pw-both-1")  # a member of both: the service's 400
    membership_create(organization=org_a.organization, user=both)
    membership_create(organization=org_b.organization, user=both)
    answer = ApiClient(both).post(f"/api/contacts/{tenant.spare.pk}/merge", {"into": theirs.pk})
    assert answer.status_code == 400
    assert "same organization" in answer.json()["error"]
    assert Contact.objects.filter(pk__in=[tenant.spare.pk, theirs.pk]).count() == 2


def test_erase_answers_the_audit_entry_without_content(org_a, tenant):
    answer = ApiClient(org_a.user).post(f"/api/contacts/{tenant.contact.pk}/erase")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["erasedContactId"], body["erasedById"], body["twilioStatus"]) == (
        tenant.contact.pk,
        org_a.user.pk,
        "pending",
    )
    assert body["removed"]["messaging.Message"] == 2
    assert "4155550101" not in answer.content.decode()
    assert ContactErasure.objects.count() == 1


def test_an_agent_may_merge_but_not_erase(org_a, tenant):
    agent = User.objects.create_user("agent", password="pw-agent-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    refused = ApiClient(agent).post(f"/api/contacts/{tenant.contact.pk}/erase")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert Contact.objects.filter(pk=tenant.contact.pk).exists()
    merged = ApiClient(agent).post(f"/api/contacts/{tenant.spare.pk}/merge", {"into": tenant.contact.pk})
    assert merged.status_code == 200


def test_delete_is_the_same_audited_erasure_and_admins_only(org_a, tenant):
    """``DELETE /api/contacts/{id}/`` cannot be a way around erase's rules: an agent is refused, an admin's leaves
    the audit entry and Twilio's copies queued for deletion."""
    agent = User.objects.create_user("agent", password="pw-agent-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    refused = ApiClient(agent).delete(f"/api/contacts/{tenant.contact.pk}/")
    assert refused.status_code == 403
    assert Contact.objects.filter(pk=tenant.contact.pk).exists()
    assert ApiClient(org_a.user).delete(f"/api/contacts/{tenant.contact.pk}/").status_code == 204
    assert not Contact.objects.filter(pk=tenant.contact.pk).exists()
    erasure = ContactErasure.objects.get()
    assert (erasure.erased_contact_id, erasure.erased_by_id, erasure.twilio_status) == (
        tenant.contact.pk,
        org_a.user.pk,
        "pending",
    )
