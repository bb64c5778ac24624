from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from smsinbox.admin_scoping import OrganizationScopedAdmin, PhoneSearchMixin, ScopedFormFieldsMixin
from smsinbox.models import Membership, Organization, PhoneNumber, User


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
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "user__email", "organization__name")


@admin.register(PhoneNumber)
class PhoneNumberAdmin(PhoneSearchMixin, OrganizationScopedAdmin):
    list_display = ("number", "friendly_name", "organization", "messaging_service_sid", "messages_per_second")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("friendly_name", "messaging_service_sid", "twilio_sid")
    phone_search_fields = ("number",)
    readonly_fields = ("twilio_sid", "created_at")
