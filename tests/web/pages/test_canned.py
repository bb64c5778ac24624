"""The canned replies' page (list, new, edit, delete) and what the inbox tells the composer's picker."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from conversations.canned import PLACEHOLDER
from conversations.canned_services import canned_reply_create
from conversations.models import CannedReply
from smsinbox.models import Membership

User = get_user_model()


@pytest.fixture
def carol(org_a):
    user = User.objects.create_user(username="carol", password="pw-carol")
    Membership.objects.create(user=user, organization=org_a.organization, role=Membership.Role.AGENT)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shared(org, **extra):
    values = {"name": "Hours", "shortcut": "hours", "body": "Open <b>9-5</b>", "shared": True} | extra
    return canned_reply_create(organization=org.organization, actor=org.user, **values)


def test_an_admin_creates_a_shared_reply_from_the_page(org_a):
    client = client_for(org_a.user)
    page = client.get("/canned-replies/")
    assert page.status_code == 200
    assert b'name="shared"' in page.content  # admins may share
    response = client.post(
        "/canned-replies/",
        {"name": "Hours", "shortcut": "/Hours", "body": "Hi {{contact.first_name|there}}", "shared": "on"},
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert (reply.shortcut, reply.owner_id) == ("hours", None)
    listed = client.get("/canned-replies/").content.decode()
    assert "/hours" in listed
    assert "Shared" in listed


def test_an_agent_saves_their_own_and_is_refused_sharing(org_a, carol):
    client = client_for(carol)
    page = client.get("/canned-replies/")
    assert b'name="shared"' not in page.content
    refused = client.post("/canned-replies/", {"name": "X", "shortcut": "x", "body": "x", "shared": "on"})
    assert refused.status_code == 200
    assert b"Only the organization&#x27;s admins" in refused.content
    assert not CannedReply.objects.exists()
    assert client.post("/canned-replies/", {"name": "Mine", "shortcut": "mine", "body": "Cheers"}).status_code == 302
    assert CannedReply.objects.get().owner == carol


def test_errors_are_shown_on_their_field_and_text_is_escaped(org_a):
    shared(org_a)
    client = client_for(org_a.user)
    response = client.post("/canned-replies/", {"name": "Again", "shortcut": "hours", "body": "{{contact.age}}"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Unknown variable {{contact.age}}" in content
    response = client.post("/canned-replies/", {"name": "Again", "shortcut": "hours", "body": "ok", "shared": "on"})
    assert "already has the shortcut /hours" in response.content.decode()
    assert CannedReply.objects.count() == 1
    listed = client.get("/canned-replies/").content.decode()
    assert "Open &lt;b&gt;9-5&lt;/b&gt;" in listed


def test_edit_and_delete(org_a):
    reply = shared(org_a)
    client = client_for(org_a.user)
    assert client.get(f"/canned-replies/{reply.pk}/").status_code == 200
    response = client.post(
        f"/canned-replies/{reply.pk}/", {"name": "Opening hours", "shortcut": "hours", "body": "9-6", "shared": "on"}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.name, reply.body, reply.owner_id) == ("Opening hours", "9-6", None)
    assert client.post(f"/canned-replies/{reply.pk}/delete/").status_code == 302
    assert not CannedReply.objects.exists()


def test_an_agent_reads_a_shared_reply_but_cannot_change_or_delete_it(org_a, carol):
    reply = shared(org_a)
    client = client_for(carol)
    page = client.get(f"/canned-replies/{reply.pk}/")
    assert page.status_code == 200
    assert b"only its admins change it" in page.content
    client.post(f"/canned-replies/{reply.pk}/", {"name": "X", "shortcut": "x", "body": "x"})
    client.post(f"/canned-replies/{reply.pk}/delete/")
    reply.refresh_from_db()
    assert reply.body == "Open <b>9-5</b>"


def test_another_organizations_reply_is_not_found(org_a, org_b):
    theirs = shared(org_b)
    client = client_for(org_a.user)
    assert client.get(f"/canned-replies/{theirs.pk}/").status_code == 404
    assert client.post(f"/canned-replies/{theirs.pk}/delete/").status_code == 404
    assert b"<code>/hours</code>" not in client.get("/canned-replies/").content  # (the nav links /settings/hours/)
    assert CannedReply.objects.filter(pk=theirs.pk).exists()


def test_the_inbox_tells_the_picker_where_replies_are_and_the_placeholder_rule(conversation_a, org_a):
    page = client_for(org_a.user).get(f"/c/{conversation_a.pk}/")
    match = re.search(rb'<script id="inbox-config" type="application/json">(.*?)</script>', page.content, re.S)
    config = json.loads(match.group(1))
    assert config["urls"]["cannedReplies"] == reverse("api-canned-replies") + f"?conversation={conversation_a.pk}"
    assert config["urls"]["manageCanned"] == "/canned-replies/"
    assert config["canned"]["placeholder"] == PLACEHOLDER.pattern
    assert b'id="canned-list"' in page.content
