"""``WebhookPost``: a signed Twilio post, kept as posted until it is applied.

The invariant: a post Twilio was answered 200 for is either applied (its message or status stored by
``message_receive`` / ``message_status_update``) or still here, unapplied, to be applied or replayed.
One row per (route, key): a retried delivery of the same post is the same row (``INSERT … ON
CONFLICT DO NOTHING``), and applying it twice is harmless anyway, since both services are idempotent.

States (all in this row, no other table):

- **pending**: ``applied_at`` is null, ``attempts`` below ``INTAKE_MAX_ATTEMPTS``; a processor applies it in a
  transaction that holds its row lock (``messaging.intake.services``), not before ``not_before`` when an
  earlier try failed;
- **applied**: ``applied_at`` set, ``outcome`` says what happened (stored, repeated, recorded, ignored …);
  deleted ``INTAKE_KEEP_DAYS`` later;
- **failed**: a bug raised while applying it ``INTAKE_MAX_ATTEMPTS`` times: it stays, with ``error``, until
  ``manage.py replay_webhooks`` puts it back to pending (after the fix).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from smsinbox.db_triggers import Maintain


class WebhookPost(models.Model):
    class Route(models.TextChoices):
        INBOUND = "inbound", "Incoming message"
        STATUS = "status", "Status callback"

    route = models.CharField(max_length=10, choices=Route.choices)
    # inbound: the MessageSid; status: MessageSid, status, error code and our message id (``intake.services``)
    key = models.CharField(max_length=120)
    fields = models.JSONField(help_text="The posted form, as parsed (messaging.twilio.payloads.raw_fields).")
    our_message_id = models.BigIntegerField(null=True, blank=True, help_text="A status callback's ?m= id.")
    received_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(null=True, blank=True, help_text="After a failed try: not again before.")
    applied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["route", "key"], name="webhookpost_once")]
        indexes = [
            models.Index(fields=["id"], condition=Q(applied_at__isnull=True), name="webhookpost_pending"),
            models.Index(fields=["applied_at"], condition=Q(applied_at__isnull=False), name="webhookpost_applied"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"


NOTIFY_CHANNEL = "smsinbox_intake"

# PostgreSQL wakes the processors (``LISTEN smsinbox_intake``) when a post is stored, in the same statement;
# SQLite has no notifications (the embedded default's processor polls), so its body does nothing.
TRIGGERS = [
    Maintain(
        "webhookpost_notify",
        "messaging_webhookpost",
        "INSERT",
        "",
        sqlite="SELECT 1;",
        postgres=f"PERFORM pg_notify('{NOTIFY_CHANNEL}', '');",
    )
]
