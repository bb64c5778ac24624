"""When a session may have ended, tell the user's open inboxes (``smsinbox.events``, ``session.ended``).

Sign-in starts the session's idle and age clocks (``smsinbox.session_limits``).
Logout, a password change (other sessions no longer match the password; ``update_session_auth_hash``
keeps the one that changed it), deactivation and a removed membership each publish ``session.ended``
to the user's group after the transaction commits. The websockets re-check their own session and
access and close (4401 / 4403) if they are gone. Session expiry is caught at the keep-alive ping.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from smsinbox import session_limits
from smsinbox.events import SessionEndReason, publish_session_ended_on_commit
from smsinbox.models import Membership, User
from smsinbox.notifications.services import PUSH_SESSION_KEY, push_subscriptions_forget


def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is None or user.pk is None:
        return
    # Django flushes the session right after this signal; end it first, so the websockets that re-check
    # it on hearing the event find it gone whatever the order. The browser's Web Push subscriptions made in
    # this session end with it (``PUSH_SESSION_KEY``).
    if request is not None and getattr(request, "session", None) is not None:
        endpoints = request.session.get(PUSH_SESSION_KEY) or []
        if isinstance(endpoints, list) and endpoints:
            push_subscriptions_forget(user=user, endpoints=[e for e in endpoints if isinstance(e, str)])
        request.session.delete()
    publish_session_ended_on_commit(user_id=user.pk, reason=SessionEndReason.LOGOUT)


def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """A new session: its idle and age clocks start now (``smsinbox.session_limits``)."""
    if request is not None and getattr(request, "session", None) is not None:
        session_limits.record(request.session, session_limits.clock(), signed_in=True)


def _remember_access(sender: Any, instance: User, raw: bool = False, **kwargs: Any) -> None:
    """Before a user is saved: did the password or ``is_active`` change? (read back after the save)"""
    instance._session_end_reason = None  # type: ignore[attr-defined]
    if raw or instance.pk is None:
        return
    fields = kwargs.get("update_fields")
    if fields is not None and not {"password", "is_active"} & set(fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        instance._session_end_reason = SessionEndReason.DEACTIVATED  # type: ignore[attr-defined]
    elif before["password"] != instance.password:
        instance._session_end_reason = SessionEndReason.PASSWORD_CHANGED  # type: ignore[attr-defined]


def _access_saved(sender: Any, instance: User, created: bool = False, **kwargs: Any) -> None:
    reason = getattr(instance, "_session_end_reason", None)
    if reason is not None and not created:
        publish_session_ended_on_commit(user_id=instance.pk, reason=reason)


def _membership_removed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    publish_session_ended_on_commit(user_id=instance.user_id, reason=SessionEndReason.MEMBERSHIP_REMOVED)


def connect() -> None:
    user_logged_out.connect(_logged_out, dispatch_uid="smsinbox.signals.logged_out")
    user_logged_in.connect(_logged_in, dispatch_uid="smsinbox.signals.logged_in")
    pre_save.connect(_remember_access, sender=User, dispatch_uid="smsinbox.signals.remember_access")
    post_save.connect(_access_saved, sender=User, dispatch_uid="smsinbox.signals.access_saved")
    post_delete.connect(_membership_removed, sender=Membership, dispatch_uid="smsinbox.signals.membership_removed")
