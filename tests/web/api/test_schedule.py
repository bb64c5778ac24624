"""sendAt on the send routes, PATCH and DELETE /api/messages/{id}/: clear 400s, and 409s that say why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.services import contact_create
from messaging.models import Message
from messaging.services.schedule import messages_send_due
from tests.api_client import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org_a):
    return ApiClient(org_a.user)


@pytest.fixture
def maria(org_a):
    return contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")


def later(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


def test_send_at_schedules_on_both_send_routes(api, maria):
    sent = api.post("/api/sms/send", {"contactId": maria.pk, "message": "Reminder", "sendAt": later(hours=2)})
    assert sent.status_code == 201
    assert sent.json()["status"] == "scheduled"
    message = Message.objects.get(pk=sent.json()["messageId"])
    reply = api.post(
        f"/api/conversations/{message.conversation_id}/messages/", {"message": "Also", "sendAt": later(days=1)}
    )
    assert reply.status_code == 201
    assert reply.json()["status"] == "scheduled"
    shown = api.get(f"/api/messages/{message.pk}/").json()
    assert shown["status"] == "scheduled"
    assert shown["sendAt"] is not None


@pytest.mark.parametrize(
    ("send_at", "says"),
    [
        ("2026-12-08T09:00:00", "offset"),
        ("tomorrow at nine", "ISO 8601"),
        ("2000-01-01T09:00:00+00:00", "in the past"),
        (None, "at most 35 days"),
    ],
)
def test_a_bad_send_at_is_a_clear_400_and_stores_nothing(api, maria, send_at, says):
    send_at = send_at or later(days=40)
    response = api.post("/api/sms/send", {"contactId": maria.pk, "message": "x", "sendAt": send_at})
    assert response.status_code == 400
    assert says in str(response.json())
    assert not Message.objects.exists()


def scheduled(api, maria) -> int:
    return api.post("/api/sms/send", {"contactId": maria.pk, "message": "Hi", "sendAt": later(hours=1)}).json()[
        "messageId"
    ]


def test_patch_edits_text_and_time(api, maria):
    pk = scheduled(api, maria)
    new_time = later(hours=5)
    response = api.call("PATCH", f"/api/messages/{pk}/", {"message": "Moved", "sendAt": new_time})
    assert response.status_code == 200
    assert (response.json()["body"], response.json()["status"]) == ("Moved", "scheduled")
    assert Message.objects.get(pk=pk).send_at.isoformat() == timezone.datetime.fromisoformat(new_time).isoformat()
    bad = api.call("PATCH", f"/api/messages/{pk}/", {"sendAt": "2026-12-08 09:00"})
    assert bad.status_code == 400
    assert "offset" in str(bad.json())


def test_delete_cancels_and_then_both_answer_409_saying_why(api, maria):
    pk = scheduled(api, maria)
    canceled = api.call("DELETE", f"/api/messages/{pk}/", None)
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    again = api.call("DELETE", f"/api/messages/{pk}/", None)
    assert again.status_code == 409
    assert again.json()["code"] == "not_scheduled"
    assert "It was canceled" in again.json()["error"]
    assert api.call("PATCH", f"/api/messages/{pk}/", {"message": "x"}).status_code == 409


def test_once_it_started_sending_edit_and_cancel_are_409(api, maria):
    pk = scheduled(api, maria)
    assert messages_send_due(now=timezone.now() + timedelta(hours=2)) == 1
    for method, body in (("PATCH", {"message": "too late"}), ("DELETE", None)):
        response = api.call(method, f"/api/messages/{pk}/", body)
        assert response.status_code == 409
        assert "already started sending (status: pending)" in response.json()["error"]
    assert Message.objects.get(pk=pk).body == "Hi"
