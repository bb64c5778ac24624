"""What admins do with webhook endpoints and API keys. Each service checks the actor administers the organization
(``Membership.role == admin``) and refuses anything else with a clear error."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.integrations import http, signing
from smsinbox.integrations.catalog import TEST_EVENT, Scope, WebhookEventType
from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint, WebhookEvent
from smsinbox.integrations.outbox import deliveries_create, enqueue_delivery
from smsinbox.models import Organization
from smsinbox.team.roles import is_organization_admin

KEY_PREFIX = "smsk_"


def _require_admin(actor: AbstractBaseUser, organization_id: int) -> None:
    if not is_organization_admin(user=actor, organization_id=organization_id):
        raise ServiceError("Only the organization's admins manage integrations.", code="forbidden")


def _members_of(choices: type[StrEnum], given: Collection[str], *, what: str, field: str, empty: str) -> list[str]:
    """``given`` as members of ``choices``, in the catalog's order; an unknown one or none at all is refused."""
    unknown = sorted(set(given) - {c.value for c in choices})
    if unknown:
        raise ServiceError(f"Unknown {what}: {', '.join(unknown)}.", field=field)
    if not given:
        raise ServiceError(empty, field=field)
    return [c.value for c in choices if c.value in given]


def _clean_types(event_types: Collection[str]) -> list[str]:
    return _members_of(
        WebhookEventType, event_types, what="event type", field="event_types", empty="Choose at least one event."
    )


def _clean_url(url: str) -> str:
    url = url.strip()
    if len(url) > 2000:
        raise ServiceError("The URL is too long (2000 characters at most).", field="url")
    problem = http.url_problem(url)
    if problem:
        raise ServiceError(problem, field="url")
    return url


@transaction.atomic
def webhook_endpoint_create(
    *,
    organization: Organization,
    actor: AbstractBaseUser,
    url: str,
    event_types: Collection[str],
    description: str = "",
) -> WebhookEndpoint:
    _require_admin(actor, organization.pk)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=_clean_url(url),
        description=description.strip()[:200],
        event_types=_clean_types(event_types),
        secret=signing.new_secret(),
    )
    audit_record(
        organization=organization,
        action=Action.WEBHOOK_CREATED,
        actor=actor,
        target=endpoint,
        changes={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor: AbstractBaseUser, url: str, event_types: Collection[str], description: str
) -> WebhookEndpoint:
    _require_admin(actor, endpoint.organization_id)
    before = {"url": endpoint.url, "event_types": endpoint.event_types, "description": endpoint.description}
    endpoint.url, endpoint.event_types = _clean_url(url), _clean_types(event_types)
    endpoint.description = description.strip()[:200]
    endpoint.save(update_fields=["url", "event_types", "description", "updated_at"])
    after = {"url": endpoint.url, "event_types": endpoint.event_types, "description": endpoint.description}
    audit_record(
        organization=endpoint.organization_id,
        action=Action.WEBHOOK_UPDATED,
        actor=actor,
        target=endpoint,
        changes=changes_between(before, after),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser, active: bool) -> bool:
    """Pause or resume; a resume sends its waiting deliveries again (those still within their day). Returns
    whether it changed."""
    _require_admin(actor, endpoint.organization_id)
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk).exclude(active=active)
    fields: dict[str, object] = {"active": active, "paused_reason": "" if active else "Paused by an admin."}
    if active:
        fields["failing_since"] = None
    if not changed.update(**fields, updated_at=timezone.now()):
        return False
    endpoint.refresh_from_db()
    audit_record(
        organization=endpoint.organization_id,
        action=Action.WEBHOOK_RESUMED if active else Action.WEBHOOK_PAUSED,
        actor=actor,
        target=endpoint,
    )
    if active:
        waiting = WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING)
        for pk in waiting.values_list("pk", flat=True):
            enqueue_delivery(pk)
    return True


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser) -> None:
    _require_admin(actor, endpoint.organization_id)
    audit_record(organization=endpoint.organization_id, action=Action.WEBHOOK_DELETED, actor=actor, target=endpoint)
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint only (even paused: that is how an admin checks it is back)."""
    _require_admin(actor, endpoint.organization_id)
    event = WebhookEvent.objects.create(
        organization_id=endpoint.organization_id,
        type=TEST_EVENT,
        data={"message": "A test event from smsinbox's Integrations page.", "endpointId": endpoint.pk},
    )
    return deliveries_create(event=event, endpoints=[endpoint])[0]


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor: AbstractBaseUser) -> WebhookDelivery:
    """Send an event again (same event id), with a new day of retries."""
    _require_admin(actor, delivery.endpoint.organization_id)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        delivered_at=None,
        next_attempt_at=now,
        leased_until=None,
        retry_until=now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS),
    )
    enqueue_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def key_hash(key: str) -> str:
    """Keys are long random strings: a SHA-256 of one is as good as a slow hash, and indexable."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    actor: AbstractBaseUser,
    name: str,
    scopes: Collection[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret (returned once; only its hash is stored)."""
    _require_admin(actor, organization.pk)
    name = name.strip()
    if not name:
        raise ServiceError("Name the key after what uses it.", field="name")
    chosen = _members_of(Scope, scopes, what="scope", field="scopes", empty="Give the key at least one scope.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError("The expiry must be in the future.", field="expires_at")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        organization=organization,
        name=name[:100],
        prefix=secret[:12],
        key_hash=key_hash(secret),
        scopes=chosen,
        expires_at=expires_at,
        created_by_id=actor.pk,
    )
    audit_record(
        organization=organization,
        action=Action.API_KEY_CREATED,
        actor=actor,
        target=key,
        changes={"scopes": chosen, "expires_at": expires_at},
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: AbstractBaseUser) -> bool:
    _require_admin(actor, key.organization_id)
    revoked = bool(ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))
    if revoked:
        audit_record(organization=key.organization_id, action=Action.API_KEY_REVOKED, actor=actor, target=key)
    return revoked
