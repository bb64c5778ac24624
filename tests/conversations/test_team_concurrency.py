"""At least one admin always remains, under a race (PostgreSQL, real threads, each with its own connection):
two admins demoting (or deactivating) each other at the same moment leave exactly one admin."""

from __future__ import annotations

import pytest

from conversations.team import member_deactivate
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from smsinbox.team.services import membership_role_change
from tests.messaging.test_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def demote(membership_id: int, actor_id: int) -> str:
    try:
        membership_role_change(
            membership=Membership.objects.get(pk=membership_id), actor=User.objects.get(pk=actor_id), role="agent"
        )
    except ServiceError as exc:
        return exc.code
    return "done"


def deactivate(membership_id: int, actor_id: int) -> str:
    try:
        member_deactivate(membership=Membership.objects.get(pk=membership_id), actor=User.objects.get(pk=actor_id))
    except ServiceError as exc:
        return exc.code
    except Membership.DoesNotExist:  # removed by the other one before this thread read it
        return "gone"
    return "done"


@pytest.mark.parametrize("round_", range(5))
@pytest.mark.parametrize("action", [demote, deactivate], ids=["demote", "deactivate"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(org_a, round_, action):
    alice = Membership.objects.get(user=org_a.user)
    carol = membership_create(organization=org_a.organization, user=User.objects.create_user("carol"), role="admin")
    outcomes = run_at_once([lambda: action(carol.pk, alice.user_id), lambda: action(alice.pk, carol.user_id)])
    admins = Membership.objects.filter(organization=org_a.organization, role="admin").count()
    assert admins == 1, outcomes
    assert sorted(outcomes) in (["done", "last_admin"], ["done", "forbidden"], ["done", "gone"]), outcomes


def test_three_admins_demoting_all_at_once_leave_one(org_a):
    alice = Membership.objects.get(user=org_a.user)
    others = [
        membership_create(organization=org_a.organization, user=User.objects.create_user(name), role="admin")
        for name in ("carol", "dave")
    ]
    everyone = [alice, *others]
    calls = [lambda m=m: demote(m.pk, m.user_id) for m in everyone]  # each demotes themselves
    outcomes = run_at_once(calls)
    assert Membership.objects.filter(organization=org_a.organization, role="admin").count() == 1
    assert sorted(outcomes) == ["done", "done", "last_admin"]
