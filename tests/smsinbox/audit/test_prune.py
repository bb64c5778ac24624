"""Retention: ``prune_audit`` deletes the entries older than their organization's ``audit_retention_days``."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from smsinbox.audit.models import AuditEntry
from smsinbox.audit.services import Action


def aged(organization, days: int) -> AuditEntry:
    """An entry written ``days`` ago (inserted with its time: entries are never updated)."""
    return AuditEntry.objects.create(
        organization=organization, action=Action.SIGN_IN, created_at=timezone.now() - timedelta(days=days)
    )


def test_each_organization_keeps_its_own_period(org_a, org_b):
    org_b.organization.audit_retention_days = 30
    org_b.organization.save()
    keep_a, _ = aged(org_a.organization, 364), aged(org_a.organization, 366)
    keep_b, _ = aged(org_b.organization, 29), aged(org_b.organization, 31)
    out = StringIO()
    call_command("prune_audit", stdout=out)
    assert "2 audit entries" in out.getvalue()
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {keep_a.pk, keep_b.pk}


@override_settings(AUDIT_RETENTION_DAYS=7)
def test_entries_of_no_organization_keep_the_servers_period(db):
    keep, _ = aged(None, 6), aged(None, 8)
    call_command("prune_audit", stdout=StringIO())
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [keep.pk]
