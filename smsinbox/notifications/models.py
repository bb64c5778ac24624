"""Each user's notification preferences and the browsers that asked for Web Push."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationSettings(models.Model):
    """One user's notification preferences: a row only once they saved the settings page; until then
    the field defaults stand (``settings_for``). The user's time zone stays on the user (``User.time_zone``).

    Which events notify whom is decided in one place, ``smsinbox.notifications.rules.notifies``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_settings"
    )
    inbound_mine = models.BooleanField("New texts in conversations assigned to me", default=True)
    inbound_unassigned = models.BooleanField("New texts in unassigned conversations", default=True)
    inbound_all = models.BooleanField("New texts in every conversation", default=False)
    assigned_to_me = models.BooleanField("A conversation is assigned to me", default=True)
    mentions = models.BooleanField("Someone mentions me in a note", default=True)
    sound = models.BooleanField("Play a sound", default=False)
    desktop = models.BooleanField("Show desktop notifications", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of user {self.user_id}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (RFC 8030 endpoint, RFC 8291 keys), for one user.

    ``endpoint`` is unique: a browser subscribes once, and a second user signing in on the same
    browser takes the subscription over (``push_subscription_save``). A push service answering
    404 or 410 for it means it expired: the row is deleted (``push.web_push_deliver``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.CharField(max_length=2048, unique=True)
    p256dh = models.CharField("client public key (p256dh)", max_length=200)
    auth = models.CharField("client auth secret", max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(endpoint__startswith="https://") | Q(endpoint__startswith="http://"),
                name="pushsubscription_endpoint_http",
            ),
        ]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of user {self.user_id}"
