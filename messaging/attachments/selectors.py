"""Reads of attachments that check access: the viewer must be a member of the attachment's organization."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from messaging.attachments.models import Attachment
from messaging.models import MessageMedia
from smsinbox.tenancy import organization_ids_for_user


def attachment_get_for_user(*, user: AbstractBaseUser, attachment_id: int) -> Attachment | None:
    return Attachment.objects.filter(pk=attachment_id, organization_id__in=organization_ids_for_user(user)).first()


def attachment_of_media(*, media: MessageMedia) -> Attachment | None:
    """The uploaded file behind a sent medium (``None``: a URL staff pasted, or received media)."""
    return Attachment.objects.filter(message_id=media.message_id, position=media.position).first()
