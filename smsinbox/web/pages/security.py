"""The organization's sign-in rules (``/settings/security/``), for its admins: idle timeout, maximum session
age, two-factor sign-in required. An agent gets the "ask an admin" page (403), as on the Team page. The form
posts and comes back; the view parses it and calls ``organization_security_update``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.team.security import MAX_IDLE_MINUTES, MAX_SESSION_HOURS, organization_security_update
from smsinbox.web.pages.team import admins_only


class SecurityForm(forms.Form):
    idle_timeout_minutes = forms.IntegerField(
        label="Sign out after this many minutes without activity",
        min_value=0,
        max_value=MAX_IDLE_MINUTES,
        help_text="The inbox warns a minute before. 0: never.",
    )
    max_session_hours = forms.IntegerField(
        label="Sign out this many hours after signing in",
        min_value=0,
        max_value=MAX_SESSION_HOURS,
        help_text="Even while active. 0: no maximum.",
    )
    require_two_factor = forms.BooleanField(
        label="Require two-factor sign-in for every member",
        required=False,
        help_text="Members without an authenticator app set one up right after their password (you too, at once).",
    )


@require_http_methods(["GET", "POST"])
@admins_only
def security_settings(request: HttpRequest, organization: Organization) -> HttpResponse:
    initial = {name: getattr(organization, name) for name in SecurityForm.base_fields}
    form = SecurityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organization_security_update(organization=organization, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            if exc.field not in form.fields:
                raise
            form.add_error(exc.field, exc.message)
        else:
            flash.success(request, "Sign-in rules saved.")
            return redirect("security-settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "settings/security.html", {"organization": organization, "form": form}, status=status)
