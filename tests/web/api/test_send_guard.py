"""The send guard and the reply rules through the API: ``lastSeenMessageId``, ``confirm``, ``takeOver`` on
``POST /api/sms/send`` and ``POST /api/conversations/{id}/messages``, and their 409 answers."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conversations.models import Conversation
from conversations.services import conversation_assign
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.services import membership_create, organization_update
from tests.api_client import ApiClient
from tests.test_api_schema import get_schema
from tests.twilio_posts import post_inbound

SEND = "/api/sms/send"


@pytest.fixture
def carol(org_a):
    user = get_user_model().objects.create_user("carol", password="pw-carol-1", first_name="Carol", last_name="Ng")
    membership_create(organization=org_a.organization, user=user)
    return user


@pytest.fixture
def seen(conversation_a):
    """The contact's first text: what alice has on screen."""
    assert post_inbound(Client(), to="+14155550001", from_="+14155550101", body="Is it ready?").status_code == 200
    return Message.objects.get()


@pytest.fixture
def carols_reply(org_a, conversation_a, carol, seen):
    return message_send(
        organization=org_a.organization, sender=carol, contact=conversation_a.contact, body="Yes, come by"
    ).message


def routes(conversation):
    """Both send routes, each with the body that names the conversation's contact."""
    return [
        (SEND, {"contactId": conversation.contact_id}),
        (f"/api/conversations/{conversation.pk}/messages", {}),
    ]


@pytest.mark.parametrize("route", [0, 1], ids=["sms-send", "conversation-reply"])
def test_a_colleagues_newer_reply_is_a_409_with_the_newer_messages_and_nothing_is_stored(
    org_a, conversation_a, seen, carols_reply, route
):
    path, base = routes(conversation_a)[route]
    response = ApiClient(org_a.user).post(path, {**base, "message": "Alice too", "lastSeenMessageId": seen.pk})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conversation_changed"
    assert body["field"] == "lastSeenMessageId"
    assert body["error"].startswith("Carol Ng wrote since you opened this conversation")
    assert body["newerCount"] == 1
    assert body["senderNames"] == {str(carols_reply.sent_by_id): "Carol Ng"}
    listed = ApiClient(org_a.user).get(f"/api/conversations/{conversation_a.pk}/messages").json()["results"]
    assert body["newer"] == [m for m in listed if m["id"] == carols_reply.pk]  # the messages API's shape
    assert not Message.objects.filter(body="Alice too").exists()

    confirmed = ApiClient(org_a.user).post(
        path, {**base, "message": "Alice too", "lastSeenMessageId": seen.pk, "confirm": True}
    )
    assert confirmed.status_code == 201
    assert Message.objects.filter(body="Alice too").count() == 1


def test_a_confirmed_retry_with_the_same_key_sends_once(org_a, conversation_a, seen, carols_reply):
    api = ApiClient(org_a.user)
    path = f"/api/conversations/{conversation_a.pk}/messages"
    guarded = {"message": "Once", "lastSeenMessageId": seen.pk, "idempotencyKey": "k-guard"}
    assert api.post(path, guarded).status_code == 409
    first = api.post(path, {**guarded, "confirm": True})
    again = api.post(path, {**guarded, "confirm": True})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["messageId"] == again.json()["messageId"]
    assert Message.objects.filter(body="Once").count() == 1


def test_without_last_seen_the_send_is_not_guarded(org_a, conversation_a, seen, carols_reply):
    assert (
        ApiClient(org_a.user).post(SEND, {"contactId": conversation_a.contact_id, "message": "hi"}).status_code == 201
    )


def test_the_newest_seen_message_sends(org_a, conversation_a, carols_reply):
    body = {"message": "hi", "lastSeenMessageId": carols_reply.pk}
    assert ApiClient(org_a.user).post(f"/api/conversations/{conversation_a.pk}/messages", body).status_code == 201


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"lastSeenMessageId": -1}, "lastSeenMessageId"),
        ({"lastSeenMessageId": "5"}, "lastSeenMessageId"),
        ({"lastSeenMessageId": 999_999}, None),
        ({"confirm": "true"}, "confirm"),
        ({"confirm": 1}, "confirm"),
        ({"takeOver": "yes"}, "takeOver"),
    ],
)
def test_bad_guard_input_is_a_400(org_a, conversation_a, seen, extra, field):
    response = ApiClient(org_a.user).post(
        f"/api/conversations/{conversation_a.pk}/messages", {"message": "hi", **extra}
    )
    assert response.status_code == 400
    body = response.json()
    if field:
        assert field in body["fields"]
    else:
        assert body["field"] == "lastSeenMessageId"
    assert not Message.objects.filter(body="hi").exists()


def test_another_organizations_message_id_is_refused_like_any_unknown_id(org_a, org_b, conversation_a):
    from conversations.services import contact_create

    theirs = contact_create(organization=org_b.organization, phone="+14155550199")
    their_message = message_send(organization=org_b.organization, sender=org_b.user, contact=theirs, body="x").message
    body = {"message": "hi", "lastSeenMessageId": their_message.pk}
    response = ApiClient(org_a.user).post(f"/api/conversations/{conversation_a.pk}/messages", body)
    assert (response.status_code, response.json()["field"]) == (400, "lastSeenMessageId")


def test_only_the_assignee_may_reply_is_a_409_and_take_over_assigns_then_sends(org_a, conversation_a, carol):
    organization_update(organization=org_a.organization, only_assignee_replies=True)
    conversation_assign(conversation=conversation_a, assignee_id=carol.pk)
    path = f"/api/conversations/{conversation_a.pk}/messages"
    refused = ApiClient(org_a.user).post(path, {"message": "mine"})
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "Only Carol Ng, the assignee, may reply here. Take the conversation over to reply.",
        "code": "assigned_to_other",
        "field": "takeOver",
        "assigneeId": carol.pk,
        "assigneeName": "Carol Ng",
    }
    assert not Message.objects.exists()
    assert ApiClient(org_a.user).post(path, {"message": "mine", "takeOver": True}).status_code == 201
    assert Conversation.objects.get(pk=conversation_a.pk).assignee_id == org_a.user.pk


def test_the_schema_documents_the_guard_fields_and_the_409_shape(db):
    schema = get_schema()
    components = schema["components"]["schemas"]
    for name in ("SmsSendInput", "SendInput"):
        properties = components[name]["properties"]
        assert {"lastSeenMessageId", "confirm", "takeOver"} <= set(properties), name
        assert properties["lastSeenMessageId"]["minimum"] == 0
    refusal = components["SendRefusal"]["properties"]
    assert refusal["newer"]["items"]["$ref"] == "#/components/schemas/MessageItem"  # as the thread lists them
    assert {"error", "code", "newerCount", "senderNames", "assigneeId", "assigneeName"} <= set(refusal)
    sends = [
        operations["post"]
        for path, operations in schema["paths"].items()
        if "post" in operations and path.rstrip("/").endswith(("sms/send", "{id}/messages"))
    ]
    assert len(sends) == 2
    for operation in sends:
        answer = operation["responses"]["409"]
        assert answer["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/SendRefusal"
