"""Activity events in the thread listing (``GET /api/conversations/{id}/messages/``, ``kind: "event"``): their shape,
pages across the three kinds, another organization's thread a 404, and a query count flat as events grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conversations.models import ConversationEvent
from conversations.services import conversation_assign, conversation_set_status, note_create
from messaging.models import Message
from tests.api_client import ApiClient, build_tenant


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


def path(tenant) -> str:
    return f"/api/conversations/{tenant.conversation.pk}/messages/"


def test_an_event_reads_as_its_live_payload(api, tenant):
    conversation_set_status(conversation=tenant.conversation, status="closed", by_user_id=tenant.user.pk)
    closed = ConversationEvent.objects.get(kind="closed")
    item = api.get(path(tenant)).json()["results"][-1]
    assert item == {
        "id": closed.pk,
        "kind": "event",
        "event": "closed",
        "organizationId": tenant.organization.pk,
        "conversationId": tenant.conversation.pk,
        "actorId": tenant.user.pk,
        "actorName": "alice",
        "text": "alice closed this",
        "parts": {"before": "alice closed this", "at": None, "after": ""},
        "data": {"by": "alice"},
        "createdAt": item["createdAt"],
    }
    assert item["createdAt"].startswith(closed.created_at.strftime("%Y-%m-%dT%H:%M:%S"))


def test_pages_cover_messages_notes_and_events_once(api, tenant):
    for i in range(4):
        note_create(conversation=tenant.conversation, author=tenant.user, body=f"n{i}")
        conversation_set_status(
            conversation=tenant.conversation, status="closed" if i % 2 == 0 else "open", by_user_id=tenant.user.pk
        )
    rank = {"message": 0, "note": 1, "event": 2}
    expected = sorted(
        [("message", m.pk, m.created_at) for m in Message.objects.filter(conversation=tenant.conversation)]
        + [("note", n.pk, n.created_at) for n in tenant.conversation.notes.all()]
        + [("event", e.pk, e.created_at) for e in tenant.conversation.events.all()],
        key=lambda item: (item[2], rank[item[0]], item[1]),
    )
    for limit in (1, 3, 5):
        seen: list[tuple[str, int]] = []
        url = f"{path(tenant)}?limit={limit}"
        while url:
            page = api.get(url).json()
            seen = [(i["kind"], i["id"]) for i in page["results"]] + seen
            url = page["next"]
        assert seen == [(kind, pk) for kind, pk, _ in expected], limit


def test_another_organizations_thread_is_404(org_b, tenant):
    conversation_set_status(conversation=tenant.conversation, status="closed", by_user_id=tenant.user.pk)
    assert ApiClient(org_b.user).get(path(tenant)).status_code == 404


def test_the_listing_costs_the_same_queries_however_many_events(api, tenant, org_a):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{path(tenant)}?limit=100")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    few, shown = count()
    for i in range(10):
        conversation_assign(conversation=tenant.conversation, assignee_id=None if i % 2 else tenant.user.pk)
    many, shown_many = count()
    assert shown_many >= shown + 9
    assert many == few
