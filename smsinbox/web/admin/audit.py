"""The audit log in Django admin: read-only (no add, change or delete), scoped to the user's organizations.

Superusers also see the entries of no organization (failed sign-ins with a username nobody has).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from smsinbox.audit.models import AuditEntry
from smsinbox.web.admin.scoping import OrganizationScopedAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(OrganizationScopedAdmin):
    list_display = ("created_at", "organization", "actor_name", "action", "target_label", "ip_address")
    list_filter = ("action", "organization")
    search_fields = ("actor_name", "target_label")
    date_hierarchy = "created_at"
    readonly_fields = tuple(f.name for f in AuditEntry._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
