"""Roles on every route (``smsinbox.team.roles``): an agent of organization A asks for every admin-only page
and API operation with A's own ids, with every method: refused (403 with who to ask) and nothing changes; the
pages every member uses answer them. Admins of another organization are the stranger of test_url_walk.py.

Each page route and each API operation must be classified below: a new one fails the meta-tests until it is.
"""

from __future__ import annotations

import pytest
from django.test import Client

from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from tests.api_client import ApiClient
from tests.reliability.security.routes import METHODS, PAGES, ROUTES, send, url_for
from tests.reliability.security.world import all_rows, tenant_snapshot
from tests.test_api_isolation import ROUTES as API_OPERATIONS

ADMIN_PAGES = {  # an agent gets the "ask an admin" page (403) for every method the route takes
    "reports",  # unless the organization lets agents read reports (tests/web/pages/test_reports.py)
    "report-csv",
    "team",
    "team-invite-resend",
    "team-invite-revoke",
    "team-member-role",
    "team-member-deactivate",
    "team-auto-assign",
    "security-settings",
    "integrations",
    "integrations-endpoint-test",
    "integrations-endpoint-edit",
    "integrations-endpoint-pause",
    "integrations-endpoint-resume",
    "integrations-endpoint-delete",
    "integrations-delivery-redeliver",
    "integrations-key-revoke",
    "settings-hours",
    "settings-hours-holiday-add",
    "settings-hours-holiday-remove",
    "settings-hours-quiet",
    "audit",
    "audit-export",
    "broadcasts",
    "broadcast-new",
    "broadcast-detail",
    "broadcast-pause",
    "broadcast-resume",
    "broadcast-cancel",
    "broadcast-export",
}
ADMIN_WRITES = {
    "labels",
    "contact-erase",
}  # an agent reads the page (what it does, who to ask); its writes are refused (403)
MEMBER_PAGES = PAGES - ADMIN_PAGES - ADMIN_WRITES  # the inbox, contacts, notes, own replies, applying labels

ADMIN_API = {"labels_create", "labels_partial_update", "labels_destroy", "contacts_erase", "contacts_destroy"}
ADMIN_API |= {"reports_summary_retrieve", "reports_timeseries_retrieve"}  # agents too when the organization allows
ADMIN_API |= {"broadcasts_create", "broadcasts_retrieve", "broadcasts_pause", "broadcasts_resume", "broadcasts_cancel"}
SHARED_CANNED_API = {"canned_replies_create", "canned_replies_partial_update", "canned_replies_destroy"}  # shared
MEMBER_API = set(API_OPERATIONS) - ADMIN_API - SHARED_CANNED_API


@pytest.fixture
def agent(world) -> User:
    """Carol, an agent of organization A."""
    carol = User.objects.create_user("carol-agent", password="pw-carol-1")
    membership_create(organization=world.a.organization, user=carol, role=Membership.Role.AGENT)
    return carol


def test_every_page_route_and_api_operation_has_a_role():
    assert ADMIN_PAGES | ADMIN_WRITES <= PAGES
    assert set(API_OPERATIONS) == MEMBER_API | ADMIN_API | SHARED_CANNED_API
    assert set(API_OPERATIONS) >= ADMIN_API | SHARED_CANNED_API


def test_an_agent_is_refused_every_admin_page_with_every_method(world, agent):
    before = all_rows(), tenant_snapshot(world.a)
    failures = []
    for route in ROUTES:
        if route.key not in ADMIN_PAGES | ADMIN_WRITES:
            continue
        client = Client()
        client.force_login(agent)
        url = url_for(route, world)
        for method in METHODS["page"]:
            if route.key in ADMIN_WRITES and method == "GET":
                continue
            response = send(client, method, url, "page", world)
            refused = response.status_code == 405 or (
                response.status_code == 403 and "admins" in response.content.decode()
            )
            if not refused:
                failures.append(f"{method} {url} -> {response.status_code}")
    assert failures == [], "\n".join(failures)
    assert (all_rows(), tenant_snapshot(world.a)) == before


def test_an_agent_reads_the_labels_and_is_told_who_manages_them(world, agent):
    client = Client()
    client.force_login(agent)
    page = client.get("/labels/").content.decode()
    assert "VIP" in page
    assert "only admins create, rename or delete them" in page
    assert "alice" in page
    refused = client.post("/labels/", {"action": "create", "name": "Mine"})
    assert refused.status_code == 403
    assert "admins create, rename or delete labels. Ask one of them." in refused.content.decode()


def test_an_agent_gets_every_member_page(world, agent):
    failures = []
    for route in ROUTES:
        if route.key not in MEMBER_PAGES:
            continue
        client = Client()
        client.force_login(agent)
        response = client.get(url_for(route, world))
        if response.status_code == 403 or response.status_code >= 500:  # 400/404: a query or a file it lacks
            failures.append(f"GET {route.key} -> {response.status_code}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("operation", sorted(ADMIN_API | SHARED_CANNED_API))
def test_an_agent_is_refused_admin_api_operations(world, agent, operation):
    build, _ = API_OPERATIONS[operation]
    api = ApiClient(agent)
    before = all_rows(), tenant_snapshot(world.a)
    method, path, body = build(world.a)
    response = api.call(method, path, body)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    assert "admins" in response.json()["error"]
    assert (all_rows(), tenant_snapshot(world.a)) == before


@pytest.mark.parametrize("operation", sorted(ADMIN_API | SHARED_CANNED_API))
def test_an_admin_of_the_organization_may(world, operation):
    build, expected = API_OPERATIONS[operation]
    method, path, body = build(world.a)
    assert ApiClient(world.a.user).call(method, path, body).status_code == expected
