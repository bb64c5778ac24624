"""Which of the organization's numbers a conversation texts from (sticky sender).

A conversation uses one of its organization's numbers (``Conversation.phone_number``). It follows the customer:
when they text another of the organization's numbers, the thread moves to that number, so replies go from the
number they texted; staff may move it too, by choosing the sending number in the composer. The database keeps
the number within the conversation's organization (trigger ``conversation_same_organization``).
"""

from __future__ import annotations

from django.db import transaction

from conversations.activity import activity_record
from conversations.models import Conversation, ConversationEvent
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, PhoneNumber


def phone_number_choose(*, organization: Organization, phone_number_id: object) -> PhoneNumber:
    """The organization's number with this id, or a clear 400 (``fromNumberId``) naming what is wrong."""
    try:
        pk = int(phone_number_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ServiceError("fromNumberId must be the id of one of your numbers.", field="fromNumberId") from None
    found = PhoneNumber.objects.filter(organization=organization, pk=pk).first()
    if found is None:
        raise ServiceError.not_found("Phone number", field="fromNumberId")
    return found


@transaction.atomic
def conversation_sender_set(
    *, conversation: Conversation, phone_number: PhoneNumber, actor_id: int | None = None,
    broadcast_id: int | None = None,
) -> bool:
    """Move ``conversation`` to ``phone_number`` (one of its organization's); whether it changed.

    The caller holds the conversation's row lock (``conversation_lock``); the instance is updated too. A move is
    an activity row of the thread, live in every open inbox: staff's choice (``actor_id``) or the customer's text
    to another of the numbers (sticky sender, no actor), or a broadcast from it (``broadcast_id``; ``actor_id``: the
    admin who sent it), so the team sees which number the customer now hears from.
    """
    if conversation.phone_number_id == phone_number.pk:
        return False
    if phone_number.organization_id != conversation.organization_id:
        raise ServiceError.not_found("Phone number", field="fromNumberId")
    Conversation.objects.filter(pk=conversation.pk).update(phone_number=phone_number)
    conversation.phone_number = phone_number
    conversation.version += 1  # the database raised it for this UPDATE (exact under the caller's lock)
    activity_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.SENDER_CHANGED,
        actor_id=actor_id,
        data={
            "number_id": phone_number.pk,
            "number_label": str(phone_number),  # "+1… (Second line)"
            **({"broadcast_id": broadcast_id} if broadcast_id is not None else {}),
        },
    )
    return True
