"""One test per recorded action: each is made through the real service (or page, for exports and sign-ins), and
its entry says who, what, on what, the before/after where it matters, and from which address."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from conversations.imports import contacts_import_run
from conversations.labels import label_create, label_delete, label_update
from conversations.merge import contact_merge
from conversations.services import (
    contact_create,
    contact_delete,
    contact_opt_out_by_staff,
    contact_update,
    conversation_assign,
    conversation_get_or_create,
)
from conversations.team import member_deactivate
from messaging.models import Message
from messaging.services.erase import contact_erase
from messaging.services.outbound import message_send
from messaging.services.retry import messages_retry
from smsinbox.audit.models import AuditEntry
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.integrations.services import (
    api_key_create,
    api_key_revoke,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
)
from smsinbox.models import Membership, User
from smsinbox.services import membership_create, organization_update
from smsinbox.team.services import invite_accept, invite_create, invite_resend, invite_revoke, membership_role_change
from tests.api_client import ApiClient

BASE = "https://inbox.example"
HOOK = "https://hooks.example.com/in"
PASSWORD = "a-long-Passphrase-9"


def only(action: str, **filters) -> AuditEntry:
    (entry,) = AuditEntry.objects.filter(action=action, **filters)
    return entry


@pytest.fixture
def carol(org_a) -> Membership:
    return membership_create(organization=org_a.organization, user=User.objects.create_user("carol", password="pw-c"))


@pytest.fixture
def contact(org_a):
    return contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")


# --- Sign-in -------------------------------------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_the_address_and_browser(org_a):
    browser = Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/130.0")
    assert browser.post("/accounts/login/", {"username": "alice", "password": "pw-alice-1"}).status_code == 302
    entry = only(Action.SIGN_IN)
    assert (entry.organization, entry.actor_id, entry.actor_name) == (org_a.organization, org_a.user.pk, "alice")
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.9", "Firefox/130.0")


def test_a_sign_out_is_recorded(client, org_a):
    client.force_login(org_a.user)
    client.post("/accounts/logout/")
    assert only(Action.SIGN_OUT).actor_name == "alice"


def test_a_failed_sign_in_is_recorded_in_the_users_organizations_or_in_none(org_a, org_b):
    browser = Client(REMOTE_ADDR="198.51.100.7")
    browser.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    entry = only(Action.SIGN_IN_FAILED, organization=org_a.organization)
    assert (entry.actor_id, entry.target_label, entry.ip_address) == (None, "alice", "198.51.100.7")
    browser.post("/accounts/login/", {"username": "nobody-here", "password": "wrong"})
    stranger = only(Action.SIGN_IN_FAILED, organization=None)
    assert stranger.target_label == "nobody-here"
    assert not AuditEntry.objects.filter(organization=org_b.organization).exists()


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(org_a):
    """Behind our proxy, the hop it appended (the last); a client's own X-Forwarded-For says nothing."""
    forwarded = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.66, 203.0.113.50"}
    Client(**forwarded).post("/accounts/login/", {"username": "alice", "password": "pw-alice-1"})
    with override_settings(TRUSTED_PROXY=True):
        Client(**forwarded).post("/accounts/login/", {"username": "alice", "password": "pw-alice-1"})
    addresses = AuditEntry.objects.filter(action=Action.SIGN_IN).order_by("id").values_list("ip_address", flat=True)
    assert list(addresses) == ["10.0.0.2", "203.0.113.50"]


# --- The team ------------------------------------------------------------------------------------------------


def _invite(org_a):
    invite = invite_create(organization=org_a.organization, actor=org_a.user, email="dana@example.com", role="agent",
                           link_base=BASE)  # fmt: skip
    return invite, re.search(r"/invite/([\w-]+)/", mail.outbox[-1].body)[1]


def test_an_invitation_is_recorded(org_a):
    _invite(org_a)
    entry = only(Action.INVITE_CREATED)
    assert (entry.actor_name, entry.target_type, entry.target_label, entry.changes) == (
        "alice",
        "invite",
        "dana@example.com",
        {"role": "agent"},
    )


def test_a_resent_invitation_is_recorded(org_a):
    invite, _ = _invite(org_a)
    invite_resend(invite=invite, actor=org_a.user, link_base=BASE)
    assert only(Action.INVITE_RESENT).target_id == invite.pk


def test_a_revoked_invitation_is_recorded(org_a):
    invite, _ = _invite(org_a)
    invite_revoke(invite=invite, actor=org_a.user)
    assert only(Action.INVITE_REVOKED).target_label == "dana@example.com"


def test_an_accepted_invitation_is_recorded_as_the_new_member(org_a):
    _, token = _invite(org_a)
    invite_accept(token=token, username="dana", password=PASSWORD)
    entry = only(Action.INVITE_ACCEPTED)
    assert (entry.actor_name, entry.changes) == ("dana", {"role": "agent", "username": "dana"})


def test_a_role_change_is_recorded_with_before_and_after(org_a, carol):
    membership_role_change(membership=carol, actor=org_a.user, role="admin")
    entry = only(Action.ROLE_CHANGED)
    assert (entry.actor_name, entry.target_label, entry.changes) == ("alice", "carol", {"role": ["agent", "admin"]})


def test_a_refused_action_leaves_no_entry(org_a):
    """The entry is written in the service's transaction: the last admin's demotion is refused, nothing stays."""
    with pytest.raises(ServiceError):
        membership_role_change(membership=Membership.objects.get(user=org_a.user), actor=org_a.user, role="agent")
    assert not AuditEntry.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_a_deactivation_is_recorded(org_a, carol):
    member_deactivate(membership=carol, actor=org_a.user)
    entry = only(Action.MEMBER_DEACTIVATED)
    assert (entry.actor_name, entry.target_label, entry.changes["role"]) == ("alice", "carol", "agent")


# --- Contacts, opt-outs, assignments -------------------------------------------------------------------------


def test_a_contact_created_by_staff_is_recorded(client, org_a):
    client.force_login(org_a.user)
    client.post("/contacts/new/", {"phone": "(415) 555-0102", "first_name": "Ana"}, REMOTE_ADDR="192.0.2.4")
    entry = only(Action.CONTACT_CREATED)
    assert (entry.actor_name, entry.ip_address, entry.changes["phone"]) == ("alice", "192.0.2.4", "+14155550102")
    assert entry.contact_id == entry.target_id


def test_a_contact_edit_is_recorded_with_the_changed_fields_only(org_a, contact):
    contact_update(contact=contact, first_name="María", last_name="", notes="Prefers mornings")
    entry = only(Action.CONTACT_UPDATED)
    assert entry.changes == {"first_name": ["Maria", "María"], "notes": ["", "Prefers mornings"]}
    contact_update(contact=contact, first_name="María")  # no change: no entry
    assert AuditEntry.objects.filter(action=Action.CONTACT_UPDATED).count() == 1


def test_a_contact_deletion_is_recorded(org_a, contact):
    pk = contact.pk
    contact_delete(contact=contact)
    assert (only(Action.CONTACT_DELETED).target_id, only(Action.CONTACT_DELETED).target_label) == (pk, "Maria")


def test_a_merge_is_recorded_with_the_merged_contact(org_a, contact):
    other = contact_create(organization=org_a.organization, phone="+14155550103", first_name="M.")
    contact_merge(organization=org_a.organization, user=org_a.user, keep=contact, merge=other)
    entry = only(Action.CONTACT_MERGED)
    assert entry.target_id == contact.pk
    assert entry.changes == {"merged": {"id": other.pk, "phone": "+14155550103", "name": "M."}}


def test_an_erasure_is_recorded_and_forgets_the_entries_naming_the_person(org_a, contact):
    other = contact_create(organization=org_a.organization, phone="+14155550103", first_name="Maria L.")
    contact_update(contact=other, notes="allergic to latex")
    contact_merge(organization=org_a.organization, user=org_a.user, keep=contact, merge=other)
    contact_update(contact=contact, last_name="Lopez")
    unrelated = audit_record(organization=org_a.organization, action=Action.SETTINGS_CHANGED, actor=org_a.user)
    pk = contact.pk
    contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)
    (entry,) = AuditEntry.objects.exclude(pk=unrelated.pk)
    assert (entry.action, entry.target_type, entry.target_id, entry.target_label) == (
        Action.CONTACT_ERASED,
        "contact",
        pk,
        f"contact #{pk}",
    )
    assert "Maria" not in str(list(AuditEntry.objects.values()))


def test_an_opt_out_by_staff_is_recorded(org_a, contact):
    contact_opt_out_by_staff(contact=contact, by_user_id=org_a.user.pk)
    entry = only(Action.CONTACT_OPTED_OUT)
    assert (entry.actor_name, entry.changes) == ("alice", {"opted_out": [False, True]})
    contact_opt_out_by_staff(contact=contact, by_user_id=org_a.user.pk)  # already: nothing changed, no entry
    assert AuditEntry.objects.filter(action=Action.CONTACT_OPTED_OUT).count() == 1


def test_an_assignment_change_is_recorded_with_before_and_after(org_a, carol, contact):
    conversation, _ = conversation_get_or_create(
        organization=org_a.organization, contact=contact, phone_number=org_a.organization.phone_numbers.get()
    )
    conversation_assign(conversation=conversation, assignee_id=carol.user_id, by_user_id=org_a.user.pk)
    conversation_assign(conversation=conversation, assignee_id=None, by_user_id=org_a.user.pk)
    first, second = AuditEntry.objects.filter(action=Action.CONVERSATION_ASSIGNED).order_by("id")
    assert (first.actor_name, first.contact_id, first.changes) == ("alice", contact.pk, {"assignee": ["", "carol"]})
    assert second.changes == {"assignee": ["carol", ""]}


def test_an_import_is_recorded_with_its_counts(org_a, contact):
    data = b"phone,first_name\n+14155550101,Maria\n+14155550104,Ana\nnot a number,X\n"
    contacts_import_run(organization=org_a.organization, data=data)
    entry = only(Action.CONTACTS_IMPORTED)
    assert (entry.changes["created"], entry.changes["errors"]) == (1, 1)


def test_label_changes_are_recorded(org_a):
    label = label_create(organization=org_a.organization, name="VIP", color="purple", actor=org_a.user)
    label_update(label=label, name="Very important", actor=org_a.user)
    label_delete(label=label, actor=org_a.user)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [Action.LABEL_CREATED, Action.LABEL_CHANGED, Action.LABEL_DELETED]
    assert only(Action.LABEL_CHANGED).changes == {"name": ["VIP", "Very important"]}


# --- Exports, retries --------------------------------------------------------------------------------------------


def test_a_contacts_export_is_recorded(client, org_a, contact):
    client.force_login(org_a.user)
    assert client.get("/contacts/export.csv", REMOTE_ADDR="192.0.2.8").status_code == 200
    assert only(Action.CONTACTS_EXPORTED).ip_address == "192.0.2.8"


def test_a_transcript_export_is_recorded(client, org_a, contact):
    conversation, _ = conversation_get_or_create(
        organization=org_a.organization, contact=contact, phone_number=org_a.organization.phone_numbers.get()
    )
    client.force_login(org_a.user)
    assert client.get(f"/c/{conversation.pk}/transcript.csv").status_code == 200
    entry = only(Action.TRANSCRIPT_EXPORTED)
    assert (entry.target_type, entry.target_id, entry.contact_id) == ("conversation", conversation.pk, contact.pk)


def test_a_retry_of_a_failed_message_is_recorded(org_a, contact):
    sent = message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="Hi").message
    Message.objects.filter(pk=sent.pk).update(status="failed", error_code=30003)
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[sent.pk])
    entry = only(Action.MESSAGES_RETRIED)
    assert (entry.actor_name, entry.target_id, entry.changes) == (
        "alice",
        sent.pk,
        {"retry_id": result.retried[0].new_id},
    )


# --- Integrations and settings -------------------------------------------------------------------------------


def test_webhook_changes_are_recorded(org_a):
    endpoint = webhook_endpoint_create(organization=org_a.organization, actor=org_a.user, url=HOOK,
                                       event_types=["message.received"])  # fmt: skip
    webhook_endpoint_update(endpoint=endpoint, actor=org_a.user, url=HOOK + "2", event_types=["message.received"],
                            description="CRM")  # fmt: skip
    webhook_endpoint_set_active(endpoint=endpoint, actor=org_a.user, active=False)
    webhook_endpoint_set_active(endpoint=endpoint, actor=org_a.user, active=True)
    webhook_endpoint_delete(endpoint=endpoint, actor=org_a.user)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [Action.WEBHOOK_CREATED, Action.WEBHOOK_UPDATED, Action.WEBHOOK_PAUSED, Action.WEBHOOK_RESUMED,
                       Action.WEBHOOK_DELETED]  # fmt: skip
    assert only(Action.WEBHOOK_UPDATED).changes == {"url": [HOOK, HOOK + "2"], "description": ["", "CRM"]}


def test_api_key_creation_and_revocation_are_recorded_without_the_secret(org_a):
    key, secret = api_key_create(organization=org_a.organization, actor=org_a.user, name="CRM",
                                 scopes=["messages:send"])  # fmt: skip
    api_key_revoke(key=key, actor=org_a.user)
    created = only(Action.API_KEY_CREATED)
    assert (created.target_id, created.changes["scopes"]) == (key.pk, ["messages:send"])
    assert secret not in f"{created.changes} {created.target_label}"
    assert only(Action.API_KEY_REVOKED).target_id == key.pk


def test_a_settings_change_is_recorded_with_before_and_after(client, org_a):
    client.force_login(org_a.user)
    organization_update(organization=org_a.organization, only_assignee_replies=True, audit_retention_days=90)
    entry = only(Action.SETTINGS_CHANGED)
    assert entry.changes == {"only_assignee_replies": [False, True], "audit_retention_days": [365, 90]}


# --- Through the API -----------------------------------------------------------------------------------------


def test_an_edit_through_the_api_names_the_token_user_or_the_key(org_a, contact):
    """The actor is the request's: a staff member's token, or an organization API key (named as such)."""
    assert ApiClient(org_a.user).patch(f"/api/contacts/{contact.pk}/", {"firstName": "Ana"}).status_code == 200
    _, secret = api_key_create(organization=org_a.organization, actor=org_a.user, name="CRM",
                               scopes=["contacts:write"])  # fmt: skip
    keyed = ApiClient(Authorization=f"Bearer {secret}")
    assert keyed.patch(f"/api/contacts/{contact.pk}/", {"firstName": "Bea"}).status_code == 200
    by_token, by_key = AuditEntry.objects.filter(action=Action.CONTACT_UPDATED).order_by("id")
    assert (by_token.actor_id, by_token.actor_name) == (org_a.user.pk, "alice")
    assert (by_key.actor_id, by_key.actor_name, by_key.changes) == (None, "API key CRM", {"first_name": ["Ana", "Bea"]})
