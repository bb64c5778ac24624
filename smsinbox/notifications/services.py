"""Writes for notifications: a user's preferences, their browsers' push subscriptions, and the dispatch of
one event to the users the rule picks."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.templatetags.static import static
from django.urls import reverse

from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.models import User, validate_time_zone
from smsinbox.notifications.models import NotificationSettings, PushSubscription
from smsinbox.notifications.rules import Kind, notifies

# The preferences a user edits (``NotificationSettings``' booleans), in the page's order.
PREFERENCE_FIELDS = (
    "inbound_mine",
    "inbound_unassigned",
    "inbound_all",
    "assigned_to_me",
    "mentions",
    "sound",
    "desktop",
)
PREVIEW_CHARACTERS = 140  # a notification's body: the start of the text


def settings_for(user: User) -> NotificationSettings:
    """The user's preferences: their stored row, or the defaults (unsaved) when they never saved any."""
    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(user=user)


@transaction.atomic
def user_notification_settings_update(
    *,
    user: User,
    time_zone: str,
    inbound_mine: bool,
    inbound_unassigned: bool,
    inbound_all: bool,
    assigned_to_me: bool,
    mentions: bool,
    sound: bool,
    desktop: bool,
) -> NotificationSettings:
    """Store the user's notification preferences and time zone (empty: the browser's own zone).

    An unknown zone is a ``ServiceError`` on ``time_zone`` and nothing is written.
    """
    time_zone = time_zone.strip()
    try:
        validate_time_zone(time_zone)
    except Exception as exc:  # ValidationError: worded for people
        message = getattr(exc, "messages", [str(exc)])[0]
        raise ServiceError(message, field="time_zone") from None
    if user.time_zone != time_zone:
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
    values = {
        "inbound_mine": inbound_mine,
        "inbound_unassigned": inbound_unassigned,
        "inbound_all": inbound_all,
        "assigned_to_me": assigned_to_me,
        "mentions": mentions,
        "sound": sound,
        "desktop": desktop,
    }
    prefs, _ = NotificationSettings.objects.update_or_create(user=user, defaults=values)
    user.notification_settings = prefs
    return prefs


def notification_recipients(
    *,
    organization_id: int,
    kind: Kind,
    assignee_id: int | None,
    actor_id: int | None = None,
    mentioned_ids: tuple[int, ...] = (),
) -> list[tuple[int, bool]]:
    """``(user id, has push subscriptions)`` of the organization's active members whom ``kind`` notifies
    (``rules.notifies``), in one query."""
    members = (
        User.objects.filter(memberships__organization_id=organization_id, is_active=True)
        .select_related("notification_settings")
        .annotate(has_push=Exists(PushSubscription.objects.filter(user_id=OuterRef("pk"))))
        .order_by("pk")
    )
    return [
        (user.pk, user.has_push)
        for user in members
        if notifies(
            settings_for(user),
            user_id=user.pk,
            kind=kind,
            assignee_id=assignee_id,
            actor_id=actor_id,
            mentioned_ids=mentioned_ids,
        )
    ]


def notification_payload(
    *, kind: Kind, organization_id: int, conversation_id: int, tag: str, title: str, body: str
) -> dict[str, Any]:
    """What a notification says, the same to an open tab (live event) and to the service worker (Web Push).

    ``tag`` names the notification: a browser shows one per tag, so the tab's and the push's copies of the
    same notification replace each other instead of piling up.
    """
    body = " ".join(body.split())
    if len(body) > PREVIEW_CHARACTERS:
        body = body[: PREVIEW_CHARACTERS - 1] + "…"
    return {
        "kind": Kind(kind).value,
        "organization": organization_id,
        "conversation": conversation_id,
        "tag": tag,
        "title": title,
        "body": body,
        "url": reverse("inbox-thread", args=[conversation_id]),
        "icon": static("img/icon-192.png"),
    }


def notification_dispatch(
    *,
    organization_id: int,
    kind: Kind,
    conversation_id: int,
    tag: str,
    title: str,
    body: str,
    assignee_id: int | None,
    actor_id: int | None = None,
    mentioned_ids: tuple[int, ...] = (),
) -> list[int]:
    """Notify the users the rule picks, once the surrounding transaction commits (called by the services
    that make the change, inside their transaction). Returns the recipients' ids.

    Each recipient gets a ``notification.created`` live event (their open tabs) and, when they have push
    subscriptions, one Web Push task for all of them (their devices; always sent: the service worker shows
    nothing while an inbox tab is visible, and a hidden tab's notification has the same tag).
    """
    found = notification_recipients(
        organization_id=organization_id,
        kind=kind,
        assignee_id=assignee_id,
        actor_id=actor_id,
        mentioned_ids=mentioned_ids,
    )
    recipients = [user_id for user_id, _ in found]
    if not recipients:
        return []
    payload = notification_payload(
        kind=kind, organization_id=organization_id, conversation_id=conversation_id, tag=tag, title=title, body=body
    )
    for user_id in recipients:
        events.publish_to_user_on_commit(user_id=user_id, event=events.Event.NOTIFICATION_CREATED, payload=payload)
    pushed = [user_id for user_id, has_push in found if has_push]
    if pushed:
        from smsinbox.notifications.tasks import web_push_task

        transaction.on_commit(lambda: web_push_task.enqueue(user_ids=pushed, payload=payload), robust=True)
    return recipients


@transaction.atomic
def push_subscription_save(*, user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store the browser's push subscription for ``user`` (the same endpoint again: updated, and taken over
    from another user who subscribed on this browser before).

    Refused with a ``ServiceError``: an endpoint that is not an https URL (http only where
    ``WEB_PUSH_ALLOW_HTTP_ENDPOINTS`` is on, for tests), or keys that are missing or too long.
    """
    from django.conf import settings

    endpoint = endpoint.strip()
    schemes = ("https://", "http://") if settings.WEB_PUSH_ALLOW_HTTP_ENDPOINTS else ("https://",)
    if not endpoint.startswith(schemes) or len(endpoint) > 2048 or any(c.isspace() for c in endpoint):
        raise ServiceError("The push endpoint must be an https URL.", field="endpoint")
    for name, value, limit in (("p256dh", p256dh, 200), ("auth", auth, 100)):
        if not value or len(value) > limit or not all(c.isalnum() or c in "-_=" for c in value):
            raise ServiceError(f"The subscription's {name} key is missing or malformed.", field=name)
    values = {"user": user, "p256dh": p256dh, "auth": auth}
    try:
        with transaction.atomic():
            subscription, _ = PushSubscription.objects.update_or_create(endpoint=endpoint, defaults=values)
    except IntegrityError:  # the same endpoint inserted meanwhile: it exists now, update it
        subscription = PushSubscription.objects.get(endpoint=endpoint)
        for name, value in values.items():
            setattr(subscription, name, value)
        subscription.save()
    return subscription


@transaction.atomic
def push_subscription_delete(*, user: User, endpoint: str) -> bool:
    """Forget the user's subscription with ``endpoint``; whether there was one (another user's is untouched)."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint.strip()).delete()
    return bool(deleted)


# The session remembers the endpoints subscribed in it: logging out forgets them (``smsinbox.signals``), so a
# shared computer stops showing the previous person's notifications once they log out.
PUSH_SESSION_KEY = "push_endpoints"


@transaction.atomic
def push_subscriptions_forget(*, user: User, endpoints: list[str]) -> int:
    """Delete the user's subscriptions with these endpoints (at logout: those subscribed in that session)."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint__in=endpoints).delete()
    return deleted
