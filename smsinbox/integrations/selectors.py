"""Reads of integrations that check access: only the organization's admins see endpoints, deliveries and keys."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from smsinbox.models import Membership
from smsinbox.tenancy import organization_ids_for_user


def _administered(user: AbstractBaseUser) -> list[int]:
    return organization_ids_for_user(user, role=Membership.Role.ADMIN)


def endpoint_get_for_admin(*, user: AbstractBaseUser, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=endpoint_id, organization_id__in=_administered(user)).first()


def delivery_get_for_admin(*, user: AbstractBaseUser, delivery_id: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_related("endpoint", "event")
        .filter(pk=delivery_id, endpoint__organization_id__in=_administered(user))
        .first()
    )


def api_key_get_for_admin(*, user: AbstractBaseUser, key_id: int) -> ApiKey | None:
    return ApiKey.objects.filter(pk=key_id, organization_id__in=_administered(user)).first()


def deliveries_of(*, endpoint: WebhookEndpoint, limit: int = 50) -> QuerySet[WebhookDelivery]:
    """The endpoint's newest deliveries, for its log."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at", "-id")[:limit]
    )
