"""A broadcast (one message to many contacts) and its recipients (see ``messaging.broadcasts``).

State machine of a broadcast (``Broadcast.state``; every move is a conditional UPDATE in
``messaging.broadcasts.services``, so of two racing moves exactly one wins)::

    queued ─run (the worker, at send_at)─▶ sending ─no recipient left─▶ done        (terminal)
    queued / sending ─pause─▶ paused ─resume─▶ queued
    queued / sending / paused ─cancel─▶ cancelled                                   (terminal)

The database enforces what it can: the state is one of these (``broadcast_state_valid``) and a terminal
broadcast has its ``finished_at`` while a live one has none (``broadcast_finished_iff_terminal``).

A recipient is ``queued`` (waiting for the worker), ``sent`` (its message is stored and in the send pipeline;
``message`` names it, the message's own status says what Twilio did with it) or ``excluded`` (never texted;
``reason`` says why). One row per contact per broadcast (``broadcastrecipient_unique_contact``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from smsinbox.models import Organization, PhoneNumber


class BroadcastState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    DONE = "done", "Done"


TERMINAL_STATES = (BroadcastState.CANCELLED, BroadcastState.DONE)


class Broadcast(models.Model):
    """One message (a template with variables, ``messaging.broadcasts.variables``) sent to many contacts."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="broadcasts")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="The message, with {{contact.first_name|fallback}} variables.")
    phone_number = models.ForeignKey(
        PhoneNumber, on_delete=models.PROTECT, related_name="broadcasts", help_text="The number it sends from."
    )
    state = models.CharField(max_length=10, choices=BroadcastState.choices, default=BroadcastState.QUEUED)
    send_at = models.DateTimeField(null=True, blank=True, help_text="Start no earlier than this (empty: now).")
    sources = models.JSONField(default=dict, blank=True, help_text="How the recipients were chosen.")
    recipient_count = models.PositiveIntegerField(default=0, help_text="Recipients at creation (not excluded).")
    excluded_count = models.PositiveIntegerField(default=0, help_text="Excluded at creation.")
    duplicate_count = models.PositiveIntegerField(default=0, help_text="Chosen twice or more, counted once.")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker last made progress (broadcasts_kick restarts a stale one)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "messaging"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=BroadcastState.values), name="broadcast_state_valid"),
            models.CheckConstraint(
                condition=(Q(state__in=TERMINAL_STATES) & Q(finished_at__isnull=False))
                | (~Q(state__in=TERMINAL_STATES) & Q(finished_at__isnull=True)),
                name="broadcast_finished_iff_terminal",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="broadcast_state_idx")]

    def __str__(self) -> str:
        return f"Broadcast {self.pk}"

    @property
    def from_chosen(self) -> bool:
        """Whether its admin chose the number it goes from (``fromNumberId``): then every text goes from
        ``phone_number`` and a thread on another number moves there; else each text goes from its conversation's
        own number (sticky sender), and ``phone_number`` (the organization's first) only sets the pace."""
        return bool((self.sources or {}).get("fromNumberId"))


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    EXCLUDED = "excluded", "Excluded"


class ExcludedReason(models.TextChoices):
    OPTED_OUT = "opted_out", "Opted out"
    INVALID = "invalid", "Not a valid number"
    LANDLINE = "landline", "Landline"
    CANCELLED = "cancelled", "Broadcast cancelled"
    REFUSED = "refused", "Refused by the send pipeline"


class BroadcastRecipient(models.Model):
    """One person a broadcast is for (or one entry that was excluded, with its reason)."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(
        "conversations.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.CharField(max_length=64, help_text="E.164, or the text given when it is not a number.")
    status = models.CharField(max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED)
    reason = models.CharField(max_length=10, choices=ExcludedReason.choices, blank=True)
    detail = models.CharField(max_length=200, blank=True, help_text="Why, in words, when excluded.")
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        app_label = "messaging"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "contact"],
                condition=Q(contact__isnull=False),
                name="broadcastrecipient_unique_contact",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values), name="broadcastrecipient_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=RecipientStatus.EXCLUDED) & ~Q(reason=""))
                | (~Q(status=RecipientStatus.EXCLUDED) & Q(reason="")),
                name="broadcastrecipient_reason_iff_excluded",
            ),
            models.CheckConstraint(
                condition=Q(status=RecipientStatus.EXCLUDED) | Q(contact__isnull=False),
                name="broadcastrecipient_contact_unless_excluded",
            ),
        ]
        indexes = [models.Index(fields=["broadcast", "status"], name="broadcastrecipient_status_idx")]

    def __str__(self) -> str:
        return self.number
