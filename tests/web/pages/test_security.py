"""The organization's sign-in rules page (``/settings/security/``): admins edit, agents are told to ask."""

from __future__ import annotations

from django.test import Client

from smsinbox.audit.models import AuditEntry
from smsinbox.models import Membership, Organization, User
from smsinbox.services import membership_create


def test_an_admin_sees_and_saves_the_rules(client, org_a):
    client.force_login(org_a.user)
    page = client.get("/settings/security/").content.decode()
    assert '<label for="id_idle_timeout_minutes">' in page
    assert 'value="30"' in page
    assert 'value="12"' in page
    response = client.post("/settings/security/", {"idle_timeout_minutes": "5", "max_session_hours": "0"})
    assert response.status_code == 302
    organization = Organization.objects.get(pk=org_a.organization.pk)
    assert (organization.idle_timeout_minutes, organization.max_session_hours) == (5, 0)
    assert not organization.require_two_factor
    assert "Sign-in rules saved." in client.get("/settings/security/").content.decode()
    entry = AuditEntry.objects.get(action="organization.settings_changed")
    assert entry.changes == {"idle_timeout_minutes": [30, 5], "max_session_hours": [12, 0]}


def test_requiring_two_factor_sends_the_admin_too_to_set_it_up(client, org_a):
    client.force_login(org_a.user)
    data = {"idle_timeout_minutes": "30", "max_session_hours": "12", "require_two_factor": "on"}
    assert client.post("/settings/security/", data).status_code == 302
    assert Organization.objects.get(pk=org_a.organization.pk).require_two_factor
    held = client.get("/settings/security/")
    assert held.status_code == 302
    assert held["Location"].startswith("/settings/two-factor/?next=")


def test_bad_numbers_are_form_errors_and_nothing_changes(client, org_a):
    client.force_login(org_a.user)
    for idle, hours in (("-1", "1"), ("abc", "1"), ("2000", "1"), ("1", "100000"), ("", "")):
        response = client.post("/settings/security/", {"idle_timeout_minutes": idle, "max_session_hours": hours})
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()
    assert Organization.objects.get(pk=org_a.organization.pk).idle_timeout_minutes == 30


def test_an_agent_is_told_to_ask_an_admin(org_a):
    carol = User.objects.create_user("carol", password="pw-c")
    membership_create(organization=org_a.organization, user=carol, role=Membership.Role.AGENT)
    agent = Client()
    agent.force_login(carol)
    for method in ("get", "post"):
        response = getattr(agent, method)(
            "/settings/security/", {"idle_timeout_minutes": "1", "max_session_hours": "1"}
        )
        assert response.status_code == 403
        assert "alice" in response.content.decode()
    assert Organization.objects.get(pk=org_a.organization.pk).idle_timeout_minutes == 30


def test_the_team_page_links_to_it(client, org_a):
    client.force_login(org_a.user)
    assert 'href="/settings/security/"' in client.get("/team/").content.decode()
