from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from conversations.models import Contact, Conversation
from conversations.services import contact_duplicate_error
from messaging.models import Message
from smsinbox.phones import format_for_people
from smsinbox.web.admin.scoping import OrganizationScopedAdmin, PhoneSearchMixin, ReadOnlyInline

THREAD_INLINE_LIMIT = 50


class OptedOutFilter(admin.SimpleListFilter):
    title = "opted out"
    parameter_name = "opted_out"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return (("yes", "Opted out"), ("no", "Subscribed"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(opted_out_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(opted_out_at__isnull=True)
        return queryset


class ContactAdminForm(forms.ModelForm):
    """Refuse a number another contact of the organization has, naming that contact.

    The organization is read-only on the change form, so Django's own check of the
    (organization, phone) constraint never runs there: without this, a duplicate is an IntegrityError.
    ``ContactAdmin`` builds the form (its fields are the admin's).
    """

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        phone = cleaned.get("phone")
        organization = cleaned.get("organization")
        organization_id = organization.pk if organization is not None else self.instance.organization_id
        unchanged = self.instance.pk is not None and phone == self.instance.phone
        if phone and organization_id is not None and not unchanged:
            duplicate = contact_duplicate_error(organization_id=organization_id, e164=phone.as_e164)
            if duplicate is not None:
                self.add_error("phone", duplicate.message)
        return cleaned


@admin.register(Contact)
class ContactAdmin(PhoneSearchMixin, OrganizationScopedAdmin):
    form = ContactAdminForm
    list_display = ("display_name", "phone_display", "organization", "opted_out_at", "created_at")
    list_filter = (OptedOutFilter, "organization")
    list_select_related = ("organization",)
    search_fields = ("first_name", "last_name")
    phone_search_fields = ("phone",)
    date_hierarchy = "created_at"
    # Opt-outs are recorded by the services (keyword, error 21610) with the message that did it.
    readonly_fields = (
        "opted_out_at",
        "opt_out_method",
        "opt_out_keyword",
        "opt_out_message",
        "created_at",
        "updated_at",
    )

    @admin.display(description="Phone", ordering="phone")
    def phone_display(self, obj: Contact) -> str:
        return format_for_people(obj.phone)


class NewestMessagesFormSet(BaseInlineFormSet):
    """Show only the newest messages under a conversation, however long the thread."""

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_newest"):
            newest = super().get_queryset().order_by("-created_at", "-id")[:THREAD_INLINE_LIMIT]
            self._newest = list(newest)[::-1]
        return self._newest  # type: ignore[return-value]


class MessageInline(ReadOnlyInline):
    model = Message
    formset = NewestMessagesFormSet
    fields = ("created_at", "direction", "body", "status", "sent_by", "twilio_sid")
    readonly_fields = fields
    verbose_name_plural = f"messages (newest {THREAD_INLINE_LIMIT})"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("sent_by")


@admin.register(Conversation)
class ConversationAdmin(PhoneSearchMixin, OrganizationScopedAdmin):
    list_display = ("contact", "organization", "phone_number", "status", "assignee", "unread_count", "last_message_at")
    list_filter = ("status", "organization")
    list_select_related = ("contact", "contact__organization", "organization", "phone_number", "assignee")
    search_fields = ("contact__first_name", "contact__last_name", "last_message_preview")
    phone_search_fields = ("contact__phone",)
    date_hierarchy = "last_message_at"
    readonly_fields = ("last_message_at", "last_message_preview", "unread_count", "created_at", "updated_at")
    fixed_after_creation = ("organization", "contact")
    inlines = (MessageInline,)
