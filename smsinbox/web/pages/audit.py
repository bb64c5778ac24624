"""The audit log page (``/audit/``) and its CSV export (``/audit/export.csv``): the organization's admins only.

Filters (all optional, GET): who (``actor``), what (``action``), from and to dates (inclusive, in the viewer's
time zone, as every time on the pages). Newest first, ``PAGE_SIZE`` a page. The export takes the same filters,
is streamed (``smsinbox.csv_export``) and is itself recorded. An agent gets the "ask an admin" page (403).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from smsinbox.audit.models import AuditEntry
from smsinbox.audit.selectors import audit_actors, audit_csv_rows, audit_entries
from smsinbox.audit.services import Action, audit_record
from smsinbox.models import Organization
from smsinbox.web.pages.exports import csv_response
from smsinbox.web.pages.team import admins_only

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label="Who", required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label="What", required=False, choices=[("", "Anything"), *AuditEntry.Action.choices])
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actors = audit_actors(organization_id=organization.pk)
        self.fields["actor"].choices = [("", "Anyone"), *((str(pk), name) for pk, name in actors)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _filtered(request: HttpRequest, organization: Organization) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(request.GET or None, organization=organization)
    if request.GET and not form.is_valid():
        for name in form.errors:
            if name in form.fields:  # the field says it is wrong, and where the reason is
                form.fields[name].widget.attrs |= {"aria-invalid": "true", "aria-describedby": f"{name}-error"}
        return form, None
    data = form.cleaned_data if request.GET else {}
    entries = audit_entries(
        organization_id=organization.pk,
        actor_id=data.get("actor"),
        action=data.get("action") or "",
        since=_start_of(data["since"]) if data.get("since") else None,
        until=_start_of(data["until"] + timedelta(days=1)) if data.get("until") else None,
    )
    return form, entries


@never_cache
@require_GET
@admins_only
def audit_log(request: HttpRequest, organization: Organization) -> HttpResponse:
    form, entries = _filtered(request, organization)
    if entries is None:
        context = {"organization": organization, "form": form, "page": None, "query": ""}
        return render(request, "audit/page.html", context, status=400)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"organization": organization, "form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/page.html", context)


@require_GET
@admins_only
def audit_export(request: HttpRequest, organization: Organization) -> HttpResponse | StreamingHttpResponse:
    form, entries = _filtered(request, organization)
    if entries is None:
        context = {"organization": organization, "form": form, "page": None, "query": ""}
        return render(request, "audit/page.html", context, status=400)
    audit_record(
        organization=organization,
        action=Action.AUDIT_EXPORTED,
        actor=request.user,
        label="audit log",
        changes={k: v for k, v in request.GET.items() if k in form.fields and v},
    )
    stamp = timezone.localdate().isoformat()
    rows = audit_csv_rows(entries, zone=timezone.get_current_timezone())
    return csv_response(rows, f"audit-log-{stamp}.csv")
