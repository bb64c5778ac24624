"""Reports through the API: ``GET /api/reports/summary`` and ``GET /api/reports/timeseries``.

Both read the caller's organization (``organizationId`` for members of several) for the period ``[from, to)``
(ISO 8601 with an offset; at most 366 days), and answer 403 to an agent unless the organization lets agents
read reports; API keys need ``reports:read``. Counts come from hourly rollups: a message counts when the UTC
hour it was created in starts inside the period (unique contacts and response times are exact to the second).
Days (``interval=day``) are days in ``zone`` (an IANA name; default the caller's profile zone, else UTC).
The summary's ``businessHours=true`` counts response and close times in the organization's opening hours only;
its ``labels`` gives them per label of the conversations (as they are labelled now).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.reports.access import reports_read_require
from messaging.reports.figures import Timing, Totals, report_build
from messaging.reports.ranges import PeriodError, instants_period, local_midnight
from smsinbox.casing import to_snake
from smsinbox.integrations.keys import key_of
from smsinbox.models import Organization
from smsinbox.web.api.errors import error_responses
from smsinbox.web.api.fields import OffsetDateTimeField, query_values
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS, organization_for_request

REPORTS = ["reports"]
SERIES = ("inbound", "outbound", "delivered", "undelivered", "failed", "optOuts", "newContacts", "segments")


PERIOD_PARAMETERS = [  # the serializer's fields, with a valid pair as examples (``from`` is a keyword)
    OpenApiParameter(
        "from", OpenApiTypes.DATETIME, required=True, description="Start (included), ISO 8601 with offset.",
        examples=[OpenApiExample("March, New York", value="2026-03-01T00:00:00-05:00")],
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATETIME, required=True, description="End (excluded), ISO 8601 with offset.",
        examples=[OpenApiExample("March, New York", value="2026-04-01T00:00:00-04:00")],
    ),
]  # fmt: skip


class PeriodQuery(serializers.Serializer):
    """``from`` and ``to`` (a Python keyword, hence ``get_fields``) and the zone days are read in."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": OffsetDateTimeField(help_text="Start (included), ISO 8601 with offset: 2026-03-01T00:00:00-05:00."),
            "to": OffsetDateTimeField(help_text="End (excluded), ISO 8601 with offset."),
            "zone": serializers.CharField(
                required=False, max_length=64, help_text="IANA time zone for days (default: your profile's, else UTC)."
            ),
        }

    def validate_zone(self, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(
                f"Unknown time zone {value!r}: use an IANA name such as Europe/London."
            ) from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs["period"] = instants_period(attrs["from"], attrs["to"], ZoneInfo(attrs.get("zone") or "UTC"))
        except PeriodError as exc:
            raise serializers.ValidationError({"to": str(exc)}) from None
        return attrs


class SummaryQuery(PeriodQuery):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            **super().get_fields(),
            "businessHours": serializers.BooleanField(
                required=False,
                default=False,
                help_text="Count first response and time to close in the organization's opening hours only.",
            ),
        }


class TimeseriesQuery(PeriodQuery):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            **super().get_fields(),
            "metric": serializers.ChoiceField(choices=SERIES, help_text="What to count."),
            "interval": serializers.ChoiceField(choices=("day", "hour"), default="day", help_text="Bucket size."),
        }


class TotalsSerializer(serializers.Serializer):
    inbound = serializers.IntegerField()
    outbound = serializers.IntegerField(help_text="Sent (not still scheduled, not canceled).")
    delivered = serializers.IntegerField(help_text="Delivered or read.")
    undelivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    opt_outs = serializers.IntegerField()
    unique_contacts = serializers.IntegerField(help_text="Contacts with a message in the period.")
    new_contacts = serializers.IntegerField()
    segments = serializers.IntegerField(help_text="Segments of the messages sent.")
    cost = serializers.DecimalField(max_digits=16, decimal_places=5, help_text="Twilio's price of the sends.")
    first_responses = serializers.IntegerField()
    first_response_median_seconds = serializers.FloatField(allow_null=True)
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    closes = serializers.IntegerField()
    time_to_close_median_seconds = serializers.FloatField(allow_null=True)
    time_to_close_p90_seconds = serializers.FloatField(allow_null=True)


class LabelTimingSerializer(serializers.Serializer):
    label_id = serializers.IntegerField()
    name = serializers.CharField()
    first_responses = serializers.IntegerField()
    first_response_median_seconds = serializers.FloatField(allow_null=True)
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    closes = serializers.IntegerField()
    time_to_close_median_seconds = serializers.FloatField(allow_null=True)
    time_to_close_p90_seconds = serializers.FloatField(allow_null=True)


class SummarySerializer(TotalsSerializer):
    previous = TotalsSerializer(help_text="The same figures for the period of the same length just before.")
    business_hours = serializers.BooleanField(help_text="Whether times count only the opening hours.")
    labels = LabelTimingSerializer(
        many=True, help_text="Response and close times in the period per label (conversations as labelled now)."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateTimeField(help_text="`from`, in UTC."),
            "to": serializers.DateTimeField(help_text="`to`, in UTC."),
            **super().get_fields(),
        }


class PointSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="The bucket's start, ISO 8601 with `zone`'s offset then.")
    value = serializers.IntegerField()


class TimeseriesSerializer(serializers.Serializer):
    metric = serializers.CharField()
    interval = serializers.CharField()
    zone = serializers.CharField()
    points = PointSerializer(many=True)


def _timing_fields(first_response: Timing, time_to_close: Timing) -> dict[str, Any]:
    return {
        "first_responses": first_response.count,
        "first_response_median_seconds": first_response.median,
        "first_response_p90_seconds": first_response.p90,
        "closes": time_to_close.count,
        "time_to_close_median_seconds": time_to_close.median,
        "time_to_close_p90_seconds": time_to_close.p90,
    }


def _totals(t: Totals) -> dict[str, Any]:
    return {
        **{name: t.counts[name] for name in ("inbound", "outbound", "delivered", "undelivered", "failed", "segments")},
        "opt_outs": t.counts["opt_outs"],
        "new_contacts": t.counts["new_contacts"],
        "unique_contacts": t.unique_contacts,
        "cost": t.cost,
        **_timing_fields(t.first_response, t.time_to_close),
    }


def _organization(request: Request) -> Organization:
    organization = organization_for_request(request)
    if key_of(request.user) is None:  # a key's scope (reports:read) was checked already
        reports_read_require(user=request.user, organization=organization)
    return organization


def _query(serializer: type[PeriodQuery], request: Request) -> dict[str, Any]:
    values = query_values(serializer, request)
    if "zone" not in values:
        values["period"] = instants_period(
            values["from"], values["to"], ZoneInfo(getattr(request.user, "time_zone", "") or "UTC")
        )
    return values


class ReportSummaryApi(APIView):
    """The organization's figures for a period, and for the period of the same length just before it."""

    FilterSerializer = SummaryQuery
    OutputSerializer = SummarySerializer

    @extend_schema(
        operation_id="reports_summary_retrieve",
        tags=REPORTS,
        parameters=[FilterSerializer, *PERIOD_PARAMETERS, *ORGANIZATION_PARAMETERS],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
        examples=[OpenApiExample("March", {"inbound": 120, "outbound": 98, "optOuts": 1}, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        query = _query(self.FilterSerializer, request)
        organization = _organization(request)
        report = report_build(
            organization=organization, period=query["period"], business_hours=query.get("businessHours", False)
        )
        labels = [
            {"label_id": r.label_id, "name": r.name, **_timing_fields(r.first_response, r.time_to_close)}
            for r in report.labels
        ]
        data = {
            **_totals(report.now),
            "from": query["from"],
            "to": query["to"],
            "previous": _totals(report.before),
            "business_hours": report.business_hours,
            "labels": labels,
        }
        return Response(self.OutputSerializer(data).data)


def _hours(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours that start inside [start, end)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    return [first + timedelta(hours=i) for i in range(max(math.ceil((end - first).total_seconds() / 3600), 0))]


class ReportTimeseriesApi(APIView):
    """One count per day (in ``zone``) or per hour across the period, zeros included."""

    FilterSerializer = TimeseriesQuery
    OutputSerializer = TimeseriesSerializer

    @extend_schema(
        operation_id="reports_timeseries_retrieve",
        tags=REPORTS,
        parameters=[FilterSerializer, *PERIOD_PARAMETERS, *ORGANIZATION_PARAMETERS],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        query = _query(self.FilterSerializer, request)
        organization = _organization(request)
        period = query["period"]
        report = report_build(organization=organization, period=period)
        metric = to_snake(query["metric"])
        if query["interval"] == "day":
            points = [
                {"start": local_midnight(day, period.zone).isoformat(), "value": v} for day, v in report.per_day(metric)
            ]
        else:
            counts = dict(report.per_hour(metric))
            points = [
                {"start": hour.astimezone(period.zone).isoformat(), "value": counts.get(hour, 0)}
                for hour in _hours(period.start.astimezone(ZoneInfo("UTC")), period.end)
            ]
        data = {"metric": query["metric"], "interval": query["interval"], "zone": str(period.zone), "points": points}
        return Response(self.OutputSerializer(data).data)
