"""The notification rule: which event notifies which user. The one place it is decided.

The page does not decide: it is sent a ``notification.created`` event for each notification this
rule gives its user, and only chooses how to show it (desktop notification, sound, favicon badge)
from the user's ``sound`` and ``desktop`` preferences, which reach it through the inbox config.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from smsinbox.notifications.models import NotificationSettings


class Kind(StrEnum):
    """What happened."""

    INBOUND = "inbound"  # a customer texted in
    ASSIGNED = "assigned"  # a conversation was assigned to someone
    MENTION = "mention"  # someone was mentioned in a private note (conversations.services.note_create)
    WOKEN = "woken"  # a snoozed conversation came back at its time (conversations.snooze)


def notifies(
    prefs: NotificationSettings,
    *,
    user_id: int,
    kind: Kind,
    assignee_id: int | None,
    actor_id: int | None = None,
    mentioned_ids: Collection[int] = (),
) -> bool:
    """Whether ``kind`` (in a conversation assigned to ``assignee_id``, done by ``actor_id``) notifies the
    user ``user_id`` whose preferences are ``prefs``.

    - Nobody is notified of what they did themselves.
    - A new inbound text: with "every conversation", always; with "assigned to me", when the user is the
      assignee; with "unassigned", when there is no assignee.
    - An assignment: the new assignee, with "assigned to me".
    - A mention: each mentioned user, with "mentions".
    - A snoozed conversation back at its time: its assignee, with "assigned to me" (one woken by a reply
      notifies as the inbound text it is).
    """
    if actor_id is not None and actor_id == user_id:
        return False
    if kind == Kind.INBOUND:
        return (
            prefs.inbound_all
            or (prefs.inbound_mine and assignee_id == user_id)
            or (prefs.inbound_unassigned and assignee_id is None)
        )
    if kind in (Kind.ASSIGNED, Kind.WOKEN):
        return prefs.assigned_to_me and assignee_id == user_id
    if kind == Kind.MENTION:
        return prefs.mentions and user_id in mentioned_ids
    return False
