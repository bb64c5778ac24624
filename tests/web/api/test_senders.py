"""fromNumberId on the send routes: the message goes from the chosen number, the conversation keeps it and says so;
a number that is not the organization's is a clear 400 that stores nothing."""

import pytest

from conversations.models import Conversation
from conversations.services import contact_create
from messaging.models import Message
from smsinbox.services import phone_number_create
from tests.api_client import ApiClient

pytestmark = pytest.mark.django_db

SECOND = "+14155550002"


@pytest.fixture
def api(org_a):
    return ApiClient(org_a.user)


@pytest.fixture
def maria(org_a):
    return contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")


def test_from_number_id_on_both_send_routes(api, org_a, maria):
    first = org_a.organization.phone_numbers.get()
    second = phone_number_create(organization=org_a.organization, number=SECOND)
    sent = api.post("/api/sms/send", {"contactId": maria.pk, "message": "Hi", "fromNumberId": second.pk})
    assert sent.status_code == 201
    message = Message.objects.get(pk=sent.json()["messageId"])
    assert message.from_number == SECOND
    conversation = api.get(f"/api/conversations/{message.conversation_id}/").json()
    assert conversation["phoneNumberId"] == second.pk
    shown = api.get(f"/api/messages/{message.pk}/").json()
    assert (shown["fromNumber"], shown["toNumber"], shown["quietHoursHeldFrom"]) == (SECOND, "+14155550101", None)

    reply = api.post(
        f"/api/conversations/{message.conversation_id}/messages/", {"message": "Back", "fromNumberId": first.pk}
    )
    assert reply.status_code == 201
    assert Message.objects.get(pk=reply.json()["messageId"]).from_number == str(first.number)
    assert Conversation.objects.get(pk=message.conversation_id).phone_number_id == first.pk


@pytest.mark.parametrize("value", ["other-organization", 0, "2", None])
def test_a_bad_from_number_id_is_a_clear_400_and_stores_nothing(api, org_a, org_b, maria, value):
    if value == "other-organization":
        value = org_b.organization.phone_numbers.get().pk
    answer = api.post("/api/sms/send", {"contactId": maria.pk, "message": "Hi", "fromNumberId": value})
    if value is None:  # null: the conversation's own number
        assert answer.status_code == 201
        return
    assert answer.status_code in (400, 404)
    assert "fromNumberId" in str(answer.json())
    assert not Message.objects.exists()
