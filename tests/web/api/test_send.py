"""POST /api/sms/send and POST /api/conversations/{id}/messages: the seed's contract, camelCase."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token

from conversations.services import contact_create, contact_opt_out, conversation_get_or_create
from messaging.models import Message
from smsinbox.models import Membership

SEND = "/api/sms/send"


@pytest.fixture
def api(org_a):
    token = Token.objects.create(user=org_a.user)
    client = Client(headers={"Authorization": f"Token {token.key}"})

    def post(path, body, **headers):
        return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)

    return post


@pytest.fixture
def maria(org_a):
    return contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")


def test_send_stores_the_message_enqueues_delivery_and_answers_camel_case(api, maria):
    response = api(SEND, {"contactId": maria.pk, "message": "Your table is ready"})
    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get()
    assert body == {
        "success": True,
        "messageId": message.pk,
        "conversationId": message.conversation_id,
        "status": "pending",
    }
    assert (message.body, message.direction, message.to_number, message.from_number) == (
        "Your table is ready",
        "out",
        "+14155550101",
        "+14155550001",
    )
    assert (message.num_segments, message.encoding) == (1, "GSM-7")
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [message.pk]
    assert message.conversation.last_message_preview == "Your table is ready"


def test_mms_with_media_only(api, maria):
    response = api(SEND, {"contactId": maria.pk, "message": "", "mediaUrls": ["https://example.com/a.png"]})
    assert response.status_code == 201
    message = Message.objects.get()
    assert message.num_media == 1
    assert list(message.media.values_list("url", flat=True)) == ["https://example.com/a.png"]
    assert message.conversation.last_message_preview == "[Media]"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"message": "hi"}, "Missing required fields: contactId and message"),
        ({"contactId": "CONTACT", "message": "   "}, "Missing required fields: contactId and message"),
        ({"contactId": "CONTACT", "message": "x" * 1601}, "Message too long. Maximum 1600 characters."),
        (
            {"contactId": "CONTACT", "message": "hi", "mediaUrls": ["https://e.com/i.png"] * 11},
            "Too many attachments. Maximum 10 images.",
        ),
        ({"contactId": "CONTACT", "message": "hi", "mediaUrls": ["ftp://e.com/i.png"]}, "must be an http(s) URL"),
        ({"contactId": "CONTACT", "message": "hi", "mediaUrls": ["http://[x/i.png"]}, "must be an http(s) URL"),
        ({"contactId": "CONTACT", "message": "hi", "mediaUrls": "https://e.com/i.png"}, "mediaUrls:"),
        ({"contactId": "abc", "message": "hi"}, "contactId: A valid integer is required."),
        ({"contactId": "CONTACT", "message": "At [[time]]"}, "Fill in [[time]] before sending"),
    ],
)
def test_bad_input_is_a_400_with_a_clear_error_and_no_row(api, maria, body, error):
    if body.get("contactId") == "CONTACT":
        body["contactId"] = maria.pk
    response = api(SEND, body)
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert not Message.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_malformed_json_is_a_400(org_a, maria):
    token = Token.objects.create(user=org_a.user)
    response = Client().post(
        SEND, data="{not json", content_type="application/json", headers={"Authorization": f"Token {token.key}"}
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["error"]


def test_contact_of_another_organization_is_a_404(api, org_b):
    foreign = contact_create(organization=org_b.organization, phone="+14155550101")
    response = api(SEND, {"contactId": foreign.pk, "message": "hi"})
    assert response.status_code == 404
    assert response.json()["error"] == "Contact not found."
    assert not Message.objects.exists()


def test_opted_out_contact_is_refused_with_when_and_how(api, maria):
    contact_opt_out(contact=maria, method="keyword", keyword="STOP")
    response = api(SEND, {"contactId": maria.pk, "message": "hi"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert "Maria opted out on" in error
    assert "by replying STOP" in error
    assert "text START" in error
    assert not Message.objects.exists()


@pytest.mark.parametrize("how", ["body", "header"])
def test_same_idempotency_key_never_sends_twice(api, maria, how):
    body = {"contactId": maria.pk, "message": "Once only"}
    headers = {}
    if how == "body":
        body["idempotencyKey"] = "click-42"
    else:
        headers["Idempotency-Key"] = "click-42"
    first = api(SEND, body, **headers)
    second = api(SEND, body, **headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["messageId"] == second.json()["messageId"]
    assert Message.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_anonymous_is_401_and_session_writes_need_csrf(org_a, maria):
    assert Client().post(SEND, data="{}", content_type="application/json").status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org_a.user)
    response = browser.post(
        SEND, data=json.dumps({"contactId": maria.pk, "message": "hi"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert not Message.objects.exists()


def test_a_member_of_several_organizations_names_one(api, org_a, org_b, maria):
    Membership.objects.create(user=org_a.user, organization=org_b.organization, role="agent")
    response = api(SEND, {"contactId": maria.pk, "message": "hi"})
    assert response.status_code == 400
    assert "several organizations" in response.json()["error"]
    response = api(SEND, {"contactId": maria.pk, "message": "hi", "organizationId": org_b.organization.pk})
    assert response.status_code == 404  # Maria is not in that organization
    response = api(SEND, {"contactId": maria.pk, "message": "hi", "organizationId": org_a.organization.pk})
    assert response.status_code == 201


def test_naming_a_foreign_organization_is_a_404(api, org_b, maria):
    response = api(SEND, {"contactId": maria.pk, "message": "hi", "organizationId": org_b.organization.pk})
    assert response.status_code == 404


def test_reply_in_a_thread(api, org_a, maria):
    conversation, _ = conversation_get_or_create(
        organization=org_a.organization, contact=maria, phone_number=org_a.organization.phone_numbers.get()
    )
    for path in (f"/api/conversations/{conversation.pk}/messages", f"/api/conversations/{conversation.pk}/messages/"):
        response = api(path, {"message": "Reply 😀"})
        assert response.status_code == 201
        assert response.json()["conversationId"] == conversation.pk
    message = Message.objects.last()
    assert (message.encoding, message.sent_by_id) == ("UCS-2", org_a.user.pk)


def test_reply_in_a_foreign_thread_is_a_404(api, org_b):
    contact = contact_create(organization=org_b.organization, phone="+14155550101")
    conversation, _ = conversation_get_or_create(
        organization=org_b.organization, contact=contact, phone_number=org_b.organization.phone_numbers.get()
    )
    response = api(reverse("api-conversation-messages", args=[conversation.pk]), {"message": "hi"})
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_a_send_to_a_known_landline_is_a_409_saying_so(api, maria):
    from django.utils import timezone

    from conversations.models import Contact

    Contact.objects.filter(pk=maria.pk).update(line_type="landline", line_type_checked_at=timezone.now())
    response = api(SEND, {"contactId": maria.pk, "message": "Your table is ready"})
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["field"]) == ("landline", "contactId")
    assert "30006" in body["error"]
    assert not Message.objects.exists()
