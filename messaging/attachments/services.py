"""Attachments' services: upload, hand-over to a send, Twilio's fetch of the public URL, cleanup, erasure.

The public URL's lifetime is a small state machine on the row, settled by conditional UPDATEs (no
check-then-write): unsent (``message`` null: never served publicly) → sent (``expires_at`` = send + 24 h) →
fetched (``first_fetched_at`` set once; ``expires_at`` pulled in to that fetch + 10 minutes) → expired (410).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from messaging.attachments.models import Attachment, safe_name
from messaging.attachments.rules import (
    ACCEPTED_TYPES,
    FETCH_GRACE,
    MAX_ATTACHMENTS,
    MAX_TOTAL_BYTES,
    SENT_LIFETIME,
    megabytes,
    normalized_type,
)
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, User

logger = logging.getLogger(__name__)

FIELD = "attachmentIds"


def too_large_message(total: int) -> str:
    return (
        f"Attachments total {megabytes(total)}; a text message can carry at most {megabytes(MAX_TOTAL_BYTES)}. "
        "Remove some, or send the images smaller."
    )


@transaction.atomic
def attachment_upload(
    *, organization: Organization, user: User, conversation: Conversation, upload: UploadedFile
) -> Attachment:
    """Store ``upload`` as an unsent attachment of ``conversation`` (of ``organization``: else a 404 refusal).

    Refused with a clear message: a type Twilio does not accept for MMS, an empty file, a file over the 5 MB a
    message may carry (``code="too_large"``). The browser's content type is trusted only within that list.
    """
    if conversation.organization_id != organization.id:
        raise ServiceError.not_found("Conversation")
    content_type = normalized_type(upload.content_type or "")
    name = safe_name(upload.name or "attachment")
    if content_type not in ACCEPTED_TYPES:
        raise ServiceError(
            f"{name}: Twilio cannot send files of type {content_type or 'unknown'} as MMS. "
            "Attach images (JPEG, PNG, GIF), audio, video, PDF or vCard files.",
            code="unsupported_type",
            field="file",
        )
    if not upload.size:
        raise ServiceError(f"{name} is empty.", field="file")
    if upload.size > MAX_TOTAL_BYTES:
        raise ServiceError(
            f"{name} is {megabytes(upload.size)}; a text message can carry at most {megabytes(MAX_TOTAL_BYTES)}.",
            code="too_large",
            field="file",
        )
    attachment = Attachment(
        organization=organization,
        uploaded_by=user,
        conversation=conversation,
        content_type=content_type,
        size=upload.size,
        name=name,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    logger.info("attachment %s uploaded to conversation %s by user %s", attachment.pk, conversation.pk, user.pk)
    return attachment


def public_url(attachment: Attachment) -> str:
    """The URL Twilio fetches: ``PUBLIC_BASE_URL`` + ``/m/<token>/<name>``."""
    return settings.PUBLIC_BASE_URL + reverse("attachment-public", args=[attachment.token, attachment.name])


def attachments_for_send(
    *, organization: Organization, conversation: Conversation, attachment_ids: Sequence[int], other_media: int
) -> list[Attachment]:
    """Lock and return the attachments a send names, in the order named (call inside ``message_send``'s
    transaction). Each must be an unsent upload of this organization's ``conversation``; together at most
    5 MB and, with the ``other_media`` URLs, at most 10 media. The row locks make a racing second send of
    the same attachment wait, then find it sent and refuse it.
    """
    wanted = list(dict.fromkeys(attachment_ids))
    if not wanted:
        return []
    if not settings.PUBLIC_BASE_URL:
        raise ServiceError("Attachments need PUBLIC_BASE_URL: Twilio fetches them from there.", field=FIELD)
    found = {
        a.pk: a
        for a in Attachment.objects.select_for_update()
        .filter(pk__in=wanted, organization=organization, conversation=conversation)
        .order_by("pk")
    }
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ServiceError.not_found("Attachment", field=FIELD)
    if any(found[pk].message_id is not None for pk in wanted):
        raise ServiceError("That attachment was already sent; attach the file again.", code="already_sent", field=FIELD)
    if len(wanted) + other_media > MAX_ATTACHMENTS:
        raise ServiceError(f"Too many attachments. Maximum {MAX_ATTACHMENTS}.", field=FIELD)
    total = sum(found[pk].size for pk in wanted)
    if total > MAX_TOTAL_BYTES:
        raise ServiceError(too_large_message(total), code="too_large", field=FIELD)
    return [found[pk] for pk in wanted]


@dataclass
class Resend:
    """``attachments_for_resend``'s copies: their ids, the media positions the originals held, and the stored
    files written (the caller deletes them when the resend does not commit: storage is not transactional)."""

    ids: list[int] = field(default_factory=list)
    positions: set[int] = field(default_factory=set)
    paths: list[str] = field(default_factory=list)


def attachments_for_resend(*, message_id: int, resend: Resend) -> Resend:
    """Copy the attachments a message sent into ``resend`` (``messages_retry``), in the caller's transaction.

    Each copy is a fresh unsent upload of the same conversation with its own stored file and token, which the
    resend then sends like any upload: the original's public URL ended 10 minutes after Twilio first fetched it,
    so a retry through it would fail again at Twilio's fetch. A file no longer stored is a clear refusal. The
    caller holds the conversation's row lock first (``message_send``'s order): inserting a copy locks its row
    too (the foreign key's check)."""
    for original in Attachment.objects.filter(message_id=message_id).order_by("position"):
        copy = Attachment(
            organization_id=original.organization_id,
            uploaded_by_id=original.uploaded_by_id,
            conversation_id=original.conversation_id,
            content_type=original.content_type,
            size=original.size,
            name=original.name,
        )
        try:
            with original.file.open("rb") as source:
                copy.file.save(original.name, File(source), save=False)
        except OSError as exc:
            raise ServiceError(
                f"{original.name} is no longer stored: open the conversation and attach it again.", field=FIELD
            ) from exc
        resend.paths.append(copy.file.name)
        copy.save()
        resend.ids.append(copy.pk)
        resend.positions.add(original.position)
    return resend


def attachments_mark_sent(
    *, message_id: int, attachments: Sequence[Attachment], first_position: int, send_at: datetime | None
) -> None:
    """Make ``attachments`` media ``first_position``… of the message; their public URL works until 24 h after
    the send (``send_at`` for a scheduled one). Called by ``message_send`` under its locks."""
    now = timezone.now()
    for offset, attachment in enumerate(attachments):
        attachment.message_id = message_id
        attachment.position = first_position + offset
        attachment.sent_at = now
        attachment.expires_at = max(send_at or now, now) + SENT_LIFETIME
        attachment.save(update_fields=["message", "position", "sent_at", "expires_at"])


class PublicFetch(StrEnum):
    SERVED = "served"
    GONE = "gone"  # sent, but its time is over
    NOT_FOUND = "not_found"  # no such token (or never sent)


@transaction.atomic
def attachment_public_fetch(
    *, token: str, name: str | None = None, now: datetime | None = None
) -> tuple[PublicFetch, Attachment | None]:
    """Twilio (or anyone holding the URL) fetches ``token``'s file: whether to serve it.

    The first fetch sets ``first_fetched_at`` and pulls ``expires_at`` in to that moment + 10 minutes, in one
    conditional UPDATE (two first fetches at once: one sets it, both are served). ``name``: the URL's last part,
    which must be the attachment's (else not found, and nothing is marked). ``now``: the clock, for tests.
    """
    now = now or timezone.now()
    found = Attachment.objects.filter(token=token, message__isnull=False)
    attachment = (found.filter(name=name) if name is not None else found).first() if token else None
    if attachment is None:
        return PublicFetch.NOT_FOUND, None
    if attachment.expires_at is None or now >= attachment.expires_at:
        return PublicFetch.GONE, attachment
    Attachment.objects.filter(pk=attachment.pk, first_fetched_at__isnull=True).update(
        first_fetched_at=now, expires_at=Least(F("expires_at"), now + FETCH_GRACE)
    )
    attachment.refresh_from_db(fields=["first_fetched_at", "expires_at"])
    return PublicFetch.SERVED, attachment


def attachments_cleanup(*, now: datetime | None = None) -> int:
    """Delete unsent uploads older than ``ATTACHMENTS_UNSENT_HOURS`` and their files; return how many.

    A worker sweep (``TASK_WORKER_SWEEPS``) and ``manage.py attachments_cleanup``. Each row is deleted by a
    conditional DELETE (still unsent), so a send racing the sweep keeps its attachment; the file goes after.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.ATTACHMENTS_UNSENT_HOURS)
    removed = 0
    stale = Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff).values_list("pk", "file")[:500]
    for pk, path in list(stale):
        deleted, _ = Attachment.objects.filter(Q(pk=pk), message__isnull=True).delete()
        if deleted:
            removed += 1
            attachment_file_delete(path=path)
    if removed:
        logger.info("attachments cleanup: %s unsent uploads deleted", removed)
    return removed


def attachment_file_delete(*, path: str) -> None:
    """Delete one stored file (a missing one is fine: deleted already)."""
    from messaging.attachments.models import attachments_storage

    try:
        attachments_storage().delete(path)
    except OSError:
        logger.warning("attachment file %s could not be deleted", path, exc_info=True)


def attachment_files_delete_on_commit(*, paths: Sequence[str]) -> None:
    """Delete these files once the transaction that deleted their rows commits (erasure)."""
    paths = list(paths)
    transaction.on_commit(lambda: [attachment_file_delete(path=p) for p in paths])
