"""Invitations under a race (PostgreSQL, real threads, each with its own connection): one link used twice at the
same moment makes one account; two admins inviting one address at once make one pending invitation."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, User
from smsinbox.services import membership_create
from smsinbox.team.models import Invite
from smsinbox.team.services import invite_accept, invite_create
from tests.messaging.test_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Passphrase-9"


def outcome(call) -> str:
    try:
        call()
    except ServiceError as exc:
        return exc.code
    return "done"


def test_one_link_used_twice_at_once_makes_one_account(org_a):
    invite_create(
        organization=org_a.organization, actor=org_a.user, email="dana@example.com", role="agent",
        link_base="https://inbox.example",
    )  # fmt: skip
    token = re.search(r"/invite/([\w-]+)/", mail.outbox[-1].body)[1]
    calls = [
        lambda name=name: outcome(lambda: invite_accept(token=token, username=name, password=PASSWORD))
        for name in ("dana", "dana2", "dana3")
    ]
    outcomes = run_at_once(calls)
    assert sorted(outcomes) == ["done", "invite_unusable", "invite_unusable"]
    assert Membership.objects.filter(organization=org_a.organization, user__email="dana@example.com").count() == 1
    assert User.objects.filter(email="dana@example.com").count() == 1


def test_two_admins_inviting_one_address_at_once_make_one_invitation(org_a):
    carol = membership_create(organization=org_a.organization, user=User.objects.create_user("carol"), role="admin")

    def invite_as(user_id: int) -> str:
        return outcome(
            lambda: invite_create(
                organization=Organization.objects.get(pk=org_a.organization.pk),
                actor=User.objects.get(pk=user_id),
                email="dana@example.com",
                role="agent",
                link_base="https://inbox.example",
            )
        )

    outcomes = run_at_once([lambda: invite_as(org_a.user.pk), lambda: invite_as(carol.user_id)])
    assert sorted(outcomes) == ["done", "duplicate"]
    assert Invite.objects.filter(email="dana@example.com").count() == 1
