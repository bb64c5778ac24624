"""Private notes in Django admin: read-only and tenant-scoped, the record of what staff wrote in threads.

Notes are written in the inbox or the API (``note_create``, which links mentions and tells open inboxes);
admin shows them, with whom they mention, and never edits them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from conversations.models import Note, NoteMention
from smsinbox.web.admin.scoping import OrganizationScopedAdmin, ReadOnlyInline


class NoteMentionInline(ReadOnlyInline):
    model = NoteMention
    fields = ("user",)
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "mentions"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")


@admin.register(Note)
class NoteAdmin(OrganizationScopedAdmin):
    list_display = ("__str__", "conversation", "author", "organization", "created_at")
    list_filter = ("organization",)
    list_select_related = ("conversation__contact", "conversation__organization", "author", "organization")
    search_fields = ("body",)
    date_hierarchy = "created_at"
    fields = ("organization", "conversation", "author", "body", "created_at")
    readonly_fields = fields
    inlines = (NoteMentionInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written in the thread (inbox or API), where mentions are linked and colleagues told

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a note goes with its conversation
