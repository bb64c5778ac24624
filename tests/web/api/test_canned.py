"""Canned replies through the API: ``GET``/``POST /api/canned-replies/``, ``GET``/``PATCH``/``DELETE …/{id}/``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conversations.canned_services import canned_reply_create
from conversations.models import CannedReply
from conversations.services import contact_update
from smsinbox.models import Membership
from tests.api_client import ApiClient, build_tenant

User = get_user_model()
PATH = "/api/canned-replies/"


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


@pytest.fixture
def carol(org_a):
    user = User.objects.create_user(username="carol", password="pw-carol", first_name="Carol")
    Membership.objects.create(user=user, organization=org_a.organization, role=Membership.Role.AGENT)
    return user


BODY = "Hi {{contact.first_name|there}}, {{user.first_name|the team}} at {{organization.name}}: see you at [[time]]."


def test_create_list_read_update_delete(api, org_a):
    response = api.post(PATH, {"name": "Visit", "shortcut": "/Visit", "body": BODY, "shared": True})
    assert response.status_code == 201, response.content
    reply = response.json()
    assert set(reply) == {
        "id", "organizationId", "name", "shortcut", "body", "shared", "ownerId", "placeholders", "createdAt",
        "updatedAt",
    }  # fmt: skip
    assert (reply["shortcut"], reply["shared"], reply["ownerId"], reply["placeholders"]) == (
        "visit",
        True,
        None,
        ["[[time]]"],
    )
    listed = api.get(PATH).json()["results"]
    assert [r["id"] for r in listed] == [reply["id"]]
    assert listed[0]["rendered"] is None  # no conversation named: nothing to fill in
    path = f"{PATH}{reply['id']}/"
    assert api.get(path).json() == reply
    changed = api.patch(path, {"name": "Visit time", "shared": False}).json()
    assert (changed["name"], changed["shared"], changed["ownerId"], changed["body"]) == (
        "Visit time",
        False,
        org_a.user.pk,
        BODY,
    )
    assert api.delete(path).status_code == 204
    assert not CannedReply.objects.exists()
    assert api.get(path).status_code == 404


def test_the_list_renders_each_reply_for_a_conversation(api, tenant, org_a):
    api.post(PATH, {"name": "Visit", "shortcut": "visit", "body": BODY, "shared": True})
    api.post(PATH, {"name": "Plain", "shortcut": "plain", "body": "Thanks!"})
    rows = api.get(f"{PATH}?conversation={tenant.conversation.pk}").json()["results"]
    assert [r["shortcut"] for r in rows] == ["plain", "visit"]
    assert rows[0]["rendered"] == "Thanks!"
    assert rows[1]["rendered"] == "Hi Maria, the team at Acme Dental: see you at [[time]]."
    contact_update(contact=tenant.contact, first_name="", last_name="")
    rows = api.get(f"{PATH}?conversation={tenant.conversation.pk}").json()["results"]
    assert rows[1]["rendered"] == "Hi there, the team at Acme Dental: see you at [[time]]."


def test_an_agent_sees_shared_and_own_and_cannot_touch_shared(api, org_a, carol):
    shared = api.post(PATH, {"name": "Hours", "shortcut": "hours", "body": "9-5", "shared": True}).json()
    agent = ApiClient(carol)
    refused = agent.post(PATH, {"name": "X", "shortcut": "x", "body": "x", "shared": True})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    mine = agent.post(PATH, {"name": "Mine", "shortcut": "mine", "body": "Cheers, {{user.first_name}}"})
    assert mine.status_code == 201
    assert mine.json()["ownerId"] == carol.pk
    assert [r["shortcut"] for r in agent.get(PATH).json()["results"]] == ["hours", "mine"]
    assert [r["shortcut"] for r in api.get(PATH).json()["results"]] == ["hours"]  # alice never sees carol's
    assert api.get(f"{PATH}{mine.json()['id']}/").status_code == 404
    assert agent.patch(f"{PATH}{shared['id']}/", {"body": "changed"}).status_code == 403
    assert agent.delete(f"{PATH}{shared['id']}/").status_code == 403
    assert CannedReply.objects.get(pk=shared["id"]).body == "9-5"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"name": "", "shortcut": "x", "body": "x"}, 400, "name"),
        ({"name": "X", "shortcut": "a b", "body": "x"}, 400, "letters, digits"),
        ({"name": "X", "shortcut": "x", "body": "   "}, 400, "cannot be empty"),
        ({"name": "X", "shortcut": "x", "body": "{{contact.age}}"}, 400, "Unknown variable {{contact.age}}"),
        ({"name": "X", "shortcut": "x", "body": "x" * 1601}, 400, "body"),
        ({"name": 5, "shortcut": "x", "body": "x"}, 400, "name"),
        ({"shortcut": "x", "body": "x"}, 400, "name"),
        ({"name": "X", "shortcut": "x", "body": "x", "shared": "maybe"}, 400, "shared"),
        ({"name": "X", "shortcut": "x", "body": "x", "organizationId": 999999}, 404, "not found"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(api, org_a, body, status, words):
    response = api.post(PATH, body)
    assert response.status_code == status, response.content
    assert words.lower() in response.json()["error"].lower()
    assert not CannedReply.objects.exists()


def test_a_taken_shortcut_is_a_400_on_shortcut(api):
    api.post(PATH, {"name": "Hours", "shortcut": "hours", "body": "9-5", "shared": True})
    response = api.post(PATH, {"name": "Hours 2", "shortcut": "HOURS", "body": "9-6", "shared": True})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("duplicate", "shortcut")
    other = api.post(PATH, {"name": "B", "shortcut": "b", "body": "b", "shared": True}).json()
    response = api.patch(f"{PATH}{other['id']}/", {"shortcut": "hours"})
    assert response.status_code == 400
    assert CannedReply.objects.get(pk=other["id"]).shortcut == "b"


def test_another_organizations_conversation_or_reply_is_not_found(api, org_b):
    foreign = build_tenant(org_b, Client(), contact_phone="+12125550177", spare_phone="+12125550178")
    reply = canned_reply_create(
        organization=org_b.organization, actor=org_b.user, name="B", shortcut="b", body="b", shared=True
    )
    response = api.get(f"{PATH}?conversation={foreign.conversation.pk}")
    assert response.status_code == 404
    assert response.json()["field"] == "conversation"
    assert api.get(f"{PATH}{reply.pk}/").status_code == 404
    assert api.patch(f"{PATH}{reply.pk}/", {"body": "hijacked"}).status_code == 404
    assert api.delete(f"{PATH}{reply.pk}/").status_code == 404
    assert CannedReply.objects.get(pk=reply.pk).body == "b"


def test_text_is_text(api, tenant):
    body = "<script>alert(1)</script> & {{contact.first_name}}"
    created = api.post(PATH, {"name": "<b>x</b>", "shortcut": "x", "body": body}).json()
    assert created["body"] == body
    contact_update(contact=tenant.contact, first_name="<i>M</i>", last_name="")
    rows = api.get(f"{PATH}?conversation={tenant.conversation.pk}").json()["results"]
    assert rows[0]["rendered"] == "<script>alert(1)</script> & <i>M</i>"
