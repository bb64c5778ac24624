"""Organization API keys on the REST API: every operation with exactly its scope succeeds, without it is a 403
naming the scope; staff-only operations are refused to keys; revoked, expired and unknown keys are 401; the
schema documents the scheme and each operation's scope; writes are audited as the key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from messaging.models import Message
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import Scope
from smsinbox.integrations.models import ApiKey, ApiKeyAction
from smsinbox.integrations.services import api_key_create, api_key_revoke
from smsinbox.web.api.keys import SCOPES, scope_for
from tests.api_client import ApiClient
from tests.test_api_isolation import ROUTES, _send, tenants  # noqa: F401 - the fixture

ALL = [s.value for s in Scope]


def key(tenant, scopes, **kwargs) -> ApiClient:
    _, secret = api_key_create(organization=tenant.organization, actor=tenant.user, name="CRM", scopes=scopes, **kwargs)
    return ApiClient(Authorization=f"Bearer {secret}")


def scope_of(call) -> Scope | None:
    method, path, _ = call
    found = scope_for(resolve(path.split("?")[0]).url_name, method)
    assert found is not False, f"{method} {path} is not in smsinbox.web.api.keys.SCOPES"
    return found


@pytest.mark.parametrize("operation", ROUTES)
def test_each_operation_needs_its_scope(tenants, operation):  # noqa: F811
    a, _ = tenants
    build, expected = ROUTES[operation]
    call = build(a)
    scope = scope_of(call)
    if scope is None:
        response = _send(key(a, ALL), call)
        assert response.status_code == 403
        assert "API keys cannot use this operation" in response.json()["error"]
        return
    without = _send(key(a, [s for s in ALL if s != scope.value]), call)
    assert without.status_code == 403, without.content
    assert without.json()["error"] == f"This API key lacks the scope {scope.value}."
    response = _send(key(a, [scope.value]), call)
    assert response.status_code == expected, response.content


def test_the_schema_documents_the_scheme_and_every_operations_scope(db):
    schema = Client().get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert "x-api-key-scope" in operation, f"{method} {path}"
            scope = operation["x-api-key-scope"]
            assert scope is None or scope in ALL
            assert ("apiKey" in str(operation.get("security"))) == (scope is not None)
    assert len(SCOPES) == sum(len(methods) for methods in schema["paths"].values())


def test_revoked_expired_and_unknown_keys_are_refused(tenants):  # noqa: F811
    a, _ = tenants
    created, secret = api_key_create(organization=a.organization, actor=a.user, name="CRM", scopes=ALL)
    api = ApiClient(Authorization=f"Bearer {secret}")
    assert api.get("/api/contacts/").status_code == 200
    assert ApiKey.objects.get().last_used_at is not None
    assert api_key_revoke(key=created, actor=a.user)
    refused = api.get("/api/contacts/")
    assert (refused.status_code, refused.json()["error"]) == (401, "This API key was revoked.")

    expiring, secret = api_key_create(
        organization=a.organization, actor=a.user, name="Temp", scopes=ALL, expires_at=timezone.now() + timedelta(1)
    )
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = ApiClient(Authorization=f"Bearer {secret}").get("/api/contacts/")
    assert (refused.status_code, refused.json()["error"]) == (401, "This API key has expired.")

    unknown = ApiClient(Authorization="Bearer smsk_" + "x" * 43).get("/api/contacts/")
    assert (unknown.status_code, unknown.json()["error"]) == (401, "Invalid API key.")


def test_only_the_hash_is_stored_and_only_admins_create_or_revoke(tenants, org_a):  # noqa: F811
    a, _ = tenants
    created, secret = api_key_create(organization=a.organization, actor=a.user, name="CRM", scopes=ALL)
    assert secret.startswith("smsk_")
    assert secret not in str(ApiKey.objects.filter(pk=created.pk).values().get())
    agent = a.user.__class__.objects.create_user(username="agent-a", password="pw-agent-1")
    a.organization.memberships.create(user=agent, role="agent")
    with pytest.raises(ServiceError, match="admins"):
        api_key_create(organization=a.organization, actor=agent, name="X", scopes=ALL)
    with pytest.raises(ServiceError, match="admins"):
        api_key_revoke(key=created, actor=agent)
    with pytest.raises(ServiceError, match="scope"):
        api_key_create(organization=a.organization, actor=a.user, name="X", scopes=["everything"])


def test_a_text_sent_with_a_key_is_sent_by_no_one_and_audited_as_the_key(tenants):  # noqa: F811
    a, _ = tenants
    api = key(a, [Scope.MESSAGES_SEND.value])
    response = api.post("/api/sms/send", {"contactId": a.contact.pk, "message": "Your order is ready"})
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["messageId"])
    assert message.sent_by_id is None
    action = ApiKeyAction.objects.get()
    assert (action.method, action.path, action.status_code) == ("POST", "/api/sms/send", 201)
    assert action.key.name == "CRM"


def test_a_key_names_no_other_organization(tenants):  # noqa: F811
    a, b = tenants
    api = key(a, ALL)
    assert api.get(f"/api/contacts/?organizationId={b.organization.pk}").status_code == 404
    assert api.get("/api/contacts/", **{"X-Organization": str(b.organization.pk)}).status_code == 404
    ids = {row["id"] for row in api.get("/api/contacts/").json()["results"]}
    assert ids == {a.contact.pk, a.spare.pk}


def test_me_names_nobody_for_a_key(tenants):  # noqa: F811
    a, _ = tenants
    api = key(a, [Scope.CONVERSATIONS_READ.value])
    response = api.get("/api/conversations/?assigned=me")
    assert response.status_code == 400
    assert "`me` names nobody" in response.json()["error"]
    assert api.get(f"/api/conversations/?assigned={a.user.pk}").json()["results"][0]["id"] == a.conversation.pk
