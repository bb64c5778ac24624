"""The contacts and conversations API: /api/contacts/… and /api/conversations/…, camelCase, cursor pages."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conversations.models import Contact, Conversation
from conversations.payloads import conversation_payload
from conversations.services import (
    contact_create,
    conversation_assign,
    conversation_get_or_create,
    conversation_set_status,
)
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.casing import to_camel
from smsinbox.models import Membership, User
from smsinbox.web.api.conversations import ConversationSerializer
from tests.api_client import ApiClient
from tests.twilio_posts import post_inbound

CONTACTS = "/api/contacts/"
CONVERSATIONS = "/api/conversations/"


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


def walk(api: ApiClient, path: str) -> tuple[list[dict], int]:
    """Every row of a list, following ``next``; and how many pages it took."""
    rows, pages, url = [], 0, path
    while url:
        body = api.get(url).json()
        assert set(body) == {"results", "nextCursor", "next"}
        rows += body["results"]
        pages += 1
        url = body["next"]
        assert (body["nextCursor"] is None) == (url is None)
    return rows, pages


# --- Contacts ---------------------------------------------------------------------------------------


def test_create_stores_the_number_in_e164_and_answers_in_camel_case(api, org_a):
    response = api.post(CONTACTS, {"phone": "(415) 555-0101", "firstName": "  Maria ", "lastName": "Lopez"})
    assert response.status_code == 201
    contact = Contact.objects.get()
    assert (str(contact.phone), contact.first_name, contact.organization_id) == (
        "+14155550101",
        "Maria",
        org_a.organization.pk,
    )
    body = response.json()
    assert body == {
        "id": contact.pk,
        "organizationId": org_a.organization.pk,
        "phone": "+14155550101",
        "phoneDisplay": "(415) 555-0101",
        "firstName": "Maria",
        "lastName": "Lopez",
        "displayName": "Maria Lopez",
        "notes": "",
        "optedOut": False,
        "optedOutAt": None,
        "optOutMethod": "",
        "lineType": "",
        "lineTypeCheckedAt": None,
        "createdAt": body["createdAt"],
        "updatedAt": body["updatedAt"],
        "labels": [],
    }
    assert body["createdAt"].endswith("Z")


def test_a_duplicate_number_in_any_format_is_a_400_naming_the_existing_contact(api, org_a):
    maria = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    response = api.post(CONTACTS, {"phone": "415.555.0101", "firstName": "Other"})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("duplicate", "phone")
    assert f"already saved as Maria (contact #{maria.pk})" in body["error"]
    assert Contact.objects.count() == 1


def test_the_same_number_in_another_organization_is_not_a_duplicate(api, org_a, org_b):
    contact_create(organization=org_b.organization, phone="+14155550101")
    assert api.post(CONTACTS, {"phone": "+14155550101"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "phone"),
        ({"phone": ""}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"phone": "+1 555"}, "phone"),
        ({"phone": "+14155550101", "firstName": "x" * 101}, "firstName"),
        ({"phone": "+14155550101", "lastName": "nul\x00byte"}, "lastName"),
        ({"phone": ["+14155550101"]}, "phone"),
        ({"phone": "+14155550101", "organizationId": "abc"}, "organizationId"),
    ],
)
def test_bad_contact_input_is_a_400_naming_the_field_and_saves_nothing(api, body, field):
    response = api.post(CONTACTS, body)
    assert response.status_code == 400
    error = response.json()
    assert error.get("field") == field or field in error.get("fields", {})
    assert not Contact.objects.exists()


@pytest.mark.parametrize("raw", ["[1, 2]", "null", '"text"', "{not json"])
def test_a_body_that_is_not_an_object_is_a_400(org_a, raw):
    response = ApiClient(org_a.user).client.post(CONTACTS, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


def test_the_trailing_slash_is_optional_even_for_posts(api):
    assert api.post("/api/contacts", {"phone": "+14155550101"}).status_code == 201
    assert api.get("/api/contacts").status_code == 200


def test_contacts_list_by_name_and_search_by_name_or_number_in_any_format(api, org_a):
    organization = org_a.organization
    zed = contact_create(organization=organization, phone="+14155550103", first_name="Zed", last_name="Adams")
    maria = contact_create(organization=organization, phone="+14155550101", first_name="Maria", last_name="Lopez")
    anon = contact_create(organization=organization, phone="+442071838750")
    rows = api.get(CONTACTS).json()["results"]
    assert [row["id"] for row in rows] == [anon.pk, zed.pk, maria.pk]  # last name, first name (blank first)
    assert rows[0]["displayName"] == "+44 20 7183 8750"
    for q in ("maria", "lop mar", "(415) 555-0101", "415-555-0101", "+1 415 555 0101", "4155550101", "0101"):
        assert [row["id"] for row in api.get(f"{CONTACTS}?q={q}").json()["results"]] == [maria.pk], q
    assert api.get(f"{CONTACTS}?q=nobody").json()["results"] == []


def test_contacts_pages_walk_every_contact_once(api, org_a):
    names = ["Ann", "Bob", "Cy", "Di", "Ed", "Flo", "Gus"]
    created = [
        contact_create(organization=org_a.organization, phone=f"+1415555{i:04d}", first_name=n, last_name="Same")
        for i, n in enumerate(names, start=101)
    ]
    rows, pages = walk(api, f"{CONTACTS}?limit=3")
    assert [row["id"] for row in rows] == [c.pk for c in created]
    assert pages == 3


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "cursor=garbage", "cursor=" + "x" * 1001, "q=" + "x" * 201]
)
def test_bad_list_parameters_are_a_400(api, query):
    response = api.get(f"{CONTACTS}?{query}")
    assert response.status_code == 400
    assert response.json()["fields"]


def test_a_cursor_of_another_list_is_refused(api, org_a):
    organization = org_a.organization
    for i in range(3):
        contact = contact_create(organization=organization, phone=f"+141555502{i:02d}")
        conversation_get_or_create(
            organization=organization, contact=contact, phone_number=organization.phone_numbers.get()
        )
    conversations_cursor = api.get(f"{CONVERSATIONS}?limit=1").json()["nextCursor"]
    contacts_cursor = api.get(f"{CONTACTS}?limit=1").json()["nextCursor"]
    assert api.get(f"{CONTACTS}?cursor={contacts_cursor}").status_code == 200
    assert api.get(f"{CONVERSATIONS}?cursor={conversations_cursor}").status_code == 200
    assert api.get(f"{CONTACTS}?cursor={conversations_cursor}").status_code == 400
    assert api.get(f"{CONVERSATIONS}?cursor={contacts_cursor}").status_code == 400


def test_rename_and_renumber_a_contact(api, org_a):
    sam = contact_create(organization=org_a.organization, phone="+14155550102", first_name="Sam")
    response = api.patch(f"{CONTACTS}{sam.pk}/", {"firstName": "Samuel", "phone": "415 555 0109"})
    assert response.status_code == 200
    assert (response.json()["firstName"], response.json()["phone"]) == ("Samuel", "+14155550109")
    sam.refresh_from_db()
    assert (sam.first_name, str(sam.phone)) == ("Samuel", "+14155550109")
    assert api.patch(f"{CONTACTS}{sam.pk}/", {}).json()["firstName"] == "Samuel"


def test_notes_about_a_contact_are_read_and_written_through_the_api(api, org_a):
    sam = contact_create(organization=org_a.organization, phone="+14155550102", first_name="Sam")
    assert api.get(f"{CONTACTS}{sam.pk}/").json()["notes"] == ""
    written = api.patch(f"{CONTACTS}{sam.pk}/", {"notes": "<b>Prefers</b> mornings"})
    assert written.status_code == 200
    assert written.json()["notes"] == "<b>Prefers</b> mornings"  # text, stored as typed
    too_long = api.patch(f"{CONTACTS}{sam.pk}/", {"notes": "x" * 2001})
    assert too_long.status_code == 400
    assert "at most 2000 characters" in too_long.json()["error"]
    assert api.patch(f"{CONTACTS}{sam.pk}/", {"notes": 5}).status_code == 400
    sam.refresh_from_db()
    assert sam.notes == "<b>Prefers</b> mornings"


def test_renumbering_onto_another_contact_or_under_a_conversation_is_refused(api, org_a, conversation_a):
    contact = conversation_a.contact
    sam = contact_create(organization=org_a.organization, phone="+14155550102", first_name="Sam")
    duplicate = api.patch(f"{CONTACTS}{sam.pk}/", {"phone": str(contact.phone)})
    assert duplicate.status_code == 400
    assert f"(contact #{contact.pk})" in duplicate.json()["error"]
    in_use = api.patch(f"{CONTACTS}{contact.pk}/", {"phone": "+14155550199"})
    assert in_use.status_code == 400
    assert "already has a conversation" in in_use.json()["error"]
    assert api.patch(f"{CONTACTS}{sam.pk}/", {"phone": "12"}).status_code == 400
    sam.refresh_from_db()
    assert str(sam.phone) == "+14155550102"


def test_delete_a_contact_with_their_conversation(api, conversation_a):
    contact = conversation_a.contact
    assert api.get(f"{CONTACTS}{contact.pk}/").json()["id"] == contact.pk
    response = api.delete(f"{CONTACTS}{contact.pk}/")
    assert (response.status_code, response.content) == (204, b"")
    assert not Contact.objects.exists()
    assert not Conversation.objects.exists()
    assert api.get(f"{CONTACTS}{contact.pk}/").status_code == 404


def test_a_method_no_class_answers_is_a_405_naming_the_paths_methods(api, conversation_a):
    response = api.call("PUT", f"{CONTACTS}{conversation_a.contact.pk}/", {"firstName": "x"})
    assert response.status_code == 405
    assert response.json() == {"error": 'Method "PUT" not allowed.'}
    assert response["Allow"] == "GET, PATCH, DELETE, HEAD, OPTIONS"
    assert api.call("HEAD", f"{CONTACTS}{conversation_a.contact.pk}/").status_code == 200


def test_session_writes_through_shared_routes_need_the_csrf_token(org_a, conversation_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org_a.user)
    path = f"{CONTACTS}{conversation_a.contact.pk}/"
    assert browser.get(path).status_code == 200
    refused = browser.patch(path, data=json.dumps({"firstName": "Eve"}), content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    secret = "s" * 32
    browser.cookies["csrftoken"] = secret
    allowed = browser.patch(
        path, data=json.dumps({"firstName": "Eve"}), content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert (allowed.status_code, allowed.json()["firstName"]) == (200, "Eve")


def test_unknown_api_paths_are_a_json_404(api):
    for path in ("/api/nothing", "/api/contacts/abc/", "/api/contacts/1/extra"):
        response = api.get(path)
        assert (response.status_code, response.json()) == (404, {"error": "Not found."})


def test_contacts_list_queries_do_not_grow_with_rows(api, org_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"{CONTACTS}?limit=100").status_code == 200
        return len(queries)

    contact_create(organization=org_a.organization, phone="+14155550100")
    few = count()
    for i in range(40):
        contact_create(organization=org_a.organization, phone=f"+141555502{i:02d}", first_name=f"N{i}")
    assert count() == few <= 4  # token, membership, one page, its labels


# --- Conversations ----------------------------------------------------------------------------------


@pytest.fixture
def inbox(org_a):
    """Three threads: Maria (unread, open, unassigned), Bob (closed, assigned to alice), Cy (open, to Dan)."""
    organization = org_a.organization
    number = organization.phone_numbers.get()
    dan = User.objects.create_user("dan", password="pw-dan-1")
    Membership.objects.create(user=dan, organization=organization)
    twilio = Client()
    maria = contact_create(organization=organization, phone="+14155550101", first_name="Maria", last_name="Lopez")
    bob = contact_create(organization=organization, phone="+14155550102", first_name="Bob")
    cy = contact_create(organization=organization, phone="+14155550103", first_name="Cy")
    threads = {}
    for contact in (bob, cy):
        threads[contact.first_name], _ = conversation_get_or_create(
            organization=organization, contact=contact, phone_number=number
        )
        message_send(organization=organization, sender=org_a.user, contact=contact, body=f"Hi {contact.first_name}")
    post_inbound(twilio, to=str(number.number), from_="+14155550101", body="Where is the parcel?")
    threads["Maria"] = Conversation.objects.get(contact=maria)
    conversation_set_status(conversation=threads["Bob"], status="closed")
    conversation_assign(conversation=threads["Bob"], assignee_id=org_a.user.pk)
    conversation_assign(conversation=threads["Cy"], assignee_id=dan.pk)
    threads["dan"] = dan
    return threads


def ids(api: ApiClient, query: str = "") -> list[int]:
    response = api.get(f"{CONVERSATIONS}{query}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_conversations_newest_activity_first_with_each_filter(api, inbox):
    maria, bob, cy = inbox["Maria"], inbox["Bob"], inbox["Cy"]
    assert ids(api) == [maria.pk, cy.pk, bob.pk]
    assert ids(api, "?status=open") == [maria.pk, cy.pk]
    assert ids(api, "?status=closed") == [bob.pk]
    assert ids(api, "?unread=true") == [maria.pk]
    assert ids(api, "?unread=false") == [cy.pk, bob.pk]
    assert ids(api, "?assigned=me") == [bob.pk]
    assert ids(api, "?assigned=unassigned") == [maria.pk]
    assert ids(api, f"?assigned={inbox['dan'].pk}") == [cy.pk]
    assert ids(api, "?status=open&assigned=me") == []
    assert ids(api, "?q=parcel") == [maria.pk]  # message text
    assert ids(api, "?q=(415) 555-0102") == [bob.pk]  # number in any format
    assert ids(api, "?q=lopez maria") == [maria.pk]  # every word of the name
    assert ids(api, "?q=Hi&status=open") == [cy.pk]


@pytest.mark.parametrize("query", ["status=archived", "unread=maybe", "assigned=bob", "assigned=0", "assigned=1x"])
def test_bad_conversation_filters_are_a_400(api, inbox, query):
    response = api.get(f"{CONVERSATIONS}?{query}")
    assert response.status_code == 400
    assert response.json()["fields"]


def test_conversation_pages_walk_every_thread_once(api, inbox):
    rows, pages = walk(api, f"{CONVERSATIONS}?limit=2")
    assert [row["id"] for row in rows] == [inbox["Maria"].pk, inbox["Cy"].pk, inbox["Bob"].pk]
    assert pages == 2


def test_a_conversation_reads_as_the_live_inbox_payload(api, inbox):
    maria = Conversation.objects.select_related("contact", "assignee").get(pk=inbox["Maria"].pk)
    body = api.get(f"{CONVERSATIONS}{maria.pk}/").json()
    payload = {to_camel(key): value for key, value in conversation_payload(maria).items()}
    payload.setdefault("organizationId", maria.organization_id)
    assert {key: payload[key] for key in body} == body  # the API says what the websocket says
    assert (body["contactName"], body["unreadCount"], body["status"]) == ("Maria Lopez", 1, "open")
    assert set(body) == {to_camel(name) for name in ConversationSerializer().fields}


def test_close_assign_reopen_and_unassign(api, org_a, inbox):
    path = f"{CONVERSATIONS}{inbox['Maria'].pk}/"
    body = api.patch(path, {"status": "closed", "assigneeId": org_a.user.pk}).json()
    assert (body["status"], body["assigneeId"], body["assigneeName"]) == ("closed", org_a.user.pk, "alice")
    body = api.patch(path, {"status": "open", "assigneeId": None}).json()
    assert (body["status"], body["assigneeId"], body["assigneeName"]) == ("open", None, "")
    assert api.patch(path, {}).json()["status"] == "open"
    conversation = Conversation.objects.get(pk=inbox["Maria"].pk)
    assert (conversation.status, conversation.assignee_id) == ("open", None)


def test_a_changed_conversation_answers_as_stored_version_included(api, org_a, inbox):
    maria = inbox["Maria"]
    before = Conversation.objects.get(pk=maria.pk).version
    body = api.patch(f"{CONVERSATIONS}{maria.pk}/", {"status": "closed", "assigneeId": org_a.user.pk}).json()
    stored = Conversation.objects.select_related("contact", "assignee").get(pk=maria.pk)
    assert body == {to_camel(key): value for key, value in conversation_payload(stored).items()}
    assert body["version"] == before + 2  # assigned, then closed: two updates


@pytest.mark.parametrize(
    "body", [{"status": "archived"}, {"assigneeId": "me"}, {"assigneeId": 0}, {"status": None}, ["closed"]]
)
def test_bad_conversation_changes_are_a_400(api, inbox, body):
    assert api.patch(f"{CONVERSATIONS}{inbox['Maria'].pk}/", body).status_code == 400


def test_assigning_to_someone_outside_the_organization_changes_nothing(api, org_b, inbox):
    path = f"{CONVERSATIONS}{inbox['Maria'].pk}/"
    response = api.patch(path, {"status": "closed", "assigneeId": org_b.user.pk})
    assert response.status_code == 400
    assert response.json()["field"] == "assignee"
    conversation = Conversation.objects.get(pk=inbox["Maria"].pk)
    assert (conversation.status, conversation.assignee_id) == ("open", None)  # all or nothing


def test_mark_read(api, inbox):
    maria = inbox["Maria"]
    for _ in range(2):  # marking a read thread read again is fine
        response = api.post(f"{CONVERSATIONS}{maria.pk}/read")
        assert (response.status_code, response.json()["unreadCount"]) == (200, 0)
        assert response.json()["version"] == Conversation.objects.get(pk=maria.pk).version
    assert Conversation.objects.get(pk=maria.pk).unread_count == 0
    assert Message.objects.filter(conversation=maria).count() == 1


def test_conversations_list_queries_do_not_grow_with_rows(api, org_a, inbox):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"{CONVERSATIONS}?limit=100&q=Hi").status_code == 200
            assert api.get(f"{CONVERSATIONS}?limit=100").status_code == 200
        return len(queries)

    few = count()
    organization = org_a.organization
    for i in range(30):
        contact = contact_create(organization=organization, phone=f"+141555502{i:02d}", first_name=f"P{i}")
        result = message_send(organization=organization, sender=org_a.user, contact=contact, body="Hi there")
        conversation_assign(conversation=result.message.conversation, assignee_id=inbox["dan"].pk if i % 2 else None)
    assert count() == few <= 8  # per call: token, membership, one page (contacts and assignees joined), its labels


def test_a_contacts_line_type_is_in_its_payload(api, org_a):
    from django.utils import timezone

    contact = contact_create(organization=org_a.organization, phone="+15005550020")
    Contact.objects.filter(pk=contact.pk).update(line_type="landline", line_type_checked_at=timezone.now())
    body = api.get(f"{CONTACTS}{contact.pk}").json()
    assert body["lineType"] == "landline"
    assert body["lineTypeCheckedAt"].endswith("Z")
