"""The reports' figures for a period and the one before it: eight queries whatever the volume (two more for
the opening hours when counted in business hours only).

Read from the rollups the database keeps (``messaging.reports.models``): the hourly counters (one query for
both periods), response and close times (one each, and one each per label), plus unique contacts (one query
over the messages' index), failures per error code (the Failed page's partial index) and the names of the
staff involved. ``business_hours``: response and close times count only the organization's opening hours
(``messaging.hours.clock``); an organization without opening hours then has every timing at zero.
A message counts in the hour it was created, with its status now: delivered is ``delivered`` or ``read``;
outbound leaves out messages still scheduled by us and those canceled before sending.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from messaging.hours.selectors import open_clock_get
from messaging.models import Message
from messaging.reports.models import ReportHour
from messaging.reports.ranges import Period
from messaging.reports.timings import CLOSES, EVERYONE, RESPONSES, Key, Timing, label_timings, timings
from messaging.statuses import FAILURE_STATUSES
from smsinbox.models import Organization

NOT_SENT = {"out:scheduled", "out:canceled"}
DELIVERED = {"out:delivered", "out:read"}
COUNTS = ("inbound", "outbound", "delivered", "undelivered", "failed", "opt_outs", "new_contacts", "segments")
METRICS = (*COUNTS, "unique_contacts")


def _counts_of(key: str, messages: int, segments: int) -> dict[str, int]:
    """What one rollup row adds to each count."""
    if key == "contact":
        return {"new_contacts": messages}
    if key == "opt_out":
        return {"opt_outs": messages}
    if key.startswith("in:"):
        return {"inbound": messages}
    if key in NOT_SENT:
        return {}
    counts = {"outbound": messages, "segments": segments}
    if key in DELIVERED:
        counts["delivered"] = messages
    elif key == "out:undelivered":
        counts["undelivered"] = messages
    elif key == "out:failed":
        counts["failed"] = messages
    return counts


@dataclass
class Totals:
    counts: Counter[str] = field(default_factory=Counter)
    cost: Decimal = Decimal(0)
    unique_contacts: int = 0
    first_response: Timing = field(default_factory=Timing)
    time_to_close: Timing = field(default_factory=Timing)

    def rate(self, name: str) -> float | None:
        """``name`` as a share of outbound (None when nothing was sent)."""
        return self.counts[name] / self.counts["outbound"] if self.counts["outbound"] else None

    def value(self, metric: str) -> int:
        return self.unique_contacts if metric == "unique_contacts" else self.counts[metric]


@dataclass
class StaffRow:
    user_id: int | None
    name: str
    first_response: Timing
    time_to_close: Timing


@dataclass
class LabelRow:
    label_id: int
    name: str
    first_response: Timing
    time_to_close: Timing


@dataclass
class Report:
    period: Period
    now: Totals
    before: Totals
    hours: dict[datetime, Counter[str]]  # the period's UTC hours that had anything, and their counts
    failures: list[tuple[int | None, int]]  # (error code, failed sends), most first
    staff: list[StaffRow]
    labels: list[LabelRow] = field(default_factory=list)
    business_hours: bool = False

    def per_day(self, metric: str) -> list[tuple[date, int]]:
        totals: Counter[date] = Counter()
        for hour, counts in self.hours.items():
            totals[hour.astimezone(self.period.zone).date()] += counts[metric]
        return [(day, totals[day]) for day in self.period.days()]

    def per_hour(self, metric: str) -> list[tuple[datetime, int]]:
        return sorted((hour, counts[metric]) for hour, counts in self.hours.items() if counts[metric])

    def heat_map(self, metric: str = "messages") -> list[list[int]]:
        """Seven rows (Monday first) of 24 local hours: inbound plus outbound when ``metric`` is ``messages``."""
        grid = [[0] * 24 for _ in range(7)]
        for hour, counts in self.hours.items():
            local = hour.astimezone(self.period.zone)
            value = counts["inbound"] + counts["outbound"] if metric == "messages" else counts[metric]
            grid[local.weekday()][local.hour] += value
        return grid


def _names(organization: Organization) -> dict[int, str]:
    """The organization's members' names (one query, however many answered)."""
    users = get_user_model().objects.filter(memberships__organization=organization)
    return {u.pk: (u.get_full_name() or u.username) for u in users.only("username", "first_name", "last_name")}


def report_build(*, organization: Organization, period: Period, business_hours: bool = False) -> Report:
    """Every figure of the reports page for ``period`` and the period before it."""
    before = period.previous
    now_totals, before_totals = Totals(), Totals()
    hours: dict[datetime, Counter[str]] = defaultdict(Counter)
    rows = ReportHour.objects.filter(
        organization=organization, hour__gte=before.start, hour__lt=period.end
    ).values_list("hour", "key", "messages", "segments", "price")
    for hour, key, messages, segments, price in rows:
        counts = _counts_of(key, messages, segments)
        totals = now_totals if hour >= period.start else before_totals
        totals.counts.update(counts)
        if key.startswith("out:"):
            totals.cost += price or 0
        if hour >= period.start:
            hours[hour].update(counts)
    unique = Message.objects.filter(
        organization=organization, created_at__gte=before.start, created_at__lt=period.end
    ).aggregate(
        now=Count("conversation_id", distinct=True, filter=Q(created_at__gte=period.start)),
        before=Count("conversation_id", distinct=True, filter=Q(created_at__lt=period.start)),
    )
    now_totals.unique_contacts, before_totals.unique_contacts = unique["now"], unique["before"]
    scope = {
        "organization_id": organization.pk,
        "period": period,
        "clock": open_clock_get(organization=organization) if business_hours else None,
    }
    answered, closed = timings(source=RESPONSES, **scope), timings(source=CLOSES, **scope)
    labels = _labels(label_timings(source=RESPONSES, **scope), label_timings(source=CLOSES, **scope))
    for totals, inside in ((now_totals, True), (before_totals, False)):
        totals.first_response = answered.get((inside, EVERYONE), Timing())
        totals.time_to_close = closed.get((inside, EVERYONE), Timing())
    now_totals.cost, before_totals.cost = abs(now_totals.cost), abs(before_totals.cost)
    failures = list(
        Message.objects.filter(
            organization=organization,
            direction="out",
            status__in=sorted(FAILURE_STATUSES),
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .order_by()
        .values_list("error_code")
        .annotate(n=Count("id"))
        .order_by("-n", "error_code")
    )
    staff = _staff(organization, answered, closed)
    return Report(period, now_totals, before_totals, dict(hours), failures, staff, labels, business_hours)


def _labels(answered: dict[tuple[int, str], Timing], closed: dict[tuple[int, str], Timing]) -> list[LabelRow]:
    rows = [
        LabelRow(label, name, answered.get((label, name), Timing()), closed.get((label, name), Timing()))
        for label, name in {*answered, *closed}
    ]
    return sorted(rows, key=lambda r: (-r.first_response.count, r.name.lower()))


def _staff(organization: Organization, answered: dict[Key, Timing], closed: dict[Key, Timing]) -> list[StaffRow]:
    people = {who for now, who in (*answered, *closed) if now and who != EVERYONE}
    names = _names(organization)
    rows = [
        StaffRow(
            who,
            names.get(who, "Former member") if who is not None else "Automatic",
            answered.get((True, who), Timing()),
            closed.get((True, who), Timing()),
        )
        for who in people
    ]
    return sorted(rows, key=lambda r: (-r.first_response.count, r.name))
