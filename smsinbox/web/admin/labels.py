"""Labels in Django admin, tenant-scoped: every save and delete through ``conversations.labels``, so open inboxes
re-render them (``label.changed``) as they do for the inbox's own management page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from conversations.labels import label_create, label_delete, label_update
from conversations.models import LABEL_COLORS, Label
from smsinbox.web.admin.writes import ServiceAdmin, ServiceForm


class LabelForm(ServiceForm):
    color = forms.ChoiceField(choices=[(key, value["label"]) for key, value in LABEL_COLORS.items()])

    class Meta:
        model = Label
        fields = ("organization", "name", "color")


@admin.register(Label)
class LabelAdmin(ServiceAdmin):
    form = LabelForm
    list_display = ("name", "color", "organization", "created_at")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("name",)
    fields = ("organization", "name", "color")

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Label:
        return label_create(
            organization=values["organization"], name=values["name"], color=values["color"], actor=request.user
        )

    def update(self, request: HttpRequest, obj: Label, changes: dict[str, Any]) -> Label:
        return label_update(label=obj, name=changes.get("name"), color=changes.get("color"), actor=request.user)

    def delete(self, request: HttpRequest, obj: Label) -> None:
        label_delete(label=obj, actor=request.user)
