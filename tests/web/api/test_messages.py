"""Reading messages through the API: a thread's cursor pages (GET next to the reply POST) and one message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conversations.models import ConversationEvent
from conversations.services import contact_create, note_create
from messaging.models import Message
from messaging.payloads import message_payload
from messaging.services.outbound import message_send
from smsinbox.casing import to_camel
from tests.api_client import ApiClient, build_tenant
from tests.twilio_posts import post_inbound

MEDIA_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


def thread_path(tenant) -> str:
    return f"/api/conversations/{tenant.conversation.pk}/messages/"


def _inbound_media(tenant) -> list[dict]:
    """The fixture's inbound MMS's one picture, as the API shows it."""
    url = f"/media/{tenant.inbound.pk}/0/"
    return [{"position": 0, "url": url, "contentType": "image/jpeg", "kind": "image", "description": "Image"}]


def test_a_thread_lists_oldest_first_with_media(api, tenant):
    body = api.get(thread_path(tenant)).json()
    assert (body["nextCursor"], body["next"]) == (None, None)
    inbound, assigned, outbound = body["results"]
    assert (inbound["id"], outbound["id"]) == (tenant.inbound.pk, tenant.outbound.pk)
    assert (assigned["kind"], assigned["event"]) == ("event", "assigned")  # the reply assigned it to its sender
    assert (inbound["direction"], inbound["body"], inbound["status"], inbound["numMedia"]) == (
        "in",
        "Is my order ready?",
        "received",
        1,
    )
    # our authenticated proxy, never Twilio's URL (which needs the account's credentials)
    assert inbound["media"] == _inbound_media(tenant)
    assert (outbound["direction"], outbound["status"], outbound["sentById"], outbound["media"]) == (
        "out",
        "delivered",
        tenant.user.pk,
        [],
    )
    assert outbound["deliveredAt"] is not None


def test_thread_pages_start_with_the_newest_and_go_back_in_time(api, tenant):
    for i in range(5):
        message_send(organization=tenant.organization, sender=tenant.user, contact=tenant.contact, body=f"#{i}")
    # the messages and the one activity event (the first reply assigned the thread), in time order
    everything = sorted(
        [(m.created_at, 0, "message", m.pk) for m in Message.objects.filter(conversation=tenant.conversation)]
        + [(e.created_at, 2, "event", e.pk) for e in ConversationEvent.objects.filter(conversation=tenant.conversation)]
    )
    everything = [(kind, pk) for _, _, kind, pk in everything]
    assert len(everything) == 8

    def items(page: dict) -> list[tuple[str, int]]:
        return [(m["kind"], m["id"]) for m in page["results"]]

    first = api.get(f"{thread_path(tenant)}?limit=3").json()
    assert items(first) == everything[-3:]  # newest three, oldest first
    second = api.get(first["next"]).json()
    assert items(second) == everything[-6:-3]
    third = api.get(f"{thread_path(tenant)}?limit=3&cursor={second['nextCursor']}").json()
    assert items(third) == everything[:2]
    assert third["nextCursor"] is None


def test_get_and_post_share_the_thread_route(api, tenant):
    path = thread_path(tenant)
    sent = api.post(path, {"message": "On its way"})
    assert sent.status_code == 201
    listed = api.get(path.rstrip("/")).json()["results"]
    assert listed[-1]["id"] == sent.json()["messageId"]
    assert listed[-1]["body"] == "On its way"
    refused = api.call("PUT", path, {"message": "x"})
    assert (refused.status_code, refused["Allow"]) == (405, "GET, POST, HEAD, OPTIONS")
    assert api.call("OPTIONS", path).status_code == 200


def test_a_message_with_its_media_and_events(api, tenant):
    inbound = api.get(f"/api/messages/{tenant.inbound.pk}/").json()
    assert inbound["media"] == _inbound_media(tenant)
    assert [e["eventType"] for e in inbound["events"]] == ["received"]
    assert inbound["events"][0]["payload"]["Body"] == "Is my order ready?"
    outbound = api.get(f"/api/messages/{tenant.outbound.pk}").json()
    assert [(e["eventType"], e["status"]) for e in outbound["events"]] == [
        ("created", "pending"),
        ("status_callback", "delivered"),
    ]
    assert set(outbound["events"][0]) == {
        "id",
        "eventType",
        "status",
        "errorCode",
        "errorMessage",
        "payload",
        "createdAt",
    }


def test_a_failed_message_explains_its_error(api, tenant):
    from tests.twilio_posts import new_sid, post_status

    sent = message_send(organization=tenant.organization, sender=tenant.user, contact=tenant.contact, body="x")
    post_status(Client(), message_id=sent.message.pk, sid=new_sid(), status="undelivered", ErrorCode="30003")
    body = api.get(f"/api/messages/{sent.message.pk}/").json()
    assert (body["status"], body["errorCode"]) == ("undelivered", 30003)
    assert "unreachable" in body["errorMessage"]


def test_a_message_reads_as_the_live_inbox_payload(api, tenant):
    message = Message.objects.select_related("sent_by").get(pk=tenant.outbound.pk)
    body = api.get(f"/api/messages/{message.pk}/").json()
    payload = {to_camel(key): value for key, value in message_payload(message).items()}
    shared = set(body) & set(payload) - {"media"}  # the API gives media as it is stored, with its URL
    assert shared >= {"id", "conversationId", "direction", "body", "status", "sentById", "createdAt", "deliveredAt"}
    assert {key: body[key] for key in shared} == {key: payload[key] for key in shared}


def test_unknown_message_and_thread_are_404(api, tenant):
    assert api.get("/api/messages/999999/").status_code == 404
    assert api.get("/api/messages/99999999999999999999999/").status_code == 404
    assert api.get("/api/conversations/999999/messages/").status_code == 404


def test_thread_list_queries_do_not_grow_with_messages_or_media(api, tenant, org_a):
    note_create(conversation=tenant.conversation, author=tenant.user, body=f"first note @{tenant.user.username}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"{thread_path(tenant)}?limit=100").status_code == 200
        return len(queries)

    few = count()
    number = str(org_a.organization.phone_numbers.get().number)
    twilio = Client()
    for i in range(15):
        post_inbound(
            twilio,
            to=number,
            from_="+14155550101",
            body=f"photo {i}",
            media=[(f"{MEDIA_URL}{i}", "image/png"), (f"{MEDIA_URL}{i}b", "image/gif")],
        )
        message_send(
            organization=tenant.organization,
            sender=tenant.user,
            contact=tenant.contact,
            body=f"ok {i}",
            media_urls=[f"https://example.com/{i}.png"],
        )
        note_create(conversation=tenant.conversation, author=tenant.user, body=f"note {i} @{tenant.user.username}")
    assert Message.objects.filter(conversation=tenant.conversation).count() == 32
    # token, memberships, conversation, its labels, the page's messages, their media, its notes, their mentions,
    # its activity events
    assert count() == few <= 9


def test_message_detail_queries_do_not_grow_with_events(api, tenant):
    contact = contact_create(organization=tenant.organization, phone="+14155550150")
    sent = message_send(organization=tenant.organization, sender=tenant.user, contact=contact, body="hi").message
    with CaptureQueriesContext(connection) as few:
        api.get(f"/api/messages/{sent.pk}/")
    with CaptureQueriesContext(connection) as many:
        api.get(f"/api/messages/{tenant.outbound.pk}/")  # more events
    assert len(many) == len(few)
