"""The OpenAPI schema (/api/schema/), its docs (/api/docs/), the camelCase contract, and schemathesis.

Schemathesis 4 runs in-process against the Django WSGI application with a token user's
``Authorization`` header: for every operation, schema-valid (positive) and schema-violating
(negative) requests with generated ids, with the ids of the caller's own rows, and with ids of
another organization. It must find no 5xx, no undocumented status, no response body that does
not match the schema, and no invalid input accepted.
"""

from __future__ import annotations

import collections
import re
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from conversations.canned_services import canned_reply_create
from conversations.labels import label_create, saved_view_create
from conversations.services import contact_create
from messaging.broadcasts.services import broadcast_create, broadcast_pause
from messaging.models import Message
from messaging.services.outbound import message_send
from tests.api_client import ApiClient, build_tenant

# Examples per operation and id source (schema-valid, then schema-violating): about 1,300 requests. Drawing a
# schema-violating case costs Hypothesis several tries, so there are fewer of those; the run stays well under 60 s.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 12}


def get_schema(client: Client | None = None) -> dict[str, Any]:
    response = (client or Client()).get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3_with_no_warnings(db, capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.0.3")


def test_the_schema_documents_every_route_and_not_the_twilio_webhooks(db):
    schema = get_schema()
    documented = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    assert documented == {
        ("GET", "/api/contacts/"),
        ("POST", "/api/contacts/"),
        ("GET", "/api/contacts/{id}/"),
        ("PATCH", "/api/contacts/{id}/"),
        ("DELETE", "/api/contacts/{id}/"),
        ("POST", "/api/contacts/{id}/merge/"),
        ("POST", "/api/contacts/{id}/erase/"),
        ("GET", "/api/conversations/"),
        ("GET", "/api/conversations/{id}/"),
        ("PATCH", "/api/conversations/{id}/"),
        ("POST", "/api/conversations/{id}/read/"),
        ("GET", "/api/conversations/{id}/messages/"),
        ("POST", "/api/conversations/{id}/messages/"),
        ("GET", "/api/conversations/{id}/notes/"),
        ("POST", "/api/conversations/{id}/notes/"),
        ("POST", "/api/conversations/{id}/snooze/"),
        ("DELETE", "/api/conversations/{id}/snooze/"),
        ("GET", "/api/messages/{id}/"),
        ("PATCH", "/api/messages/{id}/"),
        ("DELETE", "/api/messages/{id}/"),
        ("POST", "/api/messages/retry/"),
        ("GET", "/api/messages/failed/"),
        ("GET", "/api/reports/summary/"),
        ("GET", "/api/reports/timeseries/"),
        ("POST", "/api/sms/send/"),
        ("GET", "/api/labels/"),
        ("POST", "/api/labels/"),
        ("PATCH", "/api/labels/{id}/"),
        ("DELETE", "/api/labels/{id}/"),
        ("GET", "/api/views/"),
        ("POST", "/api/views/"),
        ("PATCH", "/api/views/{id}/"),
        ("DELETE", "/api/views/{id}/"),
        ("GET", "/api/canned-replies/"),
        ("POST", "/api/canned-replies/"),
        ("GET", "/api/canned-replies/{id}/"),
        ("PATCH", "/api/canned-replies/{id}/"),
        ("DELETE", "/api/canned-replies/{id}/"),
        ("POST", "/api/broadcasts/"),
        ("GET", "/api/broadcasts/{id}/"),
        ("POST", "/api/broadcasts/{id}/pause/"),
        ("POST", "/api/broadcasts/{id}/resume/"),
        ("POST", "/api/broadcasts/{id}/cancel/"),
    }
    assert not [path for path in schema["paths"] if "twilio" in path]
    assert "/api/twilio/sms-incoming" in schema["info"]["description"]  # said to be out of scope, not forgotten
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            # organization API keys (apiKey) only where the operation has a scope (tests/web/api/test_api_keys.py)
            security = [s for s in operation["security"] if "apiKey" not in s]
            assert security == [{"tokenAuth": []}, {"cookieAuth": []}], (method, path)
            assert {"401", "404"} <= set(operation["responses"]), (method, path)
            if "{id}" in path:
                (id_parameter,) = [p for p in operation["parameters"] if p["in"] == "path"]
                assert (id_parameter["name"], id_parameter["schema"]["type"]) == ("id", "integer")
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def _property_names(schema: Any) -> list[str]:
    names = []
    if isinstance(schema, dict):
        names += list(schema.get("properties", {}))
        names += schema.get("required", [])
        for value in schema.values():
            names += _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names += _property_names(item)
    return names


def test_the_schema_is_camel_case_like_the_wire(db):
    schema = get_schema()
    names = _property_names(schema["components"]) + [
        parameter["name"]
        for methods in schema["paths"].values()
        for operation in methods.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]
    assert names
    assert [name for name in names if "_" in name] == []
    assert {"organizationId", "nextCursor", "mediaUrls", "optOutMethod"} <= set(names)


def test_the_send_route_speaks_camel_case_in_and_out_as_its_schema_says(org_a):
    """The seed's contract: ``contactId``, ``mediaUrls``, ``idempotencyKey`` in; ``messageId``… out."""
    schema = get_schema()
    send = schema["paths"]["/api/sms/send/"]["post"]
    components = schema["components"]["schemas"]
    request_schema = components[send["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    response_schema = components[
        send["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    ]
    assert set(request_schema["properties"]) == {
        "contactId",
        "message",
        "mediaUrls",
        "idempotencyKey",
        "organizationId",
        "lastSeenMessageId",  # the send guard (README, "Two staff, one customer")
        "confirm",
        "takeOver",
        "sendAt",  # send later (README, "Scheduled messages")
        "fromNumberId",  # the sending number (README, "Messaging Services and senders")
        "attachmentIds",  # uploads sent as MMS media (README, "Attachments")
    }
    assert set(response_schema["properties"]) == {"success", "messageId", "conversationId", "status"}

    maria = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    api = ApiClient(org_a.user)
    sent = api.post(
        "/api/sms/send",
        {"contactId": maria.pk, "message": "Ready", "mediaUrls": ["https://e.com/a.png"], "idempotencyKey": "k-1"},
    )
    assert sent.status_code == 201
    assert set(sent.json()) == set(response_schema["properties"])
    message = Message.objects.get(pk=sent.json()["messageId"])
    assert (message.body, message.idempotency_key, message.num_media) == ("Ready", "k-1", 1)
    refused = api.post("/api/sms/send", {"contactId": "x", "mediaUrls": ["https://e.com/a.png", "y" * 2001]})
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"contactId", "mediaUrls"}  # field names as the client wrote them
    assert refused.json()["fields"]["mediaUrls"] == {"1": ["Ensure this field has no more than 2000 characters."]}


def test_docs_are_swagger_ui_served_from_our_own_static_files(db, settings):
    settings.WHITENOISE_USE_FINDERS = True  # as under `runserver`; production serves them after collectstatic
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))]  # no CDN
    for url in assets:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
            assert client.get(url).status_code == 200, url
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema" in script.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]


# --- Schemathesis -------------------------------------------------------------------------------


# Each organization's label and saved view (by organization id), made by ``tenants``.
LABEL_AND_VIEW: dict[int, tuple[int, int]] = {}


@pytest.fixture
def tenants(org_a, org_b):
    """Organization A (the caller) and B, with the same numbers, built before the WSGI app takes over."""
    twilio = Client()
    own = build_tenant(org_a, twilio, contact_phone="+14155550101", spare_phone="+14155550102")
    foreign = build_tenant(org_b, twilio, contact_phone="+14155550101", spare_phone="+14155550102")
    for tenant in (own, foreign):
        label = label_create(organization=tenant.organization, name="VIP", color="purple")
        view = saved_view_create(organization=tenant.organization, owner=tenant.user, name="Open", status="open")
        LABEL_AND_VIEW[tenant.organization.pk] = (label.pk, view.pk)
        tenant.canned_reply = canned_reply_create(
            organization=tenant.organization, actor=tenant.user, name="Hours", shortcut="hours", body="9-5", shared=True
        )
        tenant.scheduled = message_send(  # waiting for its time: PATCH and DELETE /api/messages/{id}/ take it
            organization=tenant.organization,
            sender=tenant.user,
            contact=tenant.contact,
            body="Reminder",
            send_at=timezone.now() + timedelta(days=1),
        ).message
    return own, foreign


@pytest.fixture
def wsgi_schema(settings, tenants):
    """The schema, loaded from the real WSGI application that schemathesis then calls.

    Like Django's test client, the application must not close the database connection at the end
    of each request: the test's transaction lives on it (PostgreSQL would lose it). Django's test
    client puts that signal back after each of its requests, so nothing here uses it afterwards.
    """
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI client's host
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _broadcast(tenant, *, paused: bool = False):
    """A broadcast of the tenant's waiting for its time (a day on: nothing enqueued), paused if asked."""
    made = broadcast_create(
        organization=tenant.organization, user=tenant.user, body="Hi", contact_ids=[tenant.contact.pk],
        send_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    return broadcast_pause(broadcast=made, user=tenant.user) if paused else made


def _sources(operation, own, foreign) -> list[tuple[str, dict[str, Any]]]:
    """Where a run takes its ids from: generated ones, the caller's own rows, another organization's rows."""
    path = operation.path
    if path.endswith(("/merge/", "/erase/")):  # each its own contact, so the spare is left for the others
        merge = path.endswith("/merge/")
        extra = contact_create(organization=own.organization, phone="+14155550188" if merge else "+14155550189")
        mine = {"id": extra.pk, "into": own.spare.pk} if merge else {"id": extra.pk}
        return [("generated ids", {}), ("own extra contact", mine), ("foreign spare contact", {"id": foreign.spare.pk})]
    if path.startswith("/api/broadcasts/{id}/"):  # each operation its own broadcast (resume: a paused one)
        mine = _broadcast(own, paused=path.endswith("/resume/"))
        return [
            ("generated ids", {}),
            ("own broadcast", {"id": mine.pk}),
            ("foreign broadcast", {"id": _broadcast(foreign).pk}),
        ]
    if path == "/api/broadcasts/":
        return [("generated ids", {}), ("own contact", {"broadcastTo": own.contact.pk})]
    if "{id}" in path:
        if path.startswith("/api/contacts/"):
            rows = [("spare contact", own.spare.pk, foreign.spare.pk)]
        elif path.startswith("/api/conversations/"):
            rows = [("conversation", own.conversation.pk, foreign.conversation.pk)]
        elif path.startswith("/api/labels/"):
            rows = [("label", *(LABEL_AND_VIEW[t.organization.pk][0] for t in (own, foreign)))]
        elif path.startswith("/api/views/"):
            rows = [("view", *(LABEL_AND_VIEW[t.organization.pk][1] for t in (own, foreign)))]
        elif path.startswith("/api/canned-replies/"):
            rows = [("canned reply", own.canned_reply.pk, foreign.canned_reply.pk)]
        else:
            rows = [("inbound", own.inbound.pk, foreign.inbound.pk), ("outbound", own.outbound.pk, foreign.outbound.pk)]
            if operation.method.upper() in {"PATCH", "DELETE"}:
                rows.append(("scheduled", own.scheduled.pk, foreign.scheduled.pk))
        sources = [("generated ids", {})] + [
            source
            for name, mine, theirs in rows
            for source in ((f"own {name}", {"id": mine}), (f"foreign {name}", {"id": theirs}))
        ]
        if path in SENDS:
            sources.append(("own conversation, a text now", {"id": own.conversation.pk, "now": True}))
        return sources
    if path == "/api/sms/send/":
        return [
            ("generated ids", {}),
            ("own contact", {"contactId": own.contact.pk}),
            ("own contact, a text now", {"contactId": own.contact.pk, "now": True}),
            ("foreign contact", {"contactId": foreign.contact.pk}),
        ]
    return [("generated ids", {})]


# A generated ``sendAt`` is any string (or a time long past) and a generated ``mediaUrls`` rarely a URL: a positive
# run that keeps them reaches the refusals only, as often as not. These runs send a text now, so that the success
# path is reached whatever the generator draws; the other runs keep fuzzing both fields.
SENDS = {"/api/sms/send/", "/api/conversations/{id}/messages/"}
LATER = ("sendAt", "mediaUrls", "lastSeenMessageId")


def _strategy(operation, mode: GenerationMode, ids: dict[str, Any]):
    """Generated cases with a real id: ``id`` fixed in the path, or ``contactId`` put into the JSON body
    (in a negative case only where the generated one was a valid integer, so the case stays invalid)."""
    strategy = operation.as_strategy(generation_mode=mode, path_parameters={"id": ids["id"]} if "id" in ids else None)
    if ids.get("now") and mode is GenerationMode.POSITIVE:

        def now(case):
            if isinstance(case.body, dict):
                body = {k: v for k, v in case.body.items() if k not in LATER}
                text = str(body.get("message") or "").replace("\x00", "").replace("[[", "[")
                body["message"] = text if text.strip() else "Hello"  # blank, NUL and [[…]] are refusals of their own
                case.body = body
            return case

        strategy = strategy.map(now)
    if "broadcastTo" in ids:  # a broadcast to the caller's own contact, in a positive case

        def with_recipient(case):
            if mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
                body = {k: v for k, v in case.body.items() if k not in ("sendAt", "numbers", "labels")}
                case.body = {**body, "message": "Hello", "contactIds": [ids["broadcastTo"]], "organizationId": None}
            return case

        return strategy.map(with_recipient)
    if "into" in ids:  # a merge: the contact kept, in a positive case

        def with_into(case):
            if mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
                case.body = {**case.body, "into": ids["into"]}
            return case

        return strategy.map(with_into)
    if "contactId" not in ids:
        return strategy

    def with_contact(case):
        body = case.body
        if mode is GenerationMode.POSITIVE and isinstance(body, dict):
            case.body = {**body, "contactId": ids["contactId"], "organizationId": None}
        elif isinstance(body, dict) and type(body.get("contactId")) is int:
            case.body = {**body, "contactId": ids["contactId"]}
        return case

    return strategy.map(with_contact)


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_schema(tenants, wsgi_schema):
    own, foreign = tenants
    headers = {"Authorization": f"Token {Token.objects.create(user=own.user).key}"}
    requests: collections.Counter = collections.Counter()
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: list[str] = []
    foreign_answers: list[str] = []

    def fuzz(operation, mode: GenerationMode, source: str, strategy) -> None:
        checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
        if mode is GenerationMode.NEGATIVE:
            checks.append(negative_data_rejection)

        @hypothesis.settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.given(case=strategy)
        def run(case) -> None:
            requests[operation.label] += 1
            try:
                response = case.call_and_validate(headers=headers, checks=checks)
            except (AssertionError, BaseExceptionGroup) as failure:  # collected, so every operation still runs
                failures.append(f"{operation.label} [{mode.value}, {source}]: {failure}")
                return
            statuses[operation.label][response.status_code] += 1
            if source.startswith("foreign") and response.status_code not in (400, 404):
                foreign_answers.append(f"{operation.label} [{mode.value}, {source}] -> {response.status_code}")

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            # A negative run with a fixed id and no other input (GET /api/messages/{id}/) has nothing to break.
            assert mode is GenerationMode.NEGATIVE, operation.label
            assert source != "generated ids", operation.label

    operations = [result.ok() for result in wsgi_schema.get_all_operations()]
    assert len(operations) == 43
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")  # deletions last
    for operation in operations:
        for source, ids in _sources(operation, own, foreign):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode, source, _strategy(operation, mode, ids))
        examples = wsgi_schema.get_strategies_from_examples(operation)
        if examples:
            fuzz(operation, GenerationMode.POSITIVE, "schema examples", hypothesis.strategies.one_of(examples))

    print(f"\nschemathesis: {len(operations)} operations, {sum(requests.values())} requests, {len(failures)} failures")
    for label, codes in sorted(statuses.items()):
        print(f"  {label}: {requests[label]} requests, statuses {dict(sorted(codes.items()))}")
    assert failures == [], "\n\n".join(failures[:5])
    assert foreign_answers == []
    for operation in operations:  # the runs reached the success paths, not only the refusals
        assert any(200 <= code < 300 for code in statuses[operation.label]), operation.label
