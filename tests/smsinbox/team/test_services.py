"""Invitations and roles (``smsinbox.team.services``): built by calling the services, email read from locmem."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from smsinbox.errors import ServiceError
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from smsinbox.team.models import Invite
from smsinbox.team.services import (
    invite_accept,
    invite_create,
    invite_find,
    invite_resend,
    invite_revoke,
    membership_role_change,
    token_hash,
)
from tests.db_errors import refused_by

BASE = "https://inbox.example"
LINK = re.compile(r"https://inbox\.example/invite/([A-Za-z0-9_-]+)/")


def token_of(message) -> str:
    return LINK.search(message.body)[1]


def invite(org, email="dana@example.com", role="agent"):
    created = invite_create(organization=org.organization, actor=org.user, email=email, role=role, link_base=BASE)
    return created, token_of(mail.outbox[-1])


def test_an_invitation_is_emailed_with_a_link_whose_token_is_stored_only_hashed(org_a):
    created, token = invite(org_a, email=" Dana@Example.com ")
    assert created.email == "dana@example.com"
    assert mail.outbox[-1].to == ["dana@example.com"]
    assert "Acme Dental" in mail.outbox[-1].subject
    assert created.token_hash == token_hash(token)
    assert token not in str(Invite.objects.filter(pk=created.pk).values().get())
    assert created.expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert invite_find(token=token) == created


def test_accepting_creates_the_account_and_membership_once(org_a):
    _, token = invite(org_a, role="admin")
    membership = invite_accept(token=token, username="dana", password="a-long-Passphrase-9")
    dana = User.objects.get(username="dana")
    assert membership.user == dana
    assert membership.role == Membership.Role.ADMIN
    assert dana.email == "dana@example.com"
    assert dana.check_password("a-long-Passphrase-9")
    assert dana.is_staff  # admins manage their organization in Django admin too
    assert Invite.objects.get().accepted_by == dana
    with pytest.raises(ServiceError, match="already used"):
        invite_accept(token=token, username="dana2", password="a-long-Passphrase-9")
    assert User.objects.filter(username="dana2").count() == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("password123", "too common"), ("12345678901", "entirely numeric")],
)
def test_a_weak_password_is_refused_by_djangos_validators_and_nothing_is_written(org_a, password, message):
    _, token = invite(org_a)
    with pytest.raises(ServiceError, match=message) as caught:
        invite_accept(token=token, username="dana", password=password)
    assert caught.value.field == "password"
    assert not User.objects.filter(username="dana").exists()
    assert Invite.objects.get().is_pending


def test_a_taken_username_is_refused_on_its_field(org_a):
    _, token = invite(org_a)
    with pytest.raises(ServiceError) as caught:
        invite_accept(token=token, username="alice", password="a-long-Passphrase-9")
    assert caught.value.field == "username"
    assert Invite.objects.get().is_pending


def test_an_existing_account_must_sign_in_and_then_joins_with_itself(org_a, org_b):
    org_b.user.email = "bob@example.com"
    org_b.user.save()
    _, token = invite(org_a, email="bob@example.com")
    with pytest.raises(ServiceError, match="log in with it"):
        invite_accept(token=token, username="bob2", password="a-long-Passphrase-9")
    membership = invite_accept(token=token, user=org_b.user)
    assert membership.organization == org_a.organization
    assert membership.user == org_b.user
    assert Membership.objects.filter(user=org_b.user).count() == 2


def test_expired_revoked_and_unknown_tokens_are_refused(org_a):
    _, token = invite(org_a)
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ServiceError, match="expired"):
        invite_accept(token=token, username="dana", password="a-long-Passphrase-9")
    with pytest.raises(ServiceError, match="not valid"):
        invite_accept(token="nope", username="dana", password="a-long-Passphrase-9")
    created, token2 = invite(org_a, email="erin@example.com")
    invite_revoke(invite=created, actor=org_a.user)
    with pytest.raises(ServiceError, match="withdrawn"):
        invite_accept(token=token2, username="erin", password="a-long-Passphrase-9")


def test_resending_kills_the_old_link(org_a):
    created, old = invite(org_a)
    invite_resend(invite=created, actor=org_a.user, link_base=BASE)
    new = token_of(mail.outbox[-1])
    assert new != old
    assert invite_find(token=old) is None
    assert invite_accept(token=new, username="dana", password="a-long-Passphrase-9").user.username == "dana"


def test_one_pending_invitation_per_address_and_none_for_a_member(org_a):
    invite(org_a)
    with pytest.raises(ServiceError, match="resend it"):
        invite(org_a, email="DANA@example.com")
    org_a.user.email = "alice@example.com"
    org_a.user.save()
    with pytest.raises(ServiceError, match="already a member"):
        invite(org_a, email="alice@example.com")
    with refused_by("invite_one_pending_per_email"), transaction.atomic():  # the database's own rule
        Invite.objects.create(
            organization=org_a.organization, email="dana@example.com", token_hash="x" * 64,
            expires_at=timezone.now() + timedelta(days=1),
        )  # fmt: skip


def test_an_expired_invitation_is_replaced_by_a_new_one(org_a):
    invite(org_a)
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    invite(org_a)
    assert Invite.objects.filter(revoked_at__isnull=False).count() == 1
    assert Invite.objects.filter(revoked_at__isnull=True).count() == 1


def test_agents_cannot_invite_resend_revoke_or_change_roles(org_a):
    carol = User.objects.create_user("carol", password="pw-carol-1")
    carol_membership = membership_create(organization=org_a.organization, user=carol)
    created, _ = invite(org_a)
    for call in (
        lambda: invite_create(organization=org_a.organization, actor=carol, email="x@example.com", role="agent",
                              link_base=BASE),
        lambda: invite_resend(invite=created, actor=carol, link_base=BASE),
        lambda: invite_revoke(invite=created, actor=carol),
        lambda: membership_role_change(membership=carol_membership, actor=carol, role="admin"),
    ):  # fmt: skip
        with pytest.raises(ServiceError) as caught:
            call()
        assert caught.value.code == "forbidden"
    assert Membership.objects.get(user=carol).role == "agent"


def test_an_admin_of_another_organization_cannot_manage_this_one(org_a, org_b):
    with pytest.raises(ServiceError) as caught:
        invite_create(organization=org_a.organization, actor=org_b.user, email="x@example.com", role="agent",
                      link_base=BASE)  # fmt: skip
    assert caught.value.code == "forbidden"


def test_the_last_admin_cannot_be_demoted_but_one_of_two_can(org_a):
    alice = Membership.objects.get(user=org_a.user)
    with pytest.raises(ServiceError, match="at least one admin"):
        membership_role_change(membership=alice, actor=org_a.user, role="agent")
    carol = membership_create(organization=org_a.organization, user=User.objects.create_user("carol"), role="admin")
    membership_role_change(membership=alice, actor=org_a.user, role="agent")
    assert Membership.objects.get(pk=alice.pk).role == "agent"
    with pytest.raises(ServiceError, match="at least one admin"):
        membership_role_change(membership=carol, actor=carol.user, role="agent")


def test_an_unknown_role_is_refused(org_a):
    carol = membership_create(organization=org_a.organization, user=User.objects.create_user("carol"))
    with pytest.raises(ServiceError, match="role must be"):
        membership_role_change(membership=carol, actor=org_a.user, role="owner")


def test_a_link_for_an_existing_account_cannot_be_used_by_another_signed_in_account(org_a, org_b):
    User.objects.filter(pk=org_b.user.pk).update(email="bob@example.com")
    _, token = invite(org_a, email="bob@example.com")
    stranger = User.objects.create_user("mallory", email="mallory@example.com")
    with pytest.raises(ServiceError, match="log in with that one"):
        invite_accept(token=token, user=stranger)
    assert not Membership.objects.filter(user=stranger).exists()
    assert Invite.objects.get().is_pending
