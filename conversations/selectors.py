"""Reads that check access: a row of another organization is simply not found."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from conversations.models import Contact, Conversation
from smsinbox.models import Organization
from smsinbox.tenancy import organization_ids_for_user


def contact_get_for_user(*, user: AbstractBaseUser, organization: Organization, contact_id: int) -> Contact | None:
    """The contact if it belongs to ``organization`` and the user is a member of it."""
    if organization.pk not in organization_ids_for_user(user):
        return None
    return Contact.objects.filter(pk=contact_id, organization=organization).first()


def conversation_get_for_user(*, user: AbstractBaseUser, conversation_id: int) -> Conversation | None:
    """The conversation if the user is a member of its organization."""
    return (
        Conversation.objects.select_related("contact", "phone_number", "organization")
        .filter(pk=conversation_id, organization_id__in=organization_ids_for_user(user))
        .first()
    )
