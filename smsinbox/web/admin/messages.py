"""Messages, their media and events in Django admin: read-only, the record of what Twilio said."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from messaging.models import Message, MessageEvent, MessageMedia
from smsinbox.web.admin.scoping import OrganizationScopedAdmin, PhoneSearchMixin, ReadOnlyInline


class MessageMediaInline(ReadOnlyInline):
    model = MessageMedia
    fields = ("position", "content_type", "url")
    readonly_fields = fields


class MessageEventInline(ReadOnlyInline):
    model = MessageEvent
    fields = ("created_at", "event_type", "status", "error_code", "error_message", "payload")
    readonly_fields = fields


class ReadOnlyTwilioAdmin(OrganizationScopedAdmin):
    """Messages, media and events record what Twilio said: nobody edits them by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a message goes with its conversation or contact (their deletes are services)


@admin.register(Message)
class MessageAdmin(PhoneSearchMixin, ReadOnlyTwilioAdmin):
    list_display = (
        "__str__",
        "direction",
        "status",
        "from_number",
        "to_number",
        "short_body",
        "organization",
        "created_at",
    )
    list_filter = ("direction", "status", "organization")
    list_select_related = ("organization",)
    search_fields = ("twilio_sid", "body")
    phone_search_fields = ("from_number", "to_number")
    date_hierarchy = "created_at"
    raw_id_fields = ("conversation", "sent_by")
    inlines = (MessageMediaInline, MessageEventInline)

    @admin.display(description="Body")
    def short_body(self, obj: Message) -> str:
        return obj.body if len(obj.body) <= 60 else obj.body[:59] + "…"


@admin.register(MessageMedia)
class MessageMediaAdmin(ReadOnlyTwilioAdmin):
    organization_path = "message__organization"
    list_display = ("message", "position", "content_type", "url")
    list_select_related = ("message",)
    search_fields = ("message__twilio_sid", "url")


@admin.register(MessageEvent)
class MessageEventAdmin(ReadOnlyTwilioAdmin):
    organization_path = "message__organization"
    list_display = ("message", "event_type", "status", "error_code", "created_at")
    list_filter = ("event_type", "status")
    list_select_related = ("message",)
    search_fields = ("message__twilio_sid", "status")
    date_hierarchy = "created_at"
