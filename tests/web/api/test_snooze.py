"""Snooze through the API: ``POST``/``DELETE /api/conversations/{id}/snooze``, and the payload's fields."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conversations.models import Conversation
from conversations.snooze import conversations_wake_due
from tests.api_client import ApiClient, build_tenant


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


def path(tenant) -> str:
    return f"/api/conversations/{tenant.conversation.pk}/snooze"


def test_snooze_until_a_time_with_an_offset_and_unsnooze(api, tenant):
    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0).astimezone(timezone.get_fixed_timezone(-300))
    response = api.post(path(tenant), {"until": until.isoformat()})
    assert response.status_code == 200, response.content
    row = response.json()
    assert (row["status"], row["snoozeUntilReply"]) == ("snoozed", False)
    assert datetime.fromisoformat(row["snoozedUntil"]) == until
    assert api.get(f"/api/conversations/{tenant.conversation.pk}/").json()["snoozedUntil"] == row["snoozedUntil"]
    listed = api.get("/api/conversations/?status=snoozed").json()["results"]
    assert [c["id"] for c in listed] == [tenant.conversation.pk]
    assert api.get("/api/conversations/?status=open").json()["results"] == []
    response = api.delete(path(tenant))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["snoozedUntil"]) == ("open", None)


def test_snooze_until_reply_then_the_sweep_leaves_it(api, tenant):
    row = api.post(path(tenant), {"untilReply": True}).json()
    assert (row["status"], row["snoozedUntil"], row["snoozeUntilReply"]) == ("snoozed", None, True)
    conversations_wake_due(now=timezone.now() + timedelta(days=30))
    assert Conversation.objects.get(pk=tenant.conversation.pk).status == "snoozed"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"until": "2020-01-01T09:00:00+00:00"}, "in the past"),
        ({"until": "2099-01-01T09:00:00"}, "offset"),
        ({"until": "next tuesday"}, "ISO 8601"),
        ({"until": 5}, ""),
        ({}, "one of the two"),
        ({"untilReply": False}, "one of the two"),
        ({"untilReply": "yes"}, ""),
        ({"untilReply": True, "until": "2099-01-01T09:00:00+00:00"}, "one of the two"),
    ],
)
def test_bad_input_is_a_clear_400_that_changes_nothing(api, tenant, body, words):
    response = api.post(path(tenant), body)
    assert response.status_code == 400, response.content
    assert words in response.json()["error"]
    assert Conversation.objects.get(pk=tenant.conversation.pk).status == "open"


def test_the_status_field_cannot_snooze(api, tenant):
    response = api.patch(f"/api/conversations/{tenant.conversation.pk}/", {"status": "snoozed"})
    assert response.status_code == 400


def test_another_organizations_conversation_is_a_404(api, org_b):
    other = build_tenant(org_b, Client(), contact_phone="+14155550101", spare_phone="+14155550102")
    assert api.post(f"/api/conversations/{other.conversation.pk}/snooze", {"untilReply": True}).status_code == 404
    assert api.delete(f"/api/conversations/{other.conversation.pk}/snooze").status_code == 404
    assert Conversation.objects.get(pk=other.conversation.pk).status == "open"
