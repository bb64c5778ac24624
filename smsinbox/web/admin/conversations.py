"""Contacts and conversations in Django admin: every save and delete through ``conversations.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from conversations.activity import activity_text
from conversations.models import Contact, Conversation, ConversationEvent
from conversations.services import (
    UNSET,
    contact_create,
    contact_delete,
    contact_update,
    conversation_delete,
    conversation_update,
)
from messaging.models import Message
from smsinbox.web.admin.scoping import PhoneSearchMixin, ReadOnlyInline
from smsinbox.web.admin.writes import ServiceAdmin

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


@admin.register(Contact)
class ContactAdmin(PhoneSearchMixin, ServiceAdmin):
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
        return obj.display_name_number

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Contact:
        return contact_create(
            organization=values["organization"],
            phone=str(values["phone"]),
            first_name=values["first_name"],
            last_name=values["last_name"],
        )

    def update(self, request: HttpRequest, obj: Contact, changes: dict[str, Any]) -> Contact:
        # The fields it may change (organization is fixed): phone, first_name, last_name.
        return contact_update(contact=obj, **{name: str(value) for name, value in changes.items()})

    def delete(self, request: HttpRequest, obj: Contact) -> None:
        contact_delete(contact=obj)


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


class ActivityInline(ReadOnlyInline):
    """The conversation's stored activity (``conversations.activity``): read only, written by the services alone."""

    model = ConversationEvent
    formset = NewestMessagesFormSet  # the newest ones, however long the history
    fields = ("created_at", "kind", "actor", "what")
    readonly_fields = fields
    show_change_link = False
    verbose_name = "activity event"
    verbose_name_plural = f"activity (newest {THREAD_INLINE_LIMIT})"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="What happened")
    def what(self, obj: ConversationEvent) -> str:
        return activity_text(obj)


@admin.register(Conversation)
class ConversationAdmin(PhoneSearchMixin, ServiceAdmin):
    """Status, assignee and sending number change through ``conversation_update``, so open inboxes hear it."""

    list_display = ("contact", "organization", "phone_number", "status", "assignee", "unread_count", "last_message_at")
    list_filter = ("status", "organization")
    list_select_related = ("contact", "contact__organization", "organization", "phone_number", "assignee")
    search_fields = ("contact__first_name", "contact__last_name", "last_message_preview")
    phone_search_fields = ("contact__phone",)
    date_hierarchy = "last_message_at"
    readonly_fields = (
        "last_message_at", "last_message_preview", "unread_count", "created_at", "updated_at",
        "snoozed_until", "snooze_until_reply", "snoozed_by",  # snoozed from the inbox or the API (a wake condition)
    )  # fmt: skip
    fixed_after_creation = ("organization", "contact")
    inlines = (MessageInline, ActivityInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a conversation starts with a text, either way (or from the contact's page)

    def update(self, request: HttpRequest, obj: Conversation, changes: dict[str, Any]) -> Conversation:
        assignee = changes.get("assignee")
        return conversation_update(
            conversation=obj,
            status=changes.get("status"),
            assignee_id=(assignee.pk if assignee else None) if "assignee" in changes else UNSET,
            phone_number=changes.get("phone_number"),
            by_user_id=request.user.pk,
        )

    def delete(self, request: HttpRequest, obj: Conversation) -> None:
        conversation_delete(conversation=obj)
