"""POST /api/messages/retry and GET /api/messages/failed: camelCase, the caller's organization only."""

import pytest

from messaging.models import Message
from tests.api_client import ApiClient
from tests.messaging.services.test_retry import MEDIA, failed_send

pytestmark = pytest.mark.django_db


def test_retry_answers_what_was_retried_and_what_was_skipped_with_the_reason(org_a):
    passing = failed_send(org_a, code=30008, media=MEDIA)
    stopped = failed_send(org_a, "+14155550102", code=21610)
    answer = ApiClient(org_a.user).post("/api/messages/retry", {"messageIds": [passing.pk, stopped.pk]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    new = Message.objects.get(retry_of=passing)
    assert body["retried"] == [{"id": passing.pk, "newId": new.pk}]
    [skip] = body["skipped"]
    assert (skip["id"], skip["reason"], skip["code"]) == (stopped.pk, "not_retryable", 21610)
    assert "unsubscribed" in skip["message"]
    again = ApiClient(org_a.user).post("/api/messages/retry", {"messageIds": [passing.pk]}).json()
    assert again["retried"] == []
    assert again["skipped"][0]["reason"] == "already_retried"
    assert Message.objects.filter(retry_of=passing).count() == 1


def test_retry_skips_another_organizations_messages_as_not_found(org_a, org_b):
    theirs = failed_send(org_b, "+14155550101", code=30003, body="Their secret text")
    answer = ApiClient(org_a.user).post("/api/messages/retry", {"messageIds": [theirs.pk]})
    assert answer.status_code == 200
    assert answer.json() == {
        "retried": [],
        "skipped": [{"id": theirs.pk, "reason": "not_found", "code": None, "message": "No such message."}],
    }
    assert "secret" not in answer.content.decode()
    assert not Message.objects.filter(retry_of=theirs).exists()


@pytest.mark.parametrize(
    "body", [{}, {"messageIds": []}, {"messageIds": ["1"]}, {"messageIds": [True]}, {"messageIds": 5}, [1, 2]]
)
def test_retry_refuses_bad_input_with_a_400(org_a, body):
    answer = ApiClient(org_a.user).post("/api/messages/retry", body)
    assert answer.status_code == 400
    assert answer.json()["error"]


def test_failed_lists_the_organizations_failed_sends_with_meaning_advice_and_rule(org_a, org_b):
    unreachable = failed_send(org_a, code=30003, status="undelivered")
    landline = failed_send(org_a, "+14155550102", code=30006, status="undelivered")
    failed_send(org_b, "+14155550101", code=30003)
    api = ApiClient(org_a.user)
    rows = api.get("/api/messages/failed").json()["results"]
    assert [r["id"] for r in rows] == [landline.pk, unreachable.pk]
    first = rows[1]
    assert (first["errorCode"], first["retryable"], first["retried"], first["status"]) == (
        30003,
        True,
        False,
        "undelivered",
    )
    assert "unreachable" in first["errorMeaning"]
    assert "Retry later" in first["errorAction"]
    assert rows[0]["retryable"] is False
    assert "mobile number" in rows[0]["errorAction"]
    only = api.get("/api/messages/failed?code=30006").json()["results"]
    assert [r["id"] for r in only] == [landline.pk]
    page = api.get("/api/messages/failed?limit=1").json()
    assert [r["id"] for r in page["results"]] == [landline.pk]
    rest = api.get(f"/api/messages/failed?limit=1&cursor={page['nextCursor']}").json()
    assert [r["id"] for r in rest["results"]] == [unreachable.pk]
    assert rest["nextCursor"] is None
    assert api.get("/api/messages/failed?cursor=forged").status_code == 400
    assert api.get("/api/messages/failed?code=abc").status_code == 400
