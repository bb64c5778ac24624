"""The user's own settings page (``/settings/``): which events notify them and how, and their time zone;
and the endpoints their browser subscribes to Web Push with.

Which event notifies whom is not decided here nor in the page's scripts: see
``smsinbox.notifications.rules``. The inbox's scripts are told only how to show a notification
(``notifications_config``, in the inbox config).
"""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from conversations.auto_assign import membership_availability_set
from smsinbox.errors import ServiceError
from smsinbox.models import User
from smsinbox.notifications.models import NotificationSettings
from smsinbox.notifications.push import vapid_public_key
from smsinbox.notifications.services import (
    PREFERENCE_FIELDS,
    PUSH_SESSION_KEY,
    push_subscription_delete,
    push_subscription_save,
    settings_for,
    user_notification_settings_update,
)
from smsinbox.team.selectors import membership_of
from smsinbox.tenancy import current_organization, organizations_for_user

EVENT_FIELDS = ("inbound_mine", "inbound_unassigned", "inbound_all", "assigned_to_me", "mentions")
HOW_FIELDS = ("sound", "desktop")
HELP = {
    "mentions": "When a colleague mentions you (@name) in a private note.",
    "assigned_to_me": "Also when a snoozed conversation of yours comes back at its time.",
    "desktop": "Also needs your browser's permission: use the button below.",
    "sound": "A short tone, played by one of your open inbox tabs.",
}
MAX_PUSH_BODY_BYTES = 4096


def _label(name: str) -> str:
    return str(NotificationSettings._meta.get_field(name).verbose_name)


class NotificationSettingsForm(forms.Form):
    """The page's form: one checkbox per preference, and the time zone typed (suggested from zoneinfo; checked
    by the service, ``validate_time_zone``)."""

    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label="Time zone",
        help_text="For example America/New_York or Europe/Berlin. Empty: your browser's own zone.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PREFERENCE_FIELDS:
            self.fields[name] = forms.BooleanField(required=False, label=_label(name), help_text=HELP.get(name, ""))


def notifications_config(user: User) -> dict[str, Any]:
    """How the inbox's scripts show a notification for this user (``static/js/notify.js``)."""
    prefs = settings_for(user)
    return {"sound": prefs.sound, "desktop": prefs.desktop, "icon": static("img/icon-192.png")}


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    organization = current_organization(request)
    prefs = settings_for(user)
    initial = {"time_zone": user.time_zone, **{name: getattr(prefs, name) for name in PREFERENCE_FIELDS}}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            user_notification_settings_update(user=user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            saved = True
            form = NotificationSettingsForm(initial=form.cleaned_data)
    config = {
        "vapidPublicKey": vapid_public_key(),
        # This browser is "subscribed" when its subscription's endpoint is one of these (it may hold one the
        # server forgot at a logout, or one of another user who used this browser before).
        "subscribedEndpoints": list(user.push_subscriptions.values_list("endpoint", flat=True)),
        "urls": {
            "subscribe": reverse("push-subscribe"),
            "unsubscribe": reverse("push-unsubscribe"),
            "serviceWorker": reverse("service-worker"),
        },
    }
    return render(
        request,
        "account/settings.html",
        {
            "form": form,
            "event_fields": [form[name] for name in EVENT_FIELDS],
            "how_fields": [form[name] for name in HOW_FIELDS],
            "saved": saved,
            "time_zones": sorted(zoneinfo.available_timezones()),
            "settings_config": config,
            "organization": organization,
            "organizations": organizations_for_user(user),
            "membership": membership_of(organization=organization, user=user),
        },
    )


@login_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    """Mark oneself Available or Away for automatic assignment, in the organization being looked at."""
    organization = current_organization(request)
    if organization is None:
        return redirect("account-settings")
    available = request.POST.get("available") == "yes"
    membership_availability_set(organization=organization, user=request.user, available=available)
    state = "Available" if available else "Away: no new conversations are given to you"
    flash.success(request, f"{state} ({organization.name}).")
    return redirect("account-settings")


def _json_body(request: HttpRequest) -> dict[str, Any] | None:
    if len(request.body) > MAX_PUSH_BODY_BYTES:
        return None
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """Store this browser's push subscription (``PushSubscription.toJSON()``: endpoint and keys) for the user."""
    data = _json_body(request)
    if data is None:
        return JsonResponse({"error": "Send the subscription as a JSON object."}, status=400)
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    try:
        subscription = push_subscription_save(
            user=request.user,
            endpoint=_text(data.get("endpoint")),
            p256dh=_text(keys.get("p256dh")),
            auth=_text(keys.get("auth")),
        )
    except ServiceError as exc:
        return JsonResponse({"error": exc.message, "field": exc.field}, status=400)
    endpoints = [e for e in request.session.get(PUSH_SESSION_KEY, []) if e != subscription.endpoint]
    request.session[PUSH_SESSION_KEY] = [*endpoints, subscription.endpoint]  # forgotten at logout
    return JsonResponse({"subscribed": True}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    """Forget this browser's push subscription (by its endpoint) for the user."""
    data = _json_body(request)
    if data is None or not _text(data.get("endpoint")):
        return JsonResponse({"error": "Send the subscription's endpoint as JSON."}, status=400)
    endpoint = _text(data.get("endpoint"))
    push_subscription_delete(user=request.user, endpoint=endpoint)
    request.session[PUSH_SESSION_KEY] = [e for e in request.session.get(PUSH_SESSION_KEY, []) if e != endpoint.strip()]
    return JsonResponse({"subscribed": False})
