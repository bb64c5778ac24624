"""Canned replies in Django admin: tenant-scoped, every save and delete through ``conversations.canned_services``.

An organization's admins see and manage its shared replies and its members' personal ones (an empty owner
means shared). The organization is fixed once saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from conversations.canned_services import canned_reply_create, canned_reply_delete, canned_reply_update
from conversations.models import CannedReply
from smsinbox.web.admin.writes import ServiceAdmin


@admin.register(CannedReply)
class CannedReplyAdmin(ServiceAdmin):
    list_display = ("shortcut", "name", "organization", "owner", "updated_at")
    list_filter = ("organization",)
    list_select_related = ("organization", "owner")
    search_fields = ("shortcut", "name", "body")
    fields = ("organization", "owner", "name", "shortcut", "body")
    readonly_fields = ("created_at", "updated_at")

    def create(self, request: HttpRequest, values: dict[str, Any]) -> CannedReply:
        return canned_reply_create(
            organization=values["organization"],
            actor=request.user,
            owner=values["owner"],
            shared=values["owner"] is None,
            name=values["name"],
            shortcut=values["shortcut"],
            body=values["body"],
        )

    def update(self, request: HttpRequest, obj: CannedReply, changes: dict[str, Any]) -> CannedReply:
        fields = {name: changes[name] for name in ("name", "shortcut", "body", "owner") if name in changes}
        return canned_reply_update(reply=obj, actor=request.user, **fields)

    def delete(self, request: HttpRequest, obj: CannedReply) -> None:
        canned_reply_delete(reply=obj, actor=request.user)
