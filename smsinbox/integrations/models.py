"""Rows of integrations: endpoints, the outbox of events and their deliveries, organization API keys.

Invariants held by the database:
- an event's id (``WebhookEvent.id``, a UUID) is what receivers deduplicate by: every attempt and every
  redelivery of it carries the same id;
- one delivery per (event, endpoint) (``webhookdelivery_unique_event_endpoint``);
- a delivery's status is one of its states, and ``delivered_at`` is set exactly when it is delivered
  (``webhookdelivery_delivered_consistent``);
- an API key's hash is unique, and only the hash is stored (``apikey_unique_hash``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from smsinbox.models import Organization


class WebhookEndpoint(models.Model):
    """A URL of the organization's that hears the events it subscribed to.

    States: active → paused (by an admin, or by the system after a day of failures: ``paused_reason``) →
    active (resumed by an admin: its waiting deliveries go out again).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(
        "URL", max_length=2000, help_text="http(s); checked against private addresses on every delivery."
    )
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types it receives.")
    secret = models.CharField(max_length=100, help_text="Signs every delivery (HMAC-SHA256).")
    active = models.BooleanField(default=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure since the last success.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__startswith="https://") | Q(url__startswith="http://"), name="webhookendpoint_url_http"
            )
        ]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One outgoing event, written in the transaction of the change that caused it (the outbox)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40)
    data = models.JSONField(help_text="The payload, camelCase, in the REST API's shape.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: attempted until delivered, or until its day of retries runs out.

    State machine (``smsinbox.integrations.delivery``): pending ─claim (lease)─▶ in flight ─2xx─▶ delivered;
    in flight ─error─▶ pending (next attempt with backoff) or failed (past ``retry_until``); in flight, worker
    killed ─▶ pending with an expired lease: the sweep sends it again (at-least-once; same event id).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True, help_text="An attempt may be in flight until then.")
    retry_until = models.DateTimeField(help_text="Retried until then (a day after the event or a redelivery).")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due")]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhookdelivery_unique_event_endpoint"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]), name="webhookdelivery_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status="delivered") & Q(delivered_at__isnull=False))
                | (~Q(status="delivered") & Q(delivered_at__isnull=True)),
                name="webhookdelivery_delivered_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class ApiKey(models.Model):
    """An organization's API key: independent of staff users; only its SHA-256 hash is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [models.UniqueConstraint(fields=["key_hash"], name="apikey_unique_hash")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ApiKeyAction(models.Model):
    """The audit of a key: every write it made through the API (method, path, answer)."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="actions")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status_code = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code}"
