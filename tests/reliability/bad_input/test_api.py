"""The REST API's writes: bodies that are not UTF-8 JSON, other content types, lone surrogates and NULs in
every string, deep nesting and odd JSON values are a clear 4xx that changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conversations.models import Contact, Conversation
from tests.api_client import ApiClient
from tests.reliability.bad_input.helpers import row_counts

API_WRITES = ["send", "contact_create", "contact_update", "conversation_update", "reply"]


def api_write(name: str, conversation: int, contact: int) -> tuple[str, str, dict[str, Any]]:
    """One write of the API with a valid body: method, path, body."""
    return {
        "send": (
            "POST",
            "/api/sms/send",
            {"contactId": contact, "message": "hi", "mediaUrls": [], "idempotencyKey": "k"},
        ),
        "contact_create": ("POST", "/api/contacts/", {"phone": "+14155550177", "firstName": "Ann", "lastName": "Lee"}),
        "contact_update": (
            "PATCH",
            f"/api/contacts/{contact}/",
            {"firstName": "Ann", "lastName": "Lee", "phone": "+14155550101"},
        ),
        "conversation_update": ("PATCH", f"/api/conversations/{conversation}/", {"status": "closed"}),
        "reply": ("POST", f"/api/conversations/{conversation}/messages/", {"message": "hi", "idempotencyKey": "k"}),
    }[name]


def api_snapshot() -> tuple:
    return (
        row_counts(),
        list(Contact.objects.order_by("pk").values_list("phone", "first_name", "last_name")),
        list(Conversation.objects.order_by("pk").values_list("status", "assignee_id")),
    )


def raw_call(user, method: str, path: str, body: bytes | str, content_type: str = "application/json"):
    return getattr(ApiClient(user).client, method.lower())(path, data=body, content_type=content_type)


@pytest.mark.parametrize("name", API_WRITES)
def test_api_writes_accept_their_valid_body(org_a, conversation_a, name):
    """The control for the refusals below: the same route with a valid body succeeds."""
    method, path, body = api_write(name, conversation_a.pk, conversation_a.contact_id)
    assert raw_call(org_a.user, method, path, json.dumps(body)).status_code in {200, 201}


NOT_UTF8_JSON = [
    b'{"message": "\xff\xfe"}',
    b"\xff\xfe\x00{",
    b'{"message": "\xed\xa0\x80"}',
    b"\xef\xbb\xbf{}",
    b"\x00" * 8,
]
OTHER_CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
]


@pytest.mark.parametrize("name", API_WRITES)
def test_api_bodies_that_are_not_utf8_json_are_a_400_and_change_nothing(org_a, conversation_a, name):
    """Invalid UTF-8, a UTF-16 or UTF-8 byte-order mark, an encoded surrogate, NUL bytes."""
    method, path, _ = api_write(name, conversation_a.pk, conversation_a.contact_id)
    before = api_snapshot()
    for raw in NOT_UTF8_JSON:
        response = raw_call(org_a.user, method, path, raw)
        assert response.status_code == 400, (raw, response.content)
        assert response.json()["error"]
    assert api_snapshot() == before


@pytest.mark.parametrize("name", API_WRITES)
def test_api_writes_in_another_content_type_are_a_415_and_change_nothing(org_a, conversation_a, name):
    method, path, body = api_write(name, conversation_a.pk, conversation_a.contact_id)
    before = api_snapshot()
    for content_type in OTHER_CONTENT_TYPES:
        response = raw_call(org_a.user, method, path, json.dumps(body), content_type)
        assert response.status_code == 415, (content_type, response.content)
    # Without a content type DRF reads no body at all: a PATCH of nothing changes nothing (200).
    assert raw_call(org_a.user, method, path, json.dumps(body), "").status_code in {200, 400, 415}
    assert api_snapshot() == before


def _string_fields(body: dict[str, Any]) -> list[str]:
    return [key for key, value in body.items() if isinstance(value, str) or key == "mediaUrls"]


# A choice field's error echoes the input ('"\ud800" is not a valid choice.'): the renderer must still answer.
API_STRING_CASES = [
    (name, field, bad)
    for name in API_WRITES
    for field in _string_fields(api_write(name, 0, 0)[2])
    for bad in ("\ud800", "\x00")
]


@pytest.mark.parametrize(("name", "field", "bad"), API_STRING_CASES)
def test_a_lone_surrogate_or_nul_in_any_api_string_is_a_400_and_changes_nothing(
    org_a, conversation_a, name, field, bad
):
    method, path, body = api_write(name, conversation_a.pk, conversation_a.contact_id)
    body[field] = [f"https://media.example/{bad}"] if field == "mediaUrls" else f"a{bad}b"
    before = api_snapshot()
    response = raw_call(org_a.user, method, path, json.dumps(body))  # json.dumps writes "\ud800" as an escape
    assert response.status_code == 400, response.content
    assert response.json()["error"]
    assert api_snapshot() == before


@pytest.mark.parametrize("depth", [1_000, 5_000, 100_000])
def test_deeply_nested_json_is_a_400(org_a, conversation_a, depth):
    """json.loads runs out of stack (RecursionError, which DRF let through as a 500): a clear 400 instead."""
    method, path, _ = api_write("send", conversation_a.pk, conversation_a.contact_id)
    before = api_snapshot()
    response = raw_call(org_a.user, method, path, "[" * depth + "]" * depth)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    assert api_snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        '{"contactId": 1' + "0" * 5000 + ', "message": "hi"}',
        '{"contactId": NaN, "message": "hi"}',
        '{"contactId": 1e999, "message": "hi"}',
        '{"contactId": 99999999999999999999999, "message": "hi"}',
        '{"contactId": -1, "message": "hi"}',
        '{"contactId": true, "message": "hi"}',
        '{"contactId": "1", "message": ["hi"]}',
        '{"contactId": 1, "message": "hi", "mediaUrls": "https://media.example/a"}',
        '{"contactId": 1, "message": "hi", "mediaUrls": [null]}',
        '{"contactId": 1, "message": "' + "x" * 1601 + '"}',
        '{"contactId": 1, "message": "hi", "idempotencyKey": "' + "k" * 256 + '"}',
    ],
)
def test_send_with_odd_json_values_is_a_4xx_and_sends_nothing(org_a, body):
    before = api_snapshot()
    response = raw_call(org_a.user, "POST", "/api/sms/send", body)
    assert response.status_code in {400, 404}, response.content
    assert api_snapshot() == before
