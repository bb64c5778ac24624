"""The send guard and the organization's reply rules, applied by ``message_send`` under its lock.

Send guard: a reply may name ``last_seen_message_id``, the newest message its sender had on screen
(``0``: none). If the conversation holds any newer message — inbound, or outbound by another member,
an automated send, or the sender themselves from another tab or request — the reply is refused with
``ConversationChanged`` carrying those messages, unless the sender confirms (``confirm``).
The sender's own messages count too: a client knows the ids of its own sends (the send answers
``messageId``; the inbox counts it as seen), so an own message it does not know of was written
elsewhere, and two of one person's replies racing from two tabs are as much a double reply as two
people's. This is also what makes "at most one of N racing guarded replies is stored" hold.
Without ``last_seen_message_id`` nothing is checked (API clients written before the guard).

"Newer" is by id, which is exact under the lock ``message_send`` holds: every message of a
conversation is inserted while its conversation row is locked (``conversation_lock``, by
``message_receive`` and ``message_send``), so message ids of one conversation are committed in
id order, and a guard reading under the lock sees every message with a lower id.

Reply rules (``Organization.auto_assign_on_reply`` / ``only_assignee_replies``) apply to replies by
a staff member (``sender`` not ``None``).
"""

from __future__ import annotations

from django.utils import timezone

from conversations.activity import activity_record
from conversations.models import Conversation, ConversationEvent
from conversations.payloads import user_name
from messaging.models import Direction, Message
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, User

CONVERSATION_CHANGED = "conversation_changed"
ASSIGNED_TO_OTHER = "assigned_to_other"
NEWER_SHOWN = 20  # a refusal lists at most this many of the newer messages (the newest ones)


class ConversationChanged(ServiceError):
    """Refused: the conversation has messages newer than the sender saw (``newer``, oldest first)."""

    def __init__(self, *, newer: list[Message], count: int, sender: User | None) -> None:
        someone = _who(newer[-1], sender) if newer else "Someone"
        more = f" and {count - 1} more" if count > 1 else ""
        super().__init__(
            f"{someone} wrote since you opened this conversation{more}. Read it, then send anyway or edit your reply.",
            code=CONVERSATION_CHANGED,
            field="lastSeenMessageId",
        )
        self.newer = newer
        self.count = count


class AssignedToOther(ServiceError):
    """Refused: only the assignee may reply in this organization, and the sender is not the assignee."""

    def __init__(self, *, assignee: User) -> None:
        self.assignee_name = user_name(assignee)
        super().__init__(
            f"Only {self.assignee_name}, the assignee, may reply here. Take the conversation over to reply.",
            code=ASSIGNED_TO_OTHER,
            field="takeOver",
        )
        self.assignee_id = assignee.pk


def _who(message: Message, sender: User | None) -> str:
    if message.direction == Direction.INBOUND:
        return "The contact"
    if sender is not None and message.sent_by_id == sender.pk:
        return "You (in another tab or request)"
    return user_name(message.sent_by) if message.sent_by else "An automated send"


def guard_check(*, conversation: Conversation, sender: User | None, last_seen_message_id: int | None) -> None:
    """Raise ``ConversationChanged`` if the conversation changed since the sender's last seen message.

    The caller holds the conversation's row lock (see the module docstring). An id that names no
    message of this conversation is refused (``0`` stands for "no message yet").
    """
    if last_seen_message_id is None:
        return
    if last_seen_message_id < 0 or (
        last_seen_message_id and not Message.objects.filter(pk=last_seen_message_id, conversation=conversation).exists()
    ):
        raise ServiceError(
            "lastSeenMessageId must be the id of a message of this conversation (or 0 for none).",
            field="lastSeenMessageId",
        )
    newer = Message.objects.filter(conversation=conversation, pk__gt=last_seen_message_id)
    shown = list(newer.select_related("sent_by").prefetch_related("media").order_by("-pk")[:NEWER_SHOWN])
    if shown:
        count = len(shown) if len(shown) < NEWER_SHOWN else newer.count()
        raise ConversationChanged(newer=shown[::-1], count=count, sender=sender)


def reply_rules_apply(*, conversation: Conversation, sender: User | None, take_over: bool) -> bool:
    """Apply the organization's reply rules to a staff reply; return whether the assignee changed.

    ``only_assignee_replies``: a conversation assigned to another member is refused
    (``AssignedToOther``) unless ``take_over``, which assigns it to the sender. ``auto_assign_on_reply``:
    an unassigned conversation becomes the sender's. The caller holds the row lock and announces the
    conversation afterwards (``conversation.updated`` carries the new assignee).
    """
    if sender is None:
        return False
    organization = conversation.organization
    assignee_id = conversation.assignee_id
    if assignee_id == sender.pk:
        return False
    wanted: int | None = None
    if assignee_id is not None and take_over:
        wanted = sender.pk
    elif assignee_id is not None and organization.only_assignee_replies:
        raise AssignedToOther(assignee=conversation.assignee)
    elif assignee_id is None and (organization.auto_assign_on_reply or take_over):
        wanted = sender.pk
    if wanted is None:
        return False
    if not Membership.objects.filter(
        user_id=wanted, organization_id=conversation.organization_id, user__is_active=True
    ).exists():
        return False  # not a member (a superuser's send through admin tools): leave it as it is
    Conversation.objects.filter(pk=conversation.pk).update(assignee_id=wanted, updated_at=timezone.now())
    conversation.assignee_id = wanted
    activity_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.ASSIGNED,
        actor_id=sender.pk,
        data={"assignee_id": wanted, "assignee_name": user_name(sender)},
    )
    return True
