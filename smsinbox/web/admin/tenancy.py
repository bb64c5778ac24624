from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.web.admin.scoping import OrganizationScopedAdmin, PhoneSearchMixin, ScopedFormFieldsMixin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Preferences", {"fields": ("time_zone",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active", "time_zone")


class PhoneNumberInline(ScopedFormFieldsMixin, admin.TabularInline):
    model = PhoneNumber
    extra = 0
    fields = ("number", "friendly_name", "messaging_service_sid", "messages_per_second", "twilio_sid")
    readonly_fields = ("twilio_sid",)


class MembershipInline(ScopedFormFieldsMixin, admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = None
    list_display = ("name", "created_at")
    search_fields = ("name",)
    date_hierarchy = "created_at"
    inlines = (PhoneNumberInline, MembershipInline)


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    """Admins manage their organizations' members, but cannot remove or demote themselves."""

    fixed_after_creation = ("organization", "user")
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "user__email", "organization__name")

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "role") if obj is not None and obj.user_id == request.user.pk else fields

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(PhoneSearchMixin, OrganizationScopedAdmin):
    list_display = ("number", "friendly_name", "organization", "messaging_service_sid", "messages_per_second")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("friendly_name", "messaging_service_sid", "twilio_sid")
    phone_search_fields = ("number",)
    readonly_fields = ("twilio_sid", "created_at")
