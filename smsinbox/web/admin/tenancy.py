"""Tenancy in Django admin: organizations, their numbers and members save through ``smsinbox.services``.

Users are Django's own (superusers only, not scoped to an organization).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.services import (
    membership_create,
    membership_delete,
    membership_update,
    organization_create,
    organization_delete,
    organization_update,
    phone_number_create,
    phone_number_delete,
    phone_number_update,
)
from smsinbox.web.admin.hours import HOURS_INLINES
from smsinbox.web.admin.scoping import PhoneSearchMixin, ReadOnlyInline
from smsinbox.web.admin.writes import ServiceAdmin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Preferences", {"fields": ("time_zone",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active", "time_zone")


class PhoneNumberInline(ReadOnlyInline):
    """The organization's numbers; each is added and changed on its own page (``PhoneNumberAdmin``)."""

    model = PhoneNumber
    fields = (
        "number",
        "friendly_name",
        "messaging_service_sid",
        "messages_per_second",
        "twilio_scheduling",
        "twilio_sid",
    )
    readonly_fields = fields


class MembershipInline(ReadOnlyInline):
    """The organization's members; each is added and changed on its own page (``MembershipAdmin``)."""

    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    organization_path = None
    list_display = ("name", "auto_assign_on_reply", "only_assignee_replies", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "phone_region")}),
        ("Replies", {"fields": ("auto_assign_on_reply", "only_assignee_replies")}),
        ("Business hours (changed on /settings/hours/)", {"fields": ("time_zone",)}),
        ("Audit log", {"fields": ("audit_retention_days",)}),
    )
    readonly_fields = ("time_zone",)
    search_fields = ("name",)
    date_hierarchy = "created_at"
    inlines = (PhoneNumberInline, MembershipInline, *HOURS_INLINES)

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Organization:
        return organization_create(
            name=values["name"],
            auto_assign_on_reply=values.get("auto_assign_on_reply", True),
            only_assignee_replies=values.get("only_assignee_replies", False),
            phone_region=values.get("phone_region", ""),
        )

    def update(self, request: HttpRequest, obj: Organization, changes: dict[str, Any]) -> Organization:
        return organization_update(organization=obj, **changes)

    def delete(self, request: HttpRequest, obj: Organization) -> None:
        organization_delete(organization=obj)


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    """Admins manage their organizations' members, but cannot remove or demote themselves."""

    fixed_after_creation = ("organization", "user")
    fields = ("organization", "user", "role", "available")
    list_display = ("user", "organization", "role", "available", "created_at")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "user__email", "organization__name")

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        # Available/Away is each member's own choice (their Settings page): shown here, not changed.
        fields = (*super().get_readonly_fields(request, obj), "available")
        return (*fields, "role") if obj is not None and obj.user_id == request.user.pk else fields

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Membership:
        return membership_create(organization=values["organization"], user=values["user"], role=values["role"])

    def update(self, request: HttpRequest, obj: Membership, changes: dict[str, Any]) -> Membership:
        return membership_update(membership=obj, **changes)  # the role: user and organization are fixed

    def delete(self, request: HttpRequest, obj: Membership) -> None:
        membership_delete(membership=obj)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(PhoneSearchMixin, ServiceAdmin):
    list_display = ("number", "friendly_name", "organization", "messaging_service_sid", "messages_per_second")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("friendly_name", "messaging_service_sid", "twilio_sid")
    phone_search_fields = ("number",)
    readonly_fields = ("twilio_sid", "created_at")

    def create(self, request: HttpRequest, values: dict[str, Any]) -> PhoneNumber:
        return phone_number_create(**{**values, "number": str(values["number"])})

    def update(self, request: HttpRequest, obj: PhoneNumber, changes: dict[str, Any]) -> PhoneNumber:
        if "number" in changes:
            changes["number"] = str(changes["number"])
        return phone_number_update(phone_number=obj, **changes)

    def delete(self, request: HttpRequest, obj: PhoneNumber) -> None:
        phone_number_delete(phone_number=obj)
