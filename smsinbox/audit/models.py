"""``AuditEntry``: one staff action that changed data or access, kept for the organization's retention period.

Append-only. The application has no update path (no service, no admin change page), and the database refuses
every UPDATE of a row (``TRIGGERS``, on SQLite and PostgreSQL). Rows go in two ways only, both DELETEs:
``audit_prune`` (older than the organization's ``audit_retention_days``) and ``contact_erase`` (the entries
about the erased person, who must not be left in any table; the erasure's own entry, naming nobody, stays).

The actor is kept twice: ``actor`` (an id without a database constraint, so deleting a user changes no entry:
a cascade or SET NULL would be an UPDATE) and ``actor_name`` (their username then), which is what is shown.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from smsinbox.db_triggers import Trigger


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        SIGN_IN = "auth.sign_in", "Signed in"
        SIGN_OUT = "auth.sign_out", "Signed out"
        SIGN_IN_FAILED = "auth.sign_in_failed", "Sign-in failed"
        TWO_FACTOR_ENABLED = "auth.two_factor_enabled", "Two-factor sign-in set up"
        TWO_FACTOR_DISABLED = "auth.two_factor_disabled", "Two-factor sign-in turned off"
        INVITE_CREATED = "invite.created", "Invitation sent"
        INVITE_RESENT = "invite.resent", "Invitation resent"
        INVITE_REVOKED = "invite.revoked", "Invitation revoked"
        INVITE_ACCEPTED = "invite.accepted", "Invitation accepted"
        ROLE_CHANGED = "member.role_changed", "Role changed"
        MEMBER_DEACTIVATED = "member.deactivated", "Member deactivated"
        CONTACT_CREATED = "contact.created", "Contact created"
        CONTACT_UPDATED = "contact.updated", "Contact edited"
        CONTACT_MERGED = "contact.merged", "Contacts merged"
        CONTACT_ERASED = "contact.erased", "Contact erased"
        CONTACT_DELETED = "contact.deleted", "Contact deleted"
        CONTACT_OPTED_OUT = "contact.opted_out", "Opted out by staff"
        CONTACT_OPTED_IN = "contact.opted_in", "Opted in by staff"
        CONTACTS_IMPORTED = "contacts.imported", "Contacts imported"
        LABEL_CREATED = "label.created", "Label created"
        LABEL_CHANGED = "label.changed", "Label changed"
        LABEL_DELETED = "label.deleted", "Label deleted"
        CONVERSATION_ASSIGNED = "conversation.assigned", "Assignment changed"
        CONTACTS_EXPORTED = "export.contacts", "Contacts exported"
        TRANSCRIPT_EXPORTED = "export.transcript", "Transcript exported"
        AUDIT_EXPORTED = "export.audit", "Audit log exported"
        MESSAGES_RETRIED = "messages.retried", "Failed messages retried"
        WEBHOOK_CREATED = "webhook.created", "Webhook added"
        WEBHOOK_UPDATED = "webhook.updated", "Webhook changed"
        WEBHOOK_PAUSED = "webhook.paused", "Webhook paused"
        WEBHOOK_RESUMED = "webhook.resumed", "Webhook resumed"
        WEBHOOK_DELETED = "webhook.deleted", "Webhook deleted"
        API_KEY_CREATED = "api_key.created", "API key created"
        API_KEY_REVOKED = "api_key.revoked", "API key revoked"
        SETTINGS_CHANGED = "organization.settings_changed", "Settings changed"
        BROADCAST_CREATED = "broadcast.created", "Broadcast sent"
        BROADCAST_PAUSED = "broadcast.paused", "Broadcast paused"
        BROADCAST_RESUMED = "broadcast.resumed", "Broadcast resumed"
        BROADCAST_CANCELLED = "broadcast.cancelled", "Broadcast cancelled"

    organization = models.ForeignKey(
        "smsinbox.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_entries",
        help_text="Empty: a failed sign-in with a username nobody has.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # deleting a user must not UPDATE entries (the trigger refuses that)
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Who, as they were called then.")
    action = models.CharField(max_length=40, choices=Action.choices)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    contact_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="The contact this entry is about (erasure removes it)."
    )
    changes = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="{field: [before, after]} and facts."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["organization", "-created_at"], name="auditentry_org_created_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'}: {self.get_action_display()}"

    def change_lines(self) -> list[tuple[str, str]]:
        """``changes`` for people: ``[before, after]`` pairs as "before → after", other facts as they are."""
        lines = []
        for name, value in (self.changes or {}).items():
            if isinstance(value, list) and len(value) == 2 and name not in ("event_types", "scopes"):
                text = f"{_shown(value[0])} → {_shown(value[1])}"
            else:
                text = _shown(value)
            lines.append((name.replace("_", " "), text))
        return lines


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


TRIGGERS = [
    Trigger(
        "auditentry_append_only",
        "smsinbox_auditentry",
        ("UPDATE",),
        "1 = 1",
        "an audit entry cannot be changed",
    ),
]
