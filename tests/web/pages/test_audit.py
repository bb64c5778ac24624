"""The audit log page (``/audit/``) and its CSV export: admins only, filters, pages, isolation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from smsinbox.audit.models import AuditEntry
from smsinbox.audit.services import Action, audit_record
from smsinbox.models import User
from smsinbox.services import membership_create


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    AuditEntry.objects.all().delete()  # the sign-in just recorded: each test writes the entries it reads
    return client


@pytest.fixture
def carol(org_a):
    user = User.objects.create_user("carol", password="pw-c")
    membership_create(organization=org_a.organization, user=user)
    return user


def entry(org, action=Action.SIGN_IN, actor=None, days_ago=0, **fields) -> AuditEntry:
    return AuditEntry.objects.create(
        organization=org.organization, action=action, actor=actor or org.user,
        actor_name=(actor or org.user).username, created_at=timezone.now() - timedelta(days=days_ago), **fields,
    )  # fmt: skip


def rows_of(page: str) -> int:
    return page.count('<tr id="entry-')


def test_admins_see_the_log_newest_first(alice, org_a):
    entry(org_a, Action.SIGN_IN, days_ago=2)
    entry(org_a, Action.ROLE_CHANGED, target_label="carol", changes={"role": ["agent", "admin"]})
    response = alice.get("/audit/")
    page = response.content.decode().split("<tbody>")[1]
    assert response.status_code == 200
    assert page.index("Role changed") < page.index("Signed in")
    assert "agent → admin" in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_agent_is_told_to_ask_an_admin(client, org_a, carol):
    client.force_login(carol)
    for url in ("/audit/", "/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "alice" in response.content.decode()


def test_another_organizations_entries_are_never_shown(alice, org_a, org_b):
    entry(org_b, Action.CONTACT_DELETED, target_label="Bravo's client")
    audit_record(organization=None, action=Action.SIGN_IN_FAILED, label="stranger")
    page = alice.get("/audit/").content.decode()
    csv_text = b"".join(alice.get("/audit/export.csv").streaming_content).decode()
    for text in (page, csv_text):
        assert [word for word in ("Bravo's client", "stranger", "bob") if word in text] == []


def test_filters_by_actor_action_and_dates(alice, org_a, carol):
    entry(org_a, Action.SIGN_IN, days_ago=10)
    entry(org_a, Action.SIGN_IN, actor=carol, days_ago=1)
    entry(org_a, Action.CONTACT_UPDATED, actor=carol)
    assert rows_of(alice.get("/audit/").content.decode()) == 3
    assert rows_of(alice.get("/audit/", {"actor": carol.pk}).content.decode()) == 2
    assert rows_of(alice.get("/audit/", {"action": Action.SIGN_IN}).content.decode()) == 2
    today = timezone.localdate()
    since = (today - timedelta(days=2)).isoformat()
    assert rows_of(alice.get("/audit/", {"since": since}).content.decode()) == 2
    assert rows_of(alice.get("/audit/", {"until": (today - timedelta(days=5)).isoformat()}).content.decode()) == 1
    assert rows_of(alice.get("/audit/", {"since": today.isoformat(), "until": today.isoformat()}).content.decode()) == 1


def test_bad_filters_are_a_clear_400(alice, org_a):
    for query in (
        {"since": "yesterday"},
        {"action": "nope"},
        {"actor": "x"},
        {"since": "2026-02-02", "until": "2026-02-01"},
    ):
        response = alice.get("/audit/", query)
        assert response.status_code == 400, query
        assert 'role="alert"' in response.content.decode()
        assert 'aria-invalid="true"' in response.content.decode()
    assert alice.get("/audit/export.csv", {"since": "nope"}).status_code == 400


def test_pages_of_fifty(alice, org_a):
    for _ in range(51):
        entry(org_a)
    first = alice.get("/audit/").content.decode()
    assert rows_of(first) == 50
    assert "Page 1 of 2" in first
    assert rows_of(alice.get("/audit/", {"page": 2}).content.decode()) == 1


def test_the_csv_export_has_the_filtered_entries_and_is_itself_recorded(alice, org_a, carol):
    entry(org_a, Action.SIGN_IN, actor=carol, ip_address="192.0.2.1")
    entry(org_a, Action.CONTACT_UPDATED, target_label="=HYPERLINK(1)", changes={"first_name": ["A", "B"]})
    response = alice.get("/audit/export.csv", {"action": Action.CONTACT_UPDATED})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["time", "actor", "action"]
    assert len(rows) == 2
    assert rows[1][1:4] == ["alice", "Contact edited", "contact.updated"]
    assert rows[1][6] == "'=HYPERLINK(1)"  # not a formula
    assert rows[1][7] == '{"first_name": ["A", "B"]}'
    exported = AuditEntry.objects.get(action=Action.AUDIT_EXPORTED)
    assert (exported.actor_name, exported.changes) == ("alice", {"action": "contact.updated"})


def test_the_team_page_links_to_the_log(alice, org_a):
    assert 'href="/audit/"' in alice.get("/team/").content.decode()
