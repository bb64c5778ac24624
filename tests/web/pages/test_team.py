"""The Team page and the invitation link, through the pages (email read from Django's locmem outbox)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from conversations.models import Conversation
from conversations.services import conversation_assign
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from smsinbox.team.models import Invite

PASSWORD = "a-long-Passphrase-9"


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.fixture
def carol(org_a):
    """An agent of organization A."""
    return membership_create(organization=org_a.organization, user=User.objects.create_user("carol", password="pw-c"))


def invite_link(alice, email="dana@example.com", role="agent") -> str:
    response = alice.post("/team/", {"email": email, "role": role})
    assert response.status_code == 302, response.content
    return re.search(r"http://testserver(/invite/[\w-]+/)", mail.outbox[-1].body)[1]


def test_the_page_lists_members_roles_last_login_and_pending_invitations(alice, org_a, carol):
    invite_link(alice)
    page = alice.get("/team/").content.decode()
    assert "alice" in page
    assert "carol" in page
    assert "Never" in page  # carol never logged in
    assert "dana@example.com" in page
    assert 'aria-current="page">Team' in page


def test_an_invitation_link_creates_the_account_signs_in_and_lands_in_the_inbox(alice, org_a):
    link = invite_link(alice)
    visitor = Client()
    form = visitor.get(link)
    assert form.status_code == 200
    assert "Join Acme Dental" in form.content.decode()
    response = visitor.post(link, {"username": "dana", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert visitor.get("/").status_code == 200
    assert Membership.objects.get(user__username="dana").role == "agent"
    used = visitor.get(link)  # the link works once
    assert used.status_code == 410
    assert "already used" in used.content.decode()


def test_a_weak_password_or_a_mismatch_is_shown_on_the_form_and_writes_nothing(alice, org_a):
    link = invite_link(alice)
    visitor = Client()
    weak = visitor.post(link, {"username": "dana", "password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 400
    assert "too common" in weak.content.decode()
    mismatch = visitor.post(link, {"username": "dana", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert "The two passwords differ." in mismatch.content.decode()
    assert not User.objects.filter(username="dana").exists()
    assert Invite.objects.get().is_pending


@pytest.mark.parametrize("token", ["nope", "x" * 500, "%00", "a.b~c%20d"])
def test_an_unknown_token_is_a_clear_404_never_a_500(client, db, token):
    response = client.get(f"/invite/{token}/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_revoked_or_resent_link_is_refused_with_a_clear_page(alice, org_a):
    first = invite_link(alice)
    invite = Invite.objects.get()
    alice.post(f"/team/invites/{invite.pk}/resend/")
    second = re.search(r"http://testserver(/invite/[\w-]+/)", mail.outbox[-1].body)[1]
    assert Client().get(first).status_code == 404  # the old token names nothing any more
    alice.post(f"/team/invites/{invite.pk}/revoke/")
    revoked = Client().get(second)
    assert revoked.status_code == 410
    assert "withdrawn" in revoked.content.decode()


def test_an_existing_account_is_asked_to_log_in_then_joins(alice, org_a, org_b):
    User.objects.filter(pk=org_b.user.pk).update(email="bob@example.com")
    link = invite_link(alice, email="bob@example.com")
    anonymous = Client().get(link).content.decode()
    assert "log in with it" in anonymous.lower()
    bob = Client()
    bob.force_login(org_b.user)
    assert "Join Acme Dental" in bob.get(link).content.decode()
    assert bob.post(link).status_code == 302
    assert Membership.objects.filter(user=org_b.user).count() == 2


def test_changing_a_role_and_the_last_admin(alice, org_a, carol):
    assert alice.post(f"/team/members/{carol.pk}/role/", {"role": "admin"}).status_code == 302
    assert Membership.objects.get(pk=carol.pk).role == "admin"
    own = Membership.objects.get(user=org_a.user)
    alice.post(f"/team/members/{carol.pk}/role/", {"role": "agent"})
    response = alice.post(f"/team/members/{own.pk}/role/", {"role": "agent"}, follow=True)
    assert "at least one admin" in response.content.decode()
    assert Membership.objects.get(pk=own.pk).role == "admin"


def test_deactivating_hands_conversations_over(alice, org_a, carol, conversation_a):
    conversation_assign(conversation=conversation_a, assignee_id=carol.user_id)
    response = alice.post(f"/team/members/{carol.pk}/deactivate/", {"hand_to": str(org_a.user.pk)}, follow=True)
    assert "carol was removed from Acme Dental; 1 conversation(s) handed over." in response.content.decode()
    assert Conversation.objects.get(pk=conversation_a.pk).assignee_id == org_a.user.pk
    carol_client = Client()
    carol_client.force_login(carol.user)
    assert "Acme Dental" not in carol_client.get("/contacts/").content.decode()


def test_a_bad_hand_to_is_a_clear_message_not_a_500(alice, carol):
    response = alice.post(f"/team/members/{carol.pk}/deactivate/", {"hand_to": "abc"}, follow=True)
    assert "Choose a member" in response.content.decode()
    assert Membership.objects.filter(pk=carol.pk).exists()


def test_an_agent_is_told_who_to_ask(client, carol):
    client.force_login(carol.user)
    response = client.get("/team/")
    assert response.status_code == 403
    assert "<strong>alice</strong>" in response.content.decode()
    assert client.post("/team/", {"email": "x@example.com", "role": "admin"}).status_code == 403
    assert not Invite.objects.exists()


def test_an_invalid_email_is_a_400_on_the_form(alice):
    response = alice.post("/team/", {"email": "not-an-email", "role": "agent"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not mail.outbox


def test_an_admin_turns_automatic_assignment_on_with_a_cap(alice, org_a, carol):
    page = alice.get("/team/").content.decode()
    assert "Automatic assignment" in page
    assert "<td data-label=\"New conversations\">Available</td>" in page
    response = alice.post("/team/auto-assign/", {"enabled": "on", "max_open": "4"})
    assert response.status_code == 302
    org_a.organization.refresh_from_db()
    assert (org_a.organization.auto_assign, org_a.organization.auto_assign_max_open) == (True, 4)
    assert "Automatic assignment is on." in alice.get("/team/").content.decode()


@pytest.mark.parametrize("max_open", ["", "-1", "1e3", "²", "5000"])
def test_a_bad_cap_is_a_clear_message_and_changes_nothing(alice, org_a, max_open):
    response = alice.post("/team/auto-assign/", {"enabled": "on", "max_open": max_open}, follow=True)
    assert response.status_code == 200
    assert "0: no limit" in response.content.decode() or "0 (no limit)" in response.content.decode()
    org_a.organization.refresh_from_db()
    assert (org_a.organization.auto_assign, org_a.organization.auto_assign_max_open) == (False, 10)


def test_an_agent_cannot_change_automatic_assignment(client, org_a, carol):
    client.force_login(carol.user)
    assert client.post("/team/auto-assign/", {"enabled": "on", "max_open": "3"}).status_code == 403
    org_a.organization.refresh_from_db()
    assert org_a.organization.auto_assign is False
