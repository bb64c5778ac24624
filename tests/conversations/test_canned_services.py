"""Canned replies: the database's rules, the services' permissions and errors, the selector's view."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import transaction

from conversations.canned_services import canned_reply_create, canned_reply_delete, canned_reply_update
from conversations.models import CannedReply
from conversations.selectors import canned_reply_get_for_user, canned_reply_list_for_user
from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.models import Membership
from tests.db_errors import refused_by
from tests.twilio_posts import collect_live_events

User = get_user_model()


def member(org, username: str, role: str = Membership.Role.AGENT):
    user = User.objects.create_user(username=username, password="pw-" + username)
    Membership.objects.create(user=user, organization=org.organization, role=role)
    return user


def shared(org, shortcut="hours", body="We are open 9-5.", **extra):
    return canned_reply_create(
        organization=org.organization, actor=org.user, name="Hours", shortcut=shortcut, body=body, shared=True, **extra
    )


def personal(org, user, shortcut="thanks", body="Thanks!"):
    return canned_reply_create(
        organization=org.organization, actor=user, name="Thanks", shortcut=shortcut, body=body, shared=False
    )


# --- the database's rules ------------------------------------------------------------------------


def _insert(**fields):
    with transaction.atomic():
        return CannedReply.objects.create(**fields)


def test_a_shared_shortcut_is_unique_in_the_organization(org_a, org_b):
    _insert(organization=org_a.organization, name="A", shortcut="hours", body="x")
    with refused_by("canned_shared_shortcut_unique"):
        _insert(organization=org_a.organization, name="B", shortcut="hours", body="y")
    _insert(organization=org_b.organization, name="A", shortcut="hours", body="x")  # another organization: fine


def test_a_personal_shortcut_is_unique_per_member_and_may_reuse_a_shared_one(org_a):
    carol = member(org_a, "carol")
    _insert(organization=org_a.organization, name="A", shortcut="hours", body="x")
    _insert(organization=org_a.organization, owner=carol, name="A", shortcut="hours", body="x")
    _insert(organization=org_a.organization, owner=org_a.user, name="A", shortcut="hours", body="x")
    with refused_by("canned_personal_shortcut_unique"):
        _insert(organization=org_a.organization, owner=carol, name="B", shortcut="hours", body="y")


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"shortcut": "Hours"}, "canned_shortcut_valid"),
        ({"shortcut": "-x"}, "canned_shortcut_valid"),
        ({"shortcut": "a b"}, "canned_shortcut_valid"),
        ({"shortcut": ""}, "canned_shortcut_valid"),
        ({"name": "  "}, "canned_name_not_blank"),
        ({"body": "   "}, "canned_body_not_blank"),  # (TRIM cuts spaces; the service strips every blank)
        ({"body": "x" * 1601}, "canned_body_length"),
    ],
)
def test_check_constraints_refuse_bad_rows(org_a, fields, rule):
    values = {"organization": org_a.organization, "name": "A", "shortcut": "ok", "body": "x"} | fields
    with refused_by(rule):
        _insert(**values)


def test_the_owner_is_a_member_of_the_organization(org_a, org_b):
    with refused_by("canned_owner_member"):
        _insert(organization=org_a.organization, owner=org_b.user, name="A", shortcut="x", body="x")


def test_a_reply_never_moves_to_another_organization(org_a, org_b):
    reply = _insert(organization=org_a.organization, name="A", shortcut="x", body="x")
    with refused_by("canned_owner_member"), transaction.atomic():
        CannedReply.objects.filter(pk=reply.pk).update(organization=org_b.organization)


# --- services -------------------------------------------------------------------------------------


def test_an_admin_creates_a_shared_reply_cleaned(org_a):
    reply = canned_reply_create(
        organization=org_a.organization,
        actor=org_a.user,
        name="  Hours ",
        shortcut=" /Hours",
        body="  Hi {{contact.first_name|there}}  ",
        shared=True,
    )
    assert (reply.name, reply.shortcut, reply.body, reply.owner_id) == (
        "Hours",
        "hours",
        "Hi {{contact.first_name|there}}",
        None,
    )


def test_an_agent_creates_a_personal_reply_but_not_a_shared_one(org_a):
    carol = member(org_a, "carol")
    reply = personal(org_a, carol)
    assert reply.owner == carol
    with pytest.raises(ServiceError) as refused:
        canned_reply_create(organization=org_a.organization, actor=carol, name="X", shortcut="x", body="x", shared=True)
    assert (refused.value.code, refused.value.field) == ("forbidden", "shared")
    assert CannedReply.objects.count() == 1


def test_an_agent_cannot_change_or_delete_a_shared_reply(org_a):
    carol = member(org_a, "carol")
    reply = shared(org_a)
    with pytest.raises(ServiceError) as refused:
        canned_reply_update(reply=reply, actor=carol, body="Changed")
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError):
        canned_reply_delete(reply=reply, actor=carol)
    reply.refresh_from_db()
    assert reply.body == "We are open 9-5."


def test_an_agent_cannot_share_their_reply_and_an_admin_can(org_a):
    carol = member(org_a, "carol")
    reply = personal(org_a, carol)
    with pytest.raises(ServiceError):
        canned_reply_update(reply=reply, actor=carol, shared=True)
    updated = canned_reply_update(reply=reply, actor=org_a.user, shared=True)
    assert updated.owner_id is None


def test_an_agent_changes_and_deletes_their_own(org_a):
    carol = member(org_a, "carol")
    reply = personal(org_a, carol)
    updated = canned_reply_update(reply=reply, actor=carol, name="Thank you", shortcut="ty", body="Thank you!")
    assert (updated.name, updated.shortcut, updated.body) == ("Thank you", "ty", "Thank you!")
    canned_reply_delete(reply=updated, actor=carol)
    assert not CannedReply.objects.exists()


def test_a_member_cannot_create_in_another_organization(org_a, org_b):
    with pytest.raises(ServiceError) as refused:
        canned_reply_create(
            organization=org_b.organization, actor=org_a.user, name="X", shortcut="x", body="x", shared=False
        )
    assert refused.value.code == "not_found"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": " "}, "name", "name"),
        ({"shortcut": ""}, "shortcut", "shortcut"),
        ({"shortcut": "a b"}, "shortcut", "letters, digits"),
        ({"shortcut": "x" * 33}, "shortcut", "at most"),
        ({"body": "  "}, "body", "cannot be empty"),
        ({"body": "x" * 1601}, "body", "at most 1600"),
        ({"body": "a\x00b"}, "body", "NUL"),
        ({"body": "Hi {{contact.age}}"}, "body", "Unknown variable {{contact.age}}"),
    ],
)
def test_bad_input_is_a_clear_refusal_and_writes_nothing(org_a, fields, field, words):
    values = {"name": "Hours", "shortcut": "hours", "body": "Open 9-5"} | fields
    with pytest.raises(ServiceError) as refused:
        canned_reply_create(organization=org_a.organization, actor=org_a.user, shared=True, **values)
    assert refused.value.field == field
    assert words in refused.value.message
    assert not CannedReply.objects.exists()


def test_a_taken_shortcut_is_a_clear_refusal(org_a):
    shared(org_a)
    with pytest.raises(ServiceError) as refused:
        shared(org_a, shortcut="HOURS")
    assert (refused.value.code, refused.value.field) == ("duplicate", "shortcut")
    assert "/hours" in refused.value.message
    carol = member(org_a, "carol")
    personal(org_a, carol, shortcut="hours")  # a personal reply may reuse a shared shortcut
    with pytest.raises(ServiceError) as refused:
        personal(org_a, carol, shortcut="hours")
    assert refused.value.code == "duplicate"


# --- selectors ------------------------------------------------------------------------------------


def test_a_member_sees_shared_replies_and_their_own_only(org_a, org_b):
    carol, dave = member(org_a, "carol"), member(org_a, "dave")
    hours = shared(org_a)
    mine = personal(org_a, carol, shortcut="hours")
    theirs = personal(org_a, dave)
    foreign = shared(org_b)
    listed = list(canned_reply_list_for_user(user=carol, organization=org_a.organization))
    assert listed == [mine, hours]  # same shortcut: mine first
    assert canned_reply_get_for_user(user=carol, reply_id=theirs.pk) is None
    assert canned_reply_get_for_user(user=carol, reply_id=foreign.pk) is None
    assert canned_reply_get_for_user(user=carol, reply_id=hours.pk) == hours
    assert list(canned_reply_list_for_user(user=carol, organization=org_b.organization)) == []


# --- live events ----------------------------------------------------------------------------------


async def _receive_within(layer, channel, seconds):
    return await asyncio.wait_for(layer.receive(channel), timeout=seconds)


def _listen(user):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.user_group(user.pk), channel)
    return layer, channel


def _heard(layer, channel) -> list[dict]:
    found = []
    while True:
        try:
            found.append(async_to_sync(_receive_within)(layer, channel, 0.2))
        except TimeoutError:
            return found


def test_a_shared_change_is_heard_by_the_organization_and_carries_no_text(org_a, django_capture_on_commit_callbacks):
    written: list[CannedReply] = []

    def write() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            written.append(shared(org_a, body="secret words"))

    heard = collect_live_events(org_a.organization.pk, write, quiet=0.2)
    assert heard == [
        {
            "type": events.Event.CANNED_REPLY_CHANGED,
            "payload": {"organizationId": org_a.organization.pk, "id": written[0].pk, "shared": True, "deleted": False},
        }
    ]


def test_a_personal_change_is_heard_by_its_owner_only(org_a, django_capture_on_commit_callbacks):
    carol = member(org_a, "carol")
    layer, carol_channel = _listen(carol)
    _, alice_channel = _listen(org_a.user)
    written: list[CannedReply] = []

    def write() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            reply = personal(org_a, carol)
            written.append(reply)
            canned_reply_delete(reply=reply, actor=carol)

    assert collect_live_events(org_a.organization.pk, write, quiet=0.2) == []  # colleagues learn nothing
    heard = _heard(layer, carol_channel)
    assert [(m["event"], m["payload"]["id"], m["payload"]["deleted"]) for m in heard] == [
        (events.Event.CANNED_REPLY_CHANGED, written[0].pk, False),
        (events.Event.CANNED_REPLY_CHANGED, written[0].pk, True),
    ]
    assert _heard(layer, alice_channel) == []


def test_sharing_a_personal_reply_tells_the_organization_and_the_former_owner(
    org_a, django_capture_on_commit_callbacks
):
    carol = member(org_a, "carol")
    reply = personal(org_a, carol)
    layer, carol_channel = _listen(carol)

    def write() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            canned_reply_update(reply=reply, actor=org_a.user, shared=True)

    heard = collect_live_events(org_a.organization.pk, write, quiet=0.2)
    assert [e["payload"]["shared"] for e in heard] == [True]
    assert [m["payload"]["id"] for m in _heard(layer, carol_channel)] == [reply.pk]
