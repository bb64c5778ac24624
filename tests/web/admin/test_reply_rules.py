"""An organization's reply rules (auto-assign on reply, only the assignee may reply) are edited in Django admin,
through ``organization_update``."""

from __future__ import annotations

from smsinbox.models import Organization
from smsinbox.web.admin import tenancy as tenancy_admin
from tests.web.admin.test_writes import change_url, form_data, spy_on


def test_the_reply_rules_are_on_the_organization_page_with_their_defaults(client, org_a):
    client.force_login(org_a.user)
    response = client.get(change_url(org_a.organization))
    form = response.context["adminform"].form
    assert (form.initial["auto_assign_on_reply"], form.initial["only_assignee_replies"]) == (True, False)
    assert "Only the assignee may reply" in response.text
    assert "Auto-assign on reply" in response.text


def test_the_reply_rules_are_changed_by_the_service(client, org_a, monkeypatch):
    calls = spy_on(monkeypatch, tenancy_admin, "organization_update")
    client.force_login(org_a.user)
    url = change_url(org_a.organization)
    data = form_data(client, url, only_assignee_replies="on")
    data.pop("auto_assign_on_reply")  # an unticked box is not posted
    assert client.post(url, data).status_code == 302
    organization = Organization.objects.get(pk=org_a.organization.pk)
    assert (organization.auto_assign_on_reply, organization.only_assignee_replies) == (False, True)
    assert calls == [
        {"organization": org_a.organization.pk, "auto_assign_on_reply": False, "only_assignee_replies": True}
    ]
