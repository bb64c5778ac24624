"""The Integrations page (``/integrations/``): an organization's webhook endpoints with their deliveries log,
and its API keys. Admins only (``Membership.role == admin``); every form posts and comes back (no script needed).
Each view parses its input and calls one service (``smsinbox.integrations.services``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import EVENT_DESCRIPTIONS, SCOPE_DESCRIPTIONS
from smsinbox.integrations.models import ApiKey, WebhookEndpoint
from smsinbox.integrations.selectors import (
    api_key_get_for_admin,
    deliveries_of,
    delivery_get_for_admin,
    endpoint_get_for_admin,
)
from smsinbox.integrations.services import (
    api_key_create,
    api_key_revoke,
    is_organization_admin,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_send_test,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
)
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import found_or_404

NEW_KEY_SESSION = "integrations_new_key"  # the new key's secret, shown once on the next page


class EndpointForm(forms.Form):
    url = forms.CharField(label="URL", max_length=2000, widget=forms.URLInput(attrs={"placeholder": "https://"}))
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events", choices=list(EVENT_DESCRIPTIONS.items()), widget=forms.CheckboxSelectMultiple
    )


class KeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “Practice system”.")
    scopes = forms.MultipleChoiceField(choices=list(SCOPE_DESCRIPTIONS.items()), widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(
        label="Expires on", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Optional."
    )


def admins_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, an admin of the organization being looked at (else a page saying so, 403); the view gets it."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = found_or_404(current_organization(request), "Organization")
        if not is_organization_admin(user=request.user, organization_id=organization.pk):
            return render(request, "integrations/admins_only.html", {"organization": organization}, status=403)
        return view(request, organization, *args, **kwargs)

    return wrapped


def _back(endpoint_id: int | None = None) -> HttpResponse:
    url = reverse("integrations")
    return redirect(f"{url}?endpoint={endpoint_id}#deliveries" if endpoint_id else url)


def _apply_errors(form: forms.Form, exc: ServiceError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


@require_http_methods(["GET", "POST"])
@admins_only
def integrations(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The page; a POST creates an endpoint (``form=endpoint``) or a key (``form=key``)."""
    endpoint_form, key_form = EndpointForm(prefix="endpoint"), KeyForm(prefix="key")
    if request.method == "POST" and request.POST.get("form") == "endpoint":
        endpoint_form = EndpointForm(request.POST, prefix="endpoint")
        if endpoint_form.is_valid():
            try:
                values = endpoint_form.cleaned_data
                created = webhook_endpoint_create(organization=organization, actor=request.user, **values)
            except ServiceError as exc:
                _apply_errors(endpoint_form, exc)
            else:
                flash.success(request, f"Endpoint added: {created.url}. Its signing secret is shown below.")
                return _back(created.pk)
    elif request.method == "POST" and request.POST.get("form") == "key":
        key_form = KeyForm(request.POST, prefix="key")
        if key_form.is_valid():
            data = key_form.cleaned_data
            expires = data["expires_on"]
            expires_at = timezone.make_aware(datetime.combine(expires, time.max)) if expires else None
            try:
                key, secret = api_key_create(
                    organization=organization, actor=request.user, name=data["name"], scopes=data["scopes"],
                    expires_at=expires_at,
                )  # fmt: skip
            except ServiceError as exc:
                _apply_errors(key_form, exc)
            else:
                request.session[NEW_KEY_SESSION] = {"id": key.pk, "secret": secret}
                return redirect(reverse("integrations") + "#new-key")
    endpoints = list(WebhookEndpoint.objects.filter(organization=organization))
    selected_id = ascii_int(request.GET.get("endpoint", ""))
    selected = next((e for e in endpoints if e.pk == selected_id), endpoints[0] if endpoints else None)
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "integrations/page.html",
        {
            "organization": organization,
            "endpoints": endpoints,
            "selected": selected,
            "deliveries": deliveries_of(endpoint=selected) if selected else [],
            "keys": ApiKey.objects.filter(organization=organization),
            "new_key": new_key,
            "endpoint_form": endpoint_form,
            "key_form": key_form,
            "event_descriptions": EVENT_DESCRIPTIONS,
            "now": timezone.now(),
        },
        status=status,
    )


@require_POST
@admins_only
def endpoint_action(request: HttpRequest, organization: Organization, endpoint_id: int, action: str) -> HttpResponse:
    """Pause, resume, send a test event to, or delete an endpoint."""
    endpoint = found_or_404(endpoint_get_for_admin(user=request.user, endpoint_id=endpoint_id), "Endpoint")
    if action == "pause":
        webhook_endpoint_set_active(endpoint=endpoint, actor=request.user, active=False)
        flash.success(request, f"Paused {endpoint.url}: it receives no events until resumed.")
    elif action == "resume":
        webhook_endpoint_set_active(endpoint=endpoint, actor=request.user, active=True)
        flash.success(request, f"Resumed {endpoint.url}: waiting deliveries go out again.")
    elif action == "test":
        webhook_endpoint_send_test(endpoint=endpoint, actor=request.user)
        flash.success(request, "Test event queued: it appears in the deliveries log within seconds.")
    else:  # "delete" (the routes name no other action)
        webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        flash.success(request, f"Deleted {endpoint.url} and its deliveries log.")
        return _back()
    return _back(endpoint.pk)


@require_http_methods(["GET", "POST"])
@admins_only
def endpoint_edit(request: HttpRequest, organization: Organization, endpoint_id: int) -> HttpResponse:
    """Change an endpoint's URL, description and events."""
    endpoint = found_or_404(endpoint_get_for_admin(user=request.user, endpoint_id=endpoint_id), "Endpoint")
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
    form = EndpointForm(request.POST or None, initial=initial, prefix="endpoint")
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash.success(request, f"Saved {endpoint.url}.")
            return _back(endpoint.pk)
    context = {"organization": organization, "endpoint": endpoint, "form": form}
    return render(request, "integrations/edit.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@admins_only
def delivery_redeliver(request: HttpRequest, organization: Organization, delivery_id: int) -> HttpResponse:
    delivery = found_or_404(delivery_get_for_admin(user=request.user, delivery_id=delivery_id), "Delivery")
    webhook_delivery_redeliver(delivery=delivery, actor=request.user)
    flash.success(request, f"Event {delivery.event_id} queued again (same event id).")
    return _back(delivery.endpoint_id)


@require_POST
@admins_only
def key_revoke(request: HttpRequest, organization: Organization, key_id: int) -> HttpResponse:
    key = found_or_404(api_key_get_for_admin(user=request.user, key_id=key_id), "API key")
    api_key_revoke(key=key, actor=request.user)
    flash.success(request, f"Revoked the key “{key.name}”: calls with it are refused from now on.")
    return _back()


urlpatterns = [
    path("integrations/", integrations, name="integrations"),
    *[
        path(
            f"integrations/endpoints/<id:endpoint_id>/{action}/",
            endpoint_action,
            {"action": action},
            name=f"integrations-endpoint-{action}",
        )
        for action in ("test", "pause", "resume", "delete")
    ],
    path(
        "integrations/deliveries/<id:delivery_id>/redeliver/",
        delivery_redeliver,
        name="integrations-delivery-redeliver",
    ),
    path("integrations/endpoints/<id:endpoint_id>/edit/", endpoint_edit, name="integrations-endpoint-edit"),
    path("integrations/keys/<id:key_id>/revoke/", key_revoke, name="integrations-key-revoke"),
]
