"""Canned replies in Django admin: tenant-scoped, written through the services, refusals shown on the form."""

from __future__ import annotations

from django.urls import reverse

from conversations.canned_services import canned_reply_create
from conversations.models import CannedReply

CHANGELIST = "admin:conversations_cannedreply_changelist"


def test_an_org_admin_adds_a_shared_reply_and_sees_only_their_organizations(client, org_a, org_b):
    canned_reply_create(
        organization=org_b.organization, actor=org_b.user, name="B", shortcut="b", body="b", shared=True
    )
    client.force_login(org_a.user)
    response = client.post(
        reverse("admin:conversations_cannedreply_add"),
        {"organization": org_a.organization.pk, "owner": "", "name": "Hours", "shortcut": "Hours", "body": "9-5"},
    )
    assert response.status_code == 302, response.content[:500]
    reply = CannedReply.objects.get(organization=org_a.organization)
    assert (reply.shortcut, reply.owner_id) == ("hours", None)
    changelist = client.get(reverse(CHANGELIST))
    assert changelist.context["cl"].result_count == 1
    foreign = CannedReply.objects.get(organization=org_b.organization)
    assert client.get(reverse("admin:conversations_cannedreply_change", args=[foreign.pk])).status_code == 302


def test_admin_refusals_are_form_errors_and_write_nothing(client, org_a):
    canned_reply_create(
        organization=org_a.organization, actor=org_a.user, name="H", shortcut="hours", body="x", shared=True
    )
    client.force_login(org_a.user)
    add = reverse("admin:conversations_cannedreply_add")
    for values, words in [
        ({"shortcut": "hours"}, "already has the shortcut /hours"),
        ({"body": "{{contact.age}}"}, "Unknown variable {{contact.age}}"),
        ({"shortcut": "a b"}, "letters, digits"),
    ]:
        data = {"organization": org_a.organization.pk, "owner": "", "name": "N", "shortcut": "n", "body": "b"} | values
        response = client.post(add, data)
        assert response.status_code == 200
        assert words in response.content.decode()
    assert CannedReply.objects.count() == 1


def test_an_org_admin_gives_a_reply_to_a_member_and_deletes_it(client, org_a):
    reply = canned_reply_create(
        organization=org_a.organization, actor=org_a.user, name="H", shortcut="hours", body="x", shared=True
    )
    client.force_login(org_a.user)
    change = reverse("admin:conversations_cannedreply_change", args=[reply.pk])
    data = {"owner": org_a.user.pk, "name": "H", "shortcut": "hours", "body": "x"}
    assert client.post(change, data).status_code == 302
    reply.refresh_from_db()
    assert reply.owner_id == org_a.user.pk
    delete = reverse("admin:conversations_cannedreply_delete", args=[reply.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not CannedReply.objects.exists()
