"""The broadcasts API: dry run, create, read, pause/resume/cancel (409s), tenancy and roles."""

from __future__ import annotations

import pytest

from conversations.models import Contact
from conversations.services import contact_create, contact_opt_out
from messaging.broadcasts.models import Broadcast
from messaging.models import Message
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from tests.api_client import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org_a):
    return [
        contact_create(organization=org_a.organization, phone=f"+1415555{i:04d}", first_name=f"P{i}")
        for i in range(101, 104)
    ]


def test_a_dry_run_answers_the_preview_counts_and_sends_nothing(org_a, people):
    contact_opt_out(contact=people[2], method=Contact.OptOutMethod.STAFF)
    answer = ApiClient(org_a.user).post(
        "/api/broadcasts/",
        {
            "message": "Hi {{contact.first_name|there}}",
            "contactIds": [c.pk for c in people],
            "numbers": [str(people[0].phone), "+14155550188", "bogus"],
            "dryRun": True,
        },
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "recipients": 3,
        "excluded": {"optedOut": 1, "invalid": 1, "duplicates": 1, "landline": 0},
        "segments": 1,
        "estimatedSeconds": 3,
        "fromNumber": None,
    }
    assert Broadcast.objects.count() == 0
    assert Message.objects.count() == 0


def test_create_then_read_then_pause_resume_cancel_with_409s(org_a, people):
    api = ApiClient(org_a.user)
    created = api.post(
        "/api/broadcasts/", {"message": "Hi", "contactIds": [people[0].pk], "sendAt": "2099-01-01T09:00:00+00:00"}
    )
    assert created.status_code == 400  # more than 35 days ahead
    created = api.post("/api/broadcasts/", {"message": "Hi {{contact.first_name}}", "contactIds": [people[0].pk]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["recipients"], body["progress"]["queued"], body["fromNumber"]) == (
        "queued", 1, 1, "+14155550001"
    )  # fmt: skip
    pk = body["id"]
    assert api.get(f"/api/broadcasts/{pk}/").json()["message"] == "Hi {{contact.first_name}}"
    refused = api.post(f"/api/broadcasts/{pk}/resume")
    assert refused.status_code == 409
    assert refused.json()["code"] == "broadcast_state"
    assert api.post(f"/api/broadcasts/{pk}/pause").json()["state"] == "paused"
    assert api.post(f"/api/broadcasts/{pk}/resume").json()["state"] == "queued"
    cancelled = api.post(f"/api/broadcasts/{pk}/cancel").json()
    assert (cancelled["state"], cancelled["excluded"]["cancelled"]) == ("cancelled", 1)
    again = api.post(f"/api/broadcasts/{pk}/pause")
    assert again.status_code == 409
    assert "cancelled" in again.json()["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "Hi {{contact.shoe_size}}", "contactIds": [1]}, "message"),
        ({"message": "Hi", "contactIds": ["1"]}, "contactIds"),
        ({"message": "Hi"}, "numbers"),
        ({"message": "Hi", "contactIds": [999999]}, "contactIds"),
        ({"message": "Hi", "labels": [999999]}, "labels"),
        ({"message": "Hi", "numbers": ["+14155550101"], "dryRun": "yes"}, "dryRun"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(org_a, people, body, field):
    answer = ApiClient(org_a.user).post("/api/broadcasts/", body)
    assert answer.status_code == 400, answer.content
    data = answer.json()
    assert field == data.get("field") or field in data.get("fields", {})
    assert Broadcast.objects.count() == 0


def test_agents_are_refused_and_strangers_see_nothing(org_a, org_b, people):
    agent = User.objects.create_user("agent", password="pw-agent-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    refused = ApiClient(agent).post("/api/broadcasts/", {"message": "Hi", "contactIds": [people[0].pk], "dryRun": True})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    pk = ApiClient(org_a.user).post("/api/broadcasts/", {"message": "Hi", "contactIds": [people[0].pk]}).json()["id"]
    assert ApiClient(agent).post(f"/api/broadcasts/{pk}/cancel").status_code == 403
    assert ApiClient(agent).get(f"/api/broadcasts/{pk}/").status_code == 403
    assert ApiClient(org_b.user).get(f"/api/broadcasts/{pk}/").status_code == 404
    assert ApiClient(org_b.user).post(f"/api/broadcasts/{pk}/cancel").status_code == 404
    stranger = ApiClient(org_b.user).post("/api/broadcasts/", {"message": "Hi", "contactIds": [people[0].pk]})
    assert stranger.status_code == 400  # another organization's contact: not theirs to name
    assert Broadcast.objects.get(pk=pk).state == "queued"


def test_it_goes_from_the_chosen_number_and_another_organizations_is_a_404(org_a, org_b, people):
    from smsinbox.services import phone_number_create

    second = phone_number_create(organization=org_a.organization, number="+14155550002", friendly_name="Uptown")
    api = ApiClient(org_a.user)
    body = {"message": "Hi", "contactIds": [people[0].pk], "fromNumberId": second.pk}
    assert api.post("/api/broadcasts/", {**body, "dryRun": True}).json()["fromNumber"] == "+14155550002 (Uptown)"
    created = api.post("/api/broadcasts/", body)
    assert created.status_code == 201, created.content
    assert created.json()["fromNumber"] == "+14155550002"
    stranger = org_b.organization.phone_numbers.get()
    refused = api.post("/api/broadcasts/", {**body, "fromNumberId": stranger.pk})
    assert refused.status_code == 404
    assert refused.json()["field"] == "fromNumberId"
    assert Broadcast.objects.count() == 1
