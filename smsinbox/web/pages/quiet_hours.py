"""The Quiet hours page (``/settings/hours/quiet/``): when outreach (scheduled and bulk messages) may reach a
contact, in the contact's own local time (``messaging.hours.quiet``).

For the organization's admins (an agent gets the "ask an admin" page, 403). The form posts and comes back (no
script needed); the view parses the input and calls one service, and a refusal is shown on the form (400).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from messaging.hours.quiet import quiet_hours_get, quiet_hours_update
from messaging.hours.rules import organization_zone
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.web.pages.team import admins_only

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class QuietHoursForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Hold outreach outside the contact's local hours")
    opens = forms.TimeField(label="Send from", widget=TIME)
    closes = forms.TimeField(label="Send until", widget=TIME)


def _page(request: HttpRequest, organization: Organization, form: QuietHoursForm, status: int = 200) -> HttpResponse:
    context = {"organization": organization, "form": form, "zone": str(organization_zone(organization.time_zone))}
    return render(request, "hours/quiet.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admins_only
def quiet_hours(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The page; a POST saves the switch and the window."""
    if request.method != "POST":
        quiet = quiet_hours_get(organization=organization)
        initial = {"enabled": quiet.enabled, "opens": quiet.opens, "closes": quiet.closes}
        return _page(request, organization, QuietHoursForm(initial=initial))
    form = QuietHoursForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            quiet_hours_update(
                organization=organization, actor=request.user, enabled=data["enabled"], opens=data["opens"],
                closes=data["closes"],
            )  # fmt: skip
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, "Quiet hours saved.")
            return redirect("settings-hours-quiet")
    return _page(request, organization, form, status=400)
