"""Tenancy: staff users, organizations, memberships and the organizations' Twilio numbers."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from phonenumber_field.modelfields import PhoneNumberField

from smsinbox.db_triggers import Trigger
from smsinbox.phones import default_region, phone_region_clean, remember_organization_region

# E.164: a plus, a non-zero country digit, at most 15 digits in all. Checked by the database.
E164_REGEX = r"^\+[1-9][0-9]{6,14}$"


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example America/New_York).")


class User(AbstractUser):
    """A staff member; sees timestamps in ``time_zone``, or their browser's zone when it is empty."""

    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text="Times are shown in this zone (for example America/New_York); empty: the browser's own zone.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Organization(models.Model):
    """A tenant: everything a staff member sees belongs to one of their organizations.

    Its reply rules are enforced by the send service (``messaging.services.outbound.message_send``):
    ``auto_assign_on_reply`` gives an unassigned conversation to the staff member who replies, and
    ``only_assignee_replies`` refuses a reply in a conversation assigned to someone else unless the
    replier takes it over (assigns it to themselves in the same transaction as the send).
    """

    name = models.CharField(max_length=200, unique=True)
    auto_assign_on_reply = models.BooleanField(
        "auto-assign on reply",
        default=True,
        help_text="An unassigned conversation becomes the conversation of the staff member who replies.",
    )
    only_assignee_replies = models.BooleanField(
        "only the assignee may reply",
        default=False,
        help_text="A conversation assigned to someone can be answered by them only, unless another member "
        "takes it over explicitly (the inbox offers “Take over”).",
    )
    phone_region = models.CharField(
        "phone region",
        max_length=2,
        blank=True,
        default="",
        help_text="Where the organization is (a two-letter country code such as US, GB or AU): its numbers are "
        "shown in national format and numbers typed without a country code are read as its own. "
        "Empty: the server's PHONENUMBER_DEFAULT_REGION.",
    )
    auto_assign = models.BooleanField(
        "automatic assignment",
        default=False,
        help_text="New conversations, and unassigned ones that receive a text, go in turn to available members "
        "(conversations.auto_assign).",
    )
    auto_assign_max_open = models.PositiveSmallIntegerField(
        "most open conversations per member",
        default=10,
        help_text="Automatic assignment skips a member with this many open conversations (0: no limit).",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text="Where its business hours are kept (for example America/New_York); empty: the server's TIME_ZONE.",
    )
    audit_retention_days = models.PositiveIntegerField(
        "audit log kept (days)",
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Entries of the audit log older than this are deleted by the prune_audit command.",
    )
    # Sign-in rules (``smsinbox.session_limits``, ``smsinbox.two_factor``); edited on ``/settings/security/``.
    idle_timeout_minutes = models.PositiveIntegerField(
        "idle timeout (minutes)",
        default=30,
        help_text="A session without activity for this long ends (the inbox warns a minute before). 0: never.",
    )
    max_session_hours = models.PositiveIntegerField(
        "maximum session age (hours)",
        default=12,
        help_text="A session ends this long after its sign-in, active or not. 0: no maximum.",
    )
    require_two_factor = models.BooleanField(
        "require two-factor sign-in",
        default=False,
        help_text="Members without an authenticator app set up are sent to set one up right after their password.",
    )
    reports_for_agents = models.BooleanField(
        "agents may read reports",
        default=False,
        help_text="Agents see the reports page and API (read-only); admins always do.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(idle_timeout_minutes__lte=24 * 60) & Q(max_session_hours__lte=24 * 30),
                name="organization_session_limits_range",
            ),
            # Empty, or two capitals (which region they name is checked by ``clean``: phonenumbers knows).
            models.CheckConstraint(
                condition=Q(phone_region="")
                | (Q(Exact(Length("phone_region"), 2)) & Q(phone_region=Upper("phone_region"))),
                name="organization_phone_region_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        remember_organization_region(self.pk, self.region)

    @property
    def region(self) -> str:
        """Where numbers are read and shown nationally: ``phone_region``, else the server's default region."""
        return self.phone_region or default_region()

    def clean(self) -> None:
        super().clean()
        try:
            self.phone_region = phone_region_clean(self.phone_region)
        except ValueError as exc:
            raise ValidationError({"phone_region": str(exc)}) from exc


class Membership(models.Model):
    """A user's role in one organization. A user may belong to several."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        AGENT = "agent", "Agent"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    available = models.BooleanField(
        default=True, help_text="Available for new conversations (automatic assignment); Away: none are given."
    )
    last_auto_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org"),
            models.CheckConstraint(condition=Q(role__in=["admin", "agent"]), name="membership_role_valid"),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.get_role_display()})"


class PhoneNumber(models.Model):
    """One of an organization's Twilio numbers: unique across the whole system.

    Inbound webhooks find their organization by ``number`` (the webhook's ``To``) or by
    ``messaging_service_sid``; outbound sends are paced at ``messages_per_second``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="phone_numbers")
    number = PhoneNumberField(unique=True, help_text="E.164, for example +15005550006.")
    friendly_name = models.CharField(max_length=100, blank=True)
    twilio_sid = models.CharField(
        "Twilio phone number SID", max_length=34, blank=True, help_text="PN…, filled in when webhooks are configured."
    )
    messaging_service_sid = models.CharField(
        "Messaging Service SID",
        max_length=34,
        blank=True,
        help_text="MG…, when this number sends through a Messaging Service.",
    )
    messages_per_second = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        help_text="Sending pace shared by all workers (US long code ≈ 1, toll-free 3, short code 100).",
    )
    twilio_scheduling = models.BooleanField(
        "Twilio's scheduling",
        default=False,
        help_text="With a Messaging Service: hand a message scheduled 15 minutes to 35 days ahead to Twilio at "
        "once, for Twilio to send at its time (instead of our own scheduler).",
    )
    send_slot_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="The next moment a send from this number may start."
    )
    # Nullable, no default: SQLite adds the column in place (a NOT NULL one would rebuild the table, which the
    # triggers of conversations that name this table forbid).
    recent_send_starts = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the latest sends from this number started (Unix seconds, oldest first): the sliding "
        "one-second window of messaging.services.ratelimit.phone_number_start_send.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(messages_per_second__gt=0), name="phonenumber_mps_positive"),
            models.CheckConstraint(condition=Q(number__regex=E164_REGEX), name="phonenumber_e164"),
        ]
        indexes = [
            models.Index(
                fields=["messaging_service_sid"],
                name="phonenumber_service_sid_idx",
                condition=~Q(messaging_service_sid=""),
            ),
        ]

    def __str__(self) -> str:
        label = f" ({self.friendly_name})" if self.friendly_name else ""
        return f"{self.number}{label}"

    def clean(self) -> None:
        sid = self.messaging_service_sid
        if (
            sid
            and PhoneNumber.objects.filter(messaging_service_sid=sid)
            .exclude(organization_id=self.organization_id)
            .exists()
        ):
            raise ValidationError({"messaging_service_sid": "This Messaging Service belongs to another organization."})


# Installed by migrations and after every migrate (``smsinbox.db_triggers``).
TRIGGERS = [
    Trigger(
        "phonenumber_service_one_organization",
        "smsinbox_phonenumber",
        ("INSERT", "UPDATE"),
        "NEW.messaging_service_sid <> '' AND EXISTS (SELECT 1 FROM smsinbox_phonenumber other "
        "WHERE other.messaging_service_sid = NEW.messaging_service_sid "
        "AND other.organization_id <> NEW.organization_id)",
        "this Messaging Service belongs to another organization",
    ),
]


# The audit log, notification preferences and push subscriptions, integrations and invitations live in their own
# modules; importing them here makes them models of this app (and the audit log's trigger one of its TRIGGERS).
from smsinbox.audit.models import TRIGGERS as AUDIT_TRIGGERS  # noqa: E402
from smsinbox.integrations.models import (  # noqa: E402, F401
    ApiKey,
    ApiKeyAction,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from smsinbox.notifications.models import NotificationSettings, PushSubscription  # noqa: E402, F401
from smsinbox.team.models import Invite  # noqa: E402, F401

TRIGGERS += AUDIT_TRIGGERS
