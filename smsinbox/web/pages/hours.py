"""The Business hours page (``/settings/hours/``): the organization's time zone, weekly opening hours, holidays,
the after-hours auto-reply and the HELP reply (``messaging.hours``, ``messaging.services.autoreply``).

For the organization's admins; an agent gets the "ask an admin" page (403) as on the Team page. Every form
posts and comes back (no script needed; ``static/js/hours.js`` only adds the composer's segment counter).
Each view parses its input and calls one service; a refusal is shown on the form (400), never half-saved.
"""

from __future__ import annotations

import zoneinfo
from datetime import time
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from messaging.hours.models import AUTO_REPLY_EVERY_HOURS_DEFAULT, AUTO_REPLY_EVERY_HOURS_MAX
from messaging.hours.rules import DAY_NAMES, Interval
from messaging.hours.selectors import business_hours_get
from messaging.hours.services import business_hours_update, holiday_add, holiday_remove
from messaging.segments import MAX_BODY_CHARACTERS, segment_rules
from smsinbox.casing import camelize
from smsinbox.errors import NOT_FOUND, ServiceError
from smsinbox.models import Organization
from smsinbox.web.pages import found_or_404
from smsinbox.web.pages.team import admins_only

SLOTS = (1, 2)  # up to two intervals a day (a lunch break); more can be kept in the admin


def _name(day: int, slot: int, end: str) -> str:
    return f"d{day}_{end}{slot}"


class HoursForm(forms.Form):
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        required=False,
        help_text="For example America/New_York. Empty: the server's zone (UTC).",
    )
    auto_reply_enabled = forms.BooleanField(required=False, label="Answer texts that arrive outside these hours")
    auto_reply_text = forms.CharField(
        required=False, max_length=MAX_BODY_CHARACTERS, widget=forms.Textarea(attrs={"rows": 3}),
        label="After-hours auto-reply",
    )  # fmt: skip
    auto_reply_every_hours = forms.IntegerField(
        min_value=1, max_value=AUTO_REPLY_EVERY_HOURS_MAX, initial=AUTO_REPLY_EVERY_HOURS_DEFAULT,
        label="At most once per contact every (hours)",
    )  # fmt: skip
    help_reply_text = forms.CharField(
        required=False, max_length=MAX_BODY_CHARACTERS, widget=forms.Textarea(attrs={"rows": 3}),
        label="HELP reply", help_text="Answers HELP or INFO at any hour. Empty: we send nothing.",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in range(7):
            for slot in SLOTS:
                for end in ("opens", "closes"):
                    label = f"{DAY_NAMES[day]} {'opens' if end == 'opens' else 'closes'}"
                    self.fields[_name(day, slot, end)] = forms.TimeField(
                        required=False, label=label if slot == 1 else f"{label} again",
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for day in range(7):
            for slot in SLOTS:
                opens, closes = data.get(_name(day, slot, "opens")), data.get(_name(day, slot, "closes"))
                if (opens is None) != (closes is None) and not self.has_error(_name(day, slot, "opens")):
                    missing = _name(day, slot, "closes" if closes is None else "opens")
                    if not self.has_error(missing):
                        self.add_error(missing, "Give both times, or neither (closed).")
        return data

    def intervals(self) -> list[Interval]:
        data = self.cleaned_data
        found = []
        for day in range(7):
            for slot in SLOTS:
                opens, closes = data.get(_name(day, slot, "opens")), data.get(_name(day, slot, "closes"))
                if isinstance(opens, time) and isinstance(closes, time):
                    found.append(Interval(weekday=day, opens=opens, closes=closes))
        return found

    def days(self) -> list[dict[str, Any]]:
        """The week as the template lays it out: a day with its two (opens, closes) pairs of bound fields."""
        return [
            {
                "index": day,
                "name": DAY_NAMES[day],
                "slots": [(self[_name(day, slot, "opens")], self[_name(day, slot, "closes")]) for slot in SLOTS],
            }
            for day in range(7)
        ]


class HolidayForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(max_length=100, required=False, help_text="Optional, for example Christmas Day.")


def _initial(organization: Organization) -> dict[str, Any]:
    hours = business_hours_get(organization=organization)
    initial: dict[str, Any] = {
        "time_zone": organization.time_zone,
        "auto_reply_enabled": hours.settings.auto_reply_enabled,
        "auto_reply_text": hours.settings.auto_reply_text,
        "auto_reply_every_hours": hours.settings.auto_reply_every_hours,
        "help_reply_text": hours.settings.help_reply_text,
    }
    slots: dict[int, int] = {}
    for interval in hours.intervals:
        slot = slots[interval.weekday] = slots.get(interval.weekday, 0) + 1
        if slot in SLOTS:
            initial[_name(interval.weekday, slot, "opens")] = interval.opens
            initial[_name(interval.weekday, slot, "closes")] = interval.closes
    return initial


def _page(
    request: HttpRequest, organization: Organization, form: HoursForm, holiday_form: HolidayForm, status: int = 200
) -> HttpResponse:
    hours = business_hours_get(organization=organization)
    context = {
        "organization": organization,
        "form": form,
        "holiday_form": holiday_form,
        "holidays": hours.holidays,
        "open_now": hours.is_open(timezone.now()),
        "time_zones": sorted(zoneinfo.available_timezones()),
        "limit": MAX_BODY_CHARACTERS,
        "hours_config": camelize({"segments": segment_rules(), "limits": {"body": MAX_BODY_CHARACTERS}}),
    }
    return render(request, "hours/page.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admins_only
def hours(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The page; a POST saves the zone, the week and the replies together."""
    if request.method != "POST":
        return _page(request, organization, HoursForm(initial=_initial(organization)), HolidayForm())
    form = HoursForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            business_hours_update(
                organization=organization, actor=request.user, time_zone=data["time_zone"], intervals=form.intervals(),
                auto_reply_enabled=data["auto_reply_enabled"], auto_reply_text=data["auto_reply_text"],
                auto_reply_every_hours=data["auto_reply_every_hours"], help_reply_text=data["help_reply_text"],
            )  # fmt: skip
        except ServiceError as exc:
            if exc.field == "intervals":
                form.add_error(None, exc.message)
            else:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, "Business hours saved.")
            return redirect("settings-hours")
    return _page(request, organization, form, HolidayForm(), status=400)


@require_POST
@admins_only
def holiday_add_view(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = holiday_add(organization=organization, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, f"Closed on {holiday.date:%A %-d %B %Y}.")
            return redirect("settings-hours")
    return _page(request, organization, HoursForm(initial=_initial(organization)), form, status=400)


@require_POST
@admins_only
def holiday_remove_view(request: HttpRequest, organization: Organization, holiday_id: int) -> HttpResponse:
    try:
        holiday_remove(organization=organization, actor=request.user, holiday_id=holiday_id)
    except ServiceError as exc:
        if exc.code != NOT_FOUND:
            raise  # forbidden: the decorator's "ask an admin" page
        found_or_404(None, "Holiday")  # another organization's is not found like none at all
    flash.success(request, "Holiday removed.")
    return redirect("settings-hours")
