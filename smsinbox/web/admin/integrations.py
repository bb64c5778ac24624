"""Integrations in Django admin, tenant-scoped: endpoints written through their services, deliveries and API keys
read-only with their actions (redeliver, revoke). Keys are created on the Integrations page, where the secret is
shown once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from smsinbox.integrations.catalog import EVENT_DESCRIPTIONS
from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from smsinbox.integrations.services import (
    api_key_revoke,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
)
from smsinbox.web.admin.messages import ReadOnlyTwilioAdmin  # read-only: what happened, not edited by hand
from smsinbox.web.admin.writes import ServiceAdmin, ServiceForm


class EndpointForm(ServiceForm):
    event_types = forms.MultipleChoiceField(
        choices=list(EVENT_DESCRIPTIONS.items()), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("organization", "url", "description", "event_types", "active")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdmin):
    form = EndpointForm
    list_display = ("url", "organization", "active", "failing_since", "created_at")
    list_filter = ("organization", "active")
    list_select_related = ("organization",)
    search_fields = ("url", "description")
    fields = ("organization", "url", "description", "event_types", "active", "paused_reason", "failing_since")
    readonly_fields = ("paused_reason", "failing_since")

    def create(self, request: HttpRequest, values: dict[str, Any]) -> WebhookEndpoint:
        return webhook_endpoint_create(
            organization=values["organization"],
            actor=request.user,
            url=values["url"],
            event_types=values["event_types"],
            description=values.get("description", ""),
        )

    def update(self, request: HttpRequest, obj: WebhookEndpoint, changes: dict[str, Any]) -> WebhookEndpoint:
        if "active" in changes:
            webhook_endpoint_set_active(endpoint=obj, actor=request.user, active=changes["active"])
        if changes.keys() - {"active"}:
            obj = webhook_endpoint_update(
                endpoint=obj,
                actor=request.user,
                url=changes.get("url", obj.url),
                event_types=changes.get("event_types", obj.event_types),
                description=changes.get("description", obj.description),
            )
        return obj

    def delete(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        webhook_endpoint_delete(endpoint=obj, actor=request.user)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyTwilioAdmin):
    organization_path = "endpoint__organization"
    list_display = ("event", "endpoint", "status", "attempts", "response_status", "duration_ms", "created_at")
    list_filter = ("status", "endpoint__organization")
    list_select_related = ("event", "endpoint")
    actions = ("redeliver",)

    @admin.action(description="Redeliver (same event id)", permissions=["view"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset.select_related("endpoint"):
            webhook_delivery_redeliver(delivery=delivery, actor=request.user)
        self.message_user(request, f"{queryset.count()} queued again.", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyTwilioAdmin):
    list_display = ("name", "prefix", "organization", "scopes", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("organization",)
    exclude = ("key_hash",)
    actions = ("revoke",)

    @admin.action(description="Revoke", permissions=["view"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key=key, actor=request.user)
        self.message_user(request, f"{queryset.count()} revoked.", messages.SUCCESS)
