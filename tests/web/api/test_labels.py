"""Labels and saved views through the API: CRUD, the ``labels`` fields, the list's ``?label=`` filter, isolation."""

from __future__ import annotations

import pytest
from django.test import Client

from conversations.labels import label_create
from conversations.models import Conversation, Label, SavedView
from tests.api_client import ApiClient, build_tenant


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


@pytest.fixture
def api(org_a) -> ApiClient:
    return ApiClient(org_a.user)


def test_label_crud(api, org_a):
    created = api.post("/api/labels/", {"name": "VIP", "color": "purple"})
    assert created.status_code == 201, created.content
    label = created.json()
    assert set(label) == {"id", "name", "color"}
    assert (label["name"], label["color"]) == ("VIP", "purple")
    assert api.post("/api/labels/", {"name": "Late"}).json()["color"] == "gray"
    assert [row["name"] for row in api.get("/api/labels/").json()] == ["Late", "VIP"]
    duplicate = api.post("/api/labels/", {"name": "vip"})
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.json()["error"]
    assert api.post("/api/labels/", {"name": "X", "color": "#ff0000"}).status_code == 400
    assert api.post("/api/labels/", {"name": 5}).status_code == 400
    renamed = api.patch(f"/api/labels/{label['id']}/", {"name": "Gold", "color": "yellow"})
    assert renamed.json() == {"id": label["id"], "name": "Gold", "color": "yellow"}
    assert api.delete(f"/api/labels/{label['id']}/").status_code == 204
    assert list(Label.objects.values_list("name", flat=True)) == ["Late"]


def test_the_labels_field_of_conversations_and_contacts(api, tenant, org_b):
    vip = label_create(organization=tenant.organization, name="VIP", color="red")
    late = label_create(organization=tenant.organization, name="Late", color="blue")
    theirs = label_create(organization=org_b.organization, name="VIP")
    path = f"/api/conversations/{tenant.conversation.pk}/"
    answer = api.patch(path, {"labels": [vip.pk, late.pk]})
    assert answer.status_code == 200, answer.content
    assert answer.json()["labels"] == [
        {"id": late.pk, "name": "Late", "color": "blue"},
        {"id": vip.pk, "name": "VIP", "color": "red"},
    ]
    assert api.get(path).json()["labels"] == answer.json()["labels"]
    for wrong in ([theirs.pk], [999_999], ["x"], "VIP"):
        refused = api.patch(path, {"labels": wrong, "status": "closed"})
        assert refused.status_code == 400, (wrong, refused.content)
        assert refused.json()["error"]
    assert Conversation.objects.get(pk=tenant.conversation.pk).status == "open"
    unknown = api.patch(path, {"labels": [theirs.pk]}).json()
    assert unknown["field"] == "labels"
    assert "Unknown label" in unknown["error"]
    contact = api.patch(f"/api/contacts/{tenant.contact.pk}/", {"labels": [vip.pk]})
    assert contact.status_code == 200
    assert contact.json()["labels"] == [{"id": vip.pk, "name": "VIP", "color": "red"}]
    assert api.patch(f"/api/contacts/{tenant.contact.pk}/", {"labels": [theirs.pk]}).status_code == 400


def test_the_conversation_list_filters_by_label(api, tenant, org_b):
    vip = label_create(organization=tenant.organization, name="VIP")
    theirs = label_create(organization=org_b.organization, name="VIP")
    assert api.get(f"/api/conversations/?label={vip.pk}").json()["results"] == []
    api.patch(f"/api/conversations/{tenant.conversation.pk}/", {"labels": [vip.pk]})
    rows = api.get(f"/api/conversations/?label={vip.pk}").json()["results"]
    assert [row["id"] for row in rows] == [tenant.conversation.pk]
    refused = api.get(f"/api/conversations/?label={theirs.pk}")
    assert refused.status_code == 400
    assert "Unknown label" in refused.json()["error"]
    assert api.get("/api/conversations/?label=abc").status_code == 400


def test_saved_views_api(api, tenant, org_b):
    vip = label_create(organization=tenant.organization, name="VIP")
    created = api.post("/api/views/", {"name": "My VIPs", "status": "open", "labelId": vip.pk, "shared": True})
    assert created.status_code == 201, created.content
    view = created.json()
    assert (view["name"], view["status"], view["labelId"], view["shared"]) == ("My VIPs", "open", vip.pk, True)
    listed = api.get("/api/views/").json()
    assert [(v["id"], v["count"]) for v in listed] == [(view["id"], 0)]
    api.patch(f"/api/conversations/{tenant.conversation.pk}/", {"labels": [vip.pk]})
    assert api.get("/api/views/").json()[0]["count"] == 1
    theirs = label_create(organization=org_b.organization, name="X")
    assert api.post("/api/views/", {"name": "X", "labelId": theirs.pk}).status_code == 400
    assert api.post("/api/views/", {"name": "X", "unread": "yes"}).status_code == 400
    renamed = api.patch(f"/api/views/{view['id']}/", {"name": "VIPs", "shared": False})
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["shared"]) == (200, "VIPs", False)
    assert api.patch(f"/api/views/{view['id']}/", {"name": " "}).status_code == 400
    assert api.delete(f"/api/views/{view['id']}/").status_code == 204
    assert not SavedView.objects.exists()
