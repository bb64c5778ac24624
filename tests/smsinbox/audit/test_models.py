"""The audit log is append-only: the database refuses every UPDATE of an entry (SQLite and PostgreSQL alike),
and the application has no path that changes or deletes one (but the retention prune and erasure)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from smsinbox.audit.models import AuditEntry
from smsinbox.audit.services import Action, audit_record
from smsinbox.models import User

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def entry(org_a):
    return audit_record(organization=org_a.organization, action=Action.ROLE_CHANGED, actor=org_a.user,
                        target=org_a.user, changes={"role": ["agent", "admin"]})  # fmt: skip


def test_the_database_refuses_an_update_through_the_orm(entry):
    with pytest.raises(IntegrityError, match="an audit entry cannot be changed"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_name="mallory")
    entry.changes = {"role": ["agent", "agent"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.actor_name, stored.changes) == ("alice", {"role": ["agent", "admin"]})


def test_the_database_refuses_an_update_in_raw_sql(entry):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE smsinbox_auditentry SET created_at = created_at, ip_address = NULL")
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "alice"


def test_deleting_a_user_changes_no_entry(org_a, entry):
    """The actor is an id without a database constraint: no cascade, no SET NULL (an UPDATE) to refuse."""
    colleague = User.objects.create_user("eve", password="pw-eve")
    kept = audit_record(organization=org_a.organization, action=Action.SIGN_IN, actor=colleague, target=colleague)
    colleague_id = colleague.pk
    colleague.delete()
    stored = AuditEntry.objects.get(pk=kept.pk)
    assert (stored.actor_id, stored.actor_name) == (colleague_id, "eve")


def test_entries_go_with_their_organization(org_a, entry):
    org_a.organization.delete()
    assert not AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_application_has_no_update_or_delete_path():
    """Only the audit package writes entries; its only deletes are the retention prune and erasure's
    ``audit_forget_contact``, and nothing of it updates one (the admin and the page only read)."""
    users = set()
    for folder in ("smsinbox", "conversations", "messaging"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts and re.search(r"\bAuditEntry\b", path.read_text()):
                users.add(str(path.relative_to(ROOT)))
    assert users == {
        "smsinbox/audit/__init__.py",  # its docstring
        "smsinbox/audit/models.py",
        "smsinbox/audit/services.py",
        "smsinbox/audit/selectors.py",
        "smsinbox/audit/signals.py",  # actions' names only
        "smsinbox/web/admin/audit.py",
        "smsinbox/web/pages/audit.py",  # the filter's choices
    }
    services = (ROOT / "smsinbox/audit/services.py").read_text()
    assert re.findall(r"^def (\w+)", services, re.M) == [
        "changes_between",
        "_actor",
        "_target",
        "audit_record",
        "audit_prune",
        "audit_forget_contact",
        "audit_record_for_user",
    ]
    assert services.count(".delete()") == 3  # prune: no organization, each organization; erasure
    assert re.findall(r"\.(update|save|bulk_update)\(", services) == []
    for module in ("selectors.py", "signals.py"):
        assert re.findall(r"\.(delete|update|save|bulk_update)\(", (ROOT / "smsinbox/audit" / module).read_text()) == []


def test_the_admin_page_is_read_only(client, org_a, entry):
    client.force_login(org_a.user)
    listing = client.get("/admin/smsinbox/auditentry/")
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    assert client.get("/admin/smsinbox/auditentry/add/").status_code == 403
    change = client.post(f"/admin/smsinbox/auditentry/{entry.pk}/change/", {"actor_name": "mallory"})
    assert change.status_code in (200, 403)
    assert client.post(f"/admin/smsinbox/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "alice"


def test_the_admin_shows_another_organizations_entries_to_nobody_but_superusers(client, org_a, org_b):
    theirs = audit_record(organization=org_b.organization, action=Action.SIGN_IN, actor=org_b.user)
    client.force_login(org_a.user)
    assert client.get(f"/admin/smsinbox/auditentry/{theirs.pk}/change/").status_code == 302  # not found: redirected
    assert "bob" not in client.get("/admin/smsinbox/auditentry/").content.decode()
