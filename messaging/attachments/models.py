"""``Attachment``: a file uploaded in the composer, then one medium of the message it was sent with."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from conversations.models import Conversation
from messaging.attachments.rules import MAX_NAME, MAX_TOTAL_BYTES
from smsinbox.models import Organization


def attachments_storage() -> Storage:
    """``STORAGES["attachments"]``: local files on the embedded default, a bucket in production."""
    return storages["attachments"]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def safe_name(name: str) -> str:
    """A file name fit for a URL path and a storage key (``get_valid_filename``), at most ``MAX_NAME`` long."""
    try:
        cleaned = get_valid_filename(name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    except SuspiciousFileOperation:  # "", "." and ".."
        cleaned = "attachment"
    stem, dot, ext = cleaned[-MAX_NAME:].rpartition(".")
    return (cleaned[:MAX_NAME] if not dot else f"{stem[: MAX_NAME - len(ext) - 1]}.{ext}") or "attachment"


def upload_path(instance: Attachment, filename: str) -> str:
    return f"{instance.organization_id}/{secrets.token_hex(12)}/{safe_name(filename)}"


class Attachment(models.Model):
    """One uploaded file. Unsent (``message`` null) it belongs to its uploader's composer in ``conversation``;
    ``message_send`` makes it medium ``position`` of a message (both set together, checked by the database) and
    sets ``expires_at``. ``token`` makes its public URL unguessable; ``first_fetched_at`` is Twilio's first fetch.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey("messaging.Message", null=True, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField(null=True, help_text="Its MessageMedia position once sent.")
    file = models.FileField(storage=attachments_storage, upload_to=upload_path, max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    name = models.CharField(max_length=MAX_NAME)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_fetched_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=MAX_TOTAL_BYTES), name="attachment_size_within_mms_limit"
            ),
            models.CheckConstraint(
                condition=Q(message__isnull=True, position__isnull=True, sent_at__isnull=True)
                | Q(message__isnull=False, position__isnull=False, sent_at__isnull=False, expires_at__isnull=False),
                name="attachment_sent_has_message_position_expiry",
            ),
            models.UniqueConstraint(fields=["message", "position"], name="attachment_unique_message_position"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type}, {self.size} bytes)"
