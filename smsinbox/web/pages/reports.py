"""The reports page (``/reports/``) and its CSV downloads (``/reports/<chart>.csv``): read-only, for the
organization's admins (and its agents when ``reports_for_agents`` is on).

The period comes from the query string — ``preset`` (``7d``, ``30d``, ``90d``, ``month``, ``last-month``) or
``from``/``to`` dates (both included) — read in the organization's time zone (set with its business hours), else
the viewer's (their profile's, else the server's UTC), which the page states. A period that cannot be read is a form
error on the page (the default period is shown) and a 400 for a CSV. Charts are SVG drawn here.
``business_hours=1`` counts response and close times in the organization's opening hours only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from messaging.error_codes import error_action, error_meaning
from messaging.reports.access import REFUSED, reports_readable
from messaging.reports.figures import Report, Timing, report_build
from messaging.reports.ranges import DEFAULT_PRESET, PRESETS, Period, PeriodError, dates_period, preset_period
from smsinbox.models import Organization
from smsinbox.tenancy import current_organization, organizations_for_user
from smsinbox.web.pages import found_or_404
from smsinbox.web.pages.exports import csv_response
from smsinbox.web.pages.report_charts import Chart, bar_chart, heat_chart

CHARTS = ("volume", "delivery", "heatmap", "optouts", "failures", "staff", "labels")


def _zone(organization: Organization) -> ZoneInfo:
    """The organization's time zone (set with its business hours), else the viewer's."""
    if organization.time_zone:
        try:
            return ZoneInfo(organization.time_zone)
        except (ValueError, KeyError):  # validated when saved; an unknown one reads as unset
            pass
    zone = timezone.get_current_timezone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def _date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise PeriodError(f"Write the {name} date as YYYY-MM-DD.") from None


def period_from_query(query: dict[str, str], zone: ZoneInfo) -> tuple[str, Period]:
    """The preset chosen (``custom`` for dates) and its period; ``PeriodError`` says what is wrong."""
    today = timezone.now().astimezone(zone).date()
    first, last = query.get("from", "").strip(), query.get("to", "").strip()
    preset = query.get("preset", "").strip() or ("custom" if first or last else DEFAULT_PRESET)
    if preset != "custom":
        return preset, preset_period(preset, today=today, zone=zone)
    if not first or not last:
        raise PeriodError("Choose both a start and an end date.")
    return preset, dates_period(_date(first, "start"), _date(last, "end"), zone)


@dataclass
class Figure:
    label: str
    value: str
    before: str
    change: str  # words, not only an arrow or a colour
    trend: str  # "up", "down" or "same": the arrow's class


def _change(now: float | None, before: float | None) -> tuple[str, str]:
    if now is None or before is None:
        return "no comparison", "same"
    if now == before:
        return "unchanged", "same"
    if not before:
        return "up from none", "up"
    pct = round(100 * (now - before) / before)
    return (f"up {pct}%" if pct > 0 else f"down {-pct}%"), ("up" if now > before else "down")


def duration(seconds: float | None) -> str:
    """A time span for people: 45 s, 12 min, 3 h 5 min, 2 d 4 h; an em dash for none."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def _figures(report: Report) -> list[Figure]:
    now, before = report.now, report.before
    figures = []
    for label, metric in (
        ("Inbound", "inbound"),
        ("Outbound", "outbound"),
        ("Unique contacts", "unique_contacts"),
        ("New contacts", "new_contacts"),
        ("Segments sent", "segments"),
        ("Opt-outs", "opt_outs"),
    ):
        change, trend = _change(now.value(metric), before.value(metric))
        figures.append(Figure(label, f"{now.value(metric):,}", f"{before.value(metric):,}", change, trend))
    for label, metric in (("Delivered", "delivered"), ("Undelivered", "undelivered"), ("Failed", "failed")):
        change, trend = _change(now.rate(metric), before.rate(metric))
        figures.append(
            Figure(f"{label} rate", _percent(now.rate(metric)), _percent(before.rate(metric)), change, trend)
        )
    change, trend = _change(float(now.cost), float(before.cost))
    figures.append(Figure("Cost (Twilio's price)", f"{now.cost:.2f}", f"{before.cost:.2f}", change, trend))
    for label, timing_now, timing_before in (
        ("First response, median", now.first_response, before.first_response),
        ("Time to close, median", now.time_to_close, before.time_to_close),
    ):
        change, trend = _change(timing_now.median, timing_before.median)
        figures.append(Figure(label, duration(timing_now.median), duration(timing_before.median), change, trend))
    return figures


def _charts(report: Report) -> dict[str, Chart]:
    days = report.period.days()
    series = {
        m: [v for _, v in report.per_day(m)]
        for m in ("inbound", "outbound", "delivered", "undelivered", "failed", "opt_outs")
    }
    return {
        "volume": bar_chart(
            slug="volume", title="Messages per day", days=days,
            description=f"Inbound and outbound messages on each of the {len(days)} days.",
            series=[("inbound", "s-in", series["inbound"]), ("outbound", "s-out", series["outbound"])],
        ),
        "delivery": bar_chart(
            slug="delivery", title="Delivery per day", days=days,
            description="Sent messages delivered, undelivered and failed, by the day they were sent.",
            series=[("delivered", "s-ok", series["delivered"]), ("undelivered", "s-warn", series["undelivered"]),
                    ("failed", "s-bad", series["failed"])],
        ),
        "heatmap": heat_chart(
            slug="heatmap", title="Busiest hours of the week", grid=report.heat_map(),
            description="Messages in and out per hour of the week, in local time; darker is busier.",
        ),
        "optouts": bar_chart(
            slug="optouts", title="Opt-outs per day", days=days,
            description="Contacts who opted out on each day.", series=[("opt-outs", "s-bad", series["opt_outs"])],
        ),
    }  # fmt: skip


def _timing_cells(t: Timing) -> list[object]:
    return [t.count, duration(t.median), duration(t.p90)]


def _tables(report: Report) -> dict[str, tuple[list[str], list[list[object]]]]:
    failures = [
        [code if code is not None else "none", n, error_meaning(code) or "No error code reported.", error_action(code)]
        for code, n in report.failures
    ]
    staff = [[row.name, *_timing_cells(row.first_response), *_timing_cells(row.time_to_close)] for row in report.staff]
    labels = [
        [row.name, *_timing_cells(row.first_response), *_timing_cells(row.time_to_close)] for row in report.labels
    ]
    timing_headers = ["First responses", "Median", "90th percentile", "Closed", "Median", "90th percentile"]
    return {
        "labels": (["Label", *timing_headers], labels),
        "failures": (["Error code", "Failed sends", "Meaning", "What to do"], failures),
        "staff": (
            ["Staff member", "First responses", "Median", "90th percentile", "Closed", "Median", "90th percentile"],
            staff,
        ),
    }


def business_hours_asked(query: dict[str, str]) -> bool:
    return query.get("business_hours", "").strip().lower() in ("1", "true", "on", "yes")


def _organization(request: HttpRequest) -> Organization:
    return found_or_404(current_organization(request), "Organization")


def _refused(request: HttpRequest, organization: Organization) -> HttpResponse:
    return render(request, "reports/refused.html", {"organization": organization, "message": REFUSED}, status=403)


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    if not reports_readable(user=request.user, organization=organization):
        return _refused(request, organization)
    zone = _zone(organization)
    error = ""
    try:
        preset, period = period_from_query(request.GET.dict(), zone)
    except PeriodError as exc:
        error = str(exc)
        preset, period = period_from_query({}, zone)
    business_hours = business_hours_asked(request.GET.dict())
    report = report_build(organization=organization, period=period, business_hours=business_hours)
    last = period.days()[-1]
    query = urlencode(
        {
            "from": period.days()[0].isoformat(),
            "to": last.isoformat(),
            **({"business_hours": "1"} if business_hours else {}),
        }
    )
    charts = _charts(report)
    for chart in charts.values():
        chart.csv_query = query
    context = {
        "organization": organization,
        "organizations": organizations_for_user(request.user),
        "presets": PRESETS,
        "preset": preset,
        "error": error,
        "first": period.days()[0],
        "last": last,
        "previous": period.previous.days(),
        "zone_name": str(zone),
        "zone_is_organizations": bool(organization.time_zone) and str(zone) == organization.time_zone,
        "figures": _figures(report),
        "charts": charts,
        "tables": _tables(report),
        "response": report.now.first_response,
        "close": report.now.time_to_close,
        "durations": {
            "response_median": duration(report.now.first_response.median),
            "response_p90": duration(report.now.first_response.p90),
            "close_median": duration(report.now.time_to_close.median),
            "close_p90": duration(report.now.time_to_close.p90),
        },
        "csv_query": query,
        "business_hours": business_hours,
    }
    return render(request, "reports/index.html", context)


@login_required
@require_GET
def report_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's (or table's) data as CSV, for ``from``/``to`` dates or a ``preset``."""
    if chart not in CHARTS:
        raise Http404("No such chart.")
    organization = _organization(request)
    if not reports_readable(user=request.user, organization=organization):
        return _refused(request, organization)
    try:
        _, period = period_from_query(request.GET.dict(), _zone(organization))
    except PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    report = report_build(
        organization=organization, period=period, business_hours=business_hours_asked(request.GET.dict())
    )
    if chart in ("failures", "staff", "labels"):
        headers, rows = _tables(report)[chart]
    else:
        made = _charts(report)[chart]
        headers, rows = made.headers, made.rows
    name = f"{chart}-{period.days()[0]}-{period.days()[-1]}.csv"
    return csv_response([headers, *rows], name)
