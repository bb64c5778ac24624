"""Invitations to join an organization.

Invariants held by the database:
- at most one pending invitation (neither accepted nor revoked) per organization and email
  (``invite_one_pending_per_email``), so two admins inviting the same person at once cannot make two;
- only the SHA-256 of the link's token is stored (``invite_unique_token_hash``): the token itself lives only
  in the email; resending replaces the hash, which kills the old link;
- an invitation is accepted or revoked, never both (``invite_accepted_or_revoked``); its role is a role.

States: pending → accepted (the link was used: the account exists and is a member) | revoked (by an admin,
or replaced when an expired one is invited again). A pending invitation past ``expires_at`` is expired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from smsinbox.models import Membership, Organization


class Invite(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField(help_text="Stored in lowercase.")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.AGENT)
    token_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 (hex) of the link's token.")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invites_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now, help_text="When the current link was sent.")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invites_accepted"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="invite_unique_token_hash"),
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invite_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True), name="invite_accepted_or_revoked"
            ),
            models.CheckConstraint(condition=Q(role__in=["admin", "agent"]), name="invite_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.is_pending and self.expires_at <= timezone.now()
