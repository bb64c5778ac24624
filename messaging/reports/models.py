"""The reports' rollups, written only by database triggers (``TRIGGERS`` below, ``smsinbox.db_triggers.Maintain``).

Invariants (each held by the triggers on every INSERT/UPDATE/DELETE, whoever writes):

- ``ReportHour``: for each (organization, UTC hour, key), ``messages``/``segments``/``price`` equal the count,
  the sum of ``num_segments`` and the sum of ``price`` of the organization's messages created in that hour whose
  ``direction:status`` is ``key`` (so a message counts in the hour it was created, with its current status);
  key ``contact`` counts contacts created in the hour, ``opt_out`` contacts whose ``opted_out_at`` moved from
  empty to that hour. Local days are sums of whole UTC hours, so any time zone (DST included) reads them.
- ``ReportAwaiting``: a conversation whose customer wrote and no staff member has answered since: the time of
  the first such inbound. A staff member's send (not one scheduled for later) turns it into a
  ``ReportResponse`` (first response time) and removes it.
- ``ReportOpen``: a conversation with an inbound since it was last closed: the time of the first; a ``closed``
  activity event turns it into a ``ReportClosure`` (time to close) and removes it.

A deleted message or contact takes its counts with it (an opt-out stays counted: it happened); a deleted
conversation its rows (no orphan row).
Rebuild them from the tables with ``messaging.reports.rebuild.rollups_rebuild``.
"""

from __future__ import annotations

from django.db import models

from smsinbox.db_triggers import Maintain
from smsinbox.models import Organization


class ReportHour(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(help_text="The UTC hour's start.")
    key = models.CharField(max_length=24, help_text="direction:status, `contact` or `opt_out`.")
    messages = models.IntegerField(default=0)
    segments = models.IntegerField(default=0)
    price = models.DecimalField(max_digits=16, decimal_places=5, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "hour", "key"], name="report_hour_unique")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.key}: {self.messages}"


class ReportAwaiting(models.Model):
    conversation_id = models.BigIntegerField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"conversation {self.conversation_id} since {self.since}"


class ReportOpen(models.Model):
    conversation_id = models.BigIntegerField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"conversation {self.conversation_id} since {self.since}"


class ReportResponse(models.Model):
    """A first response: ``answered_at - awaited_at`` is ``seconds``; ``responder_id`` the staff member (a user)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    conversation_id = models.BigIntegerField()
    responder_id = models.BigIntegerField(null=True)
    awaited_at = models.DateTimeField()
    answered_at = models.DateTimeField()
    seconds = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["organization", "answered_at"], name="report_response_idx")]

    def __str__(self) -> str:
        return f"conversation {self.conversation_id}: {self.seconds:.0f} s"


class ReportClosure(models.Model):
    """A close: ``closed_at - opened_at`` is ``seconds``; ``closed_by_id`` the staff member (null: the system)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    conversation_id = models.BigIntegerField()
    closed_by_id = models.BigIntegerField(null=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    seconds = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["organization", "closed_at"], name="report_closure_idx")]

    def __str__(self) -> str:
        return f"conversation {self.conversation_id}: {self.seconds:.0f} s"


# --- The triggers -------------------------------------------------------------------------------------------

_HOUR = {
    "sqlite": "strftime('%Y-%m-%d %H:00:00', {})",
    "postgres": "(date_trunc('hour', {} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')",
}
_SECONDS = {
    "sqlite": "((julianday({end}) - julianday({start})) * 86400.0)",
    "postgres": "EXTRACT(EPOCH FROM ({end} - {start}))",
}


def _add(engine: str, *, org: str, at: str, key: str, sign: str, segments: str = "0", price: str = "0") -> str:
    """Add one row's counts to its hour (an upsert); take them away (``sign`` "-") with a plain UPDATE, which
    creates nothing: a row deleted with its organization (or by a flush) is not brought back."""
    hour = _HOUR[engine].format(at)
    if sign == "-":
        return (
            f"UPDATE reports_reporthour SET messages = messages - 1, segments = segments - {segments}, "  # noqa: S608
            f"price = price - {price} WHERE organization_id = {org} AND hour = {hour} AND key = {key};"
        )
    return (
        "INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) "  # noqa: S608 (names from code)
        f"VALUES ({org}, {hour}, {key}, 1, {segments}, {price}) "
        "ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + "
        "excluded.messages, segments = reports_reporthour.segments + excluded.segments, "
        "price = reports_reporthour.price + excluded.price;"
    )


def _message(engine: str, row: str, sign: str) -> str:
    return _add(
        engine,
        org=f"{row}.organization_id",
        at=f"{row}.created_at",
        key=f"{row}.direction || ':' || {row}.status",
        sign=sign,
        segments=f"{row}.num_segments",
        price=f"COALESCE({row}.price, 0)",
    )


def _first(table: str) -> str:
    return (
        f"INSERT INTO {table} (conversation_id, organization_id, since) "  # noqa: S608 (names from code)
        "VALUES (NEW.conversation_id, NEW.organization_id, NEW.created_at) ON CONFLICT (conversation_id) DO NOTHING;"
    )


def _turn(engine: str, *, source: str, target: str, columns: str, who: str) -> str:
    seconds = _SECONDS[engine].format(end="NEW.created_at", start="since")
    return (
        f"INSERT INTO {target} (organization_id, conversation_id, {columns}, seconds) "  # noqa: S608 (names from code)
        f"SELECT organization_id, conversation_id, {who}, since, NEW.created_at, {seconds} FROM {source} "
        "WHERE conversation_id = NEW.conversation_id; "
        f"DELETE FROM {source} WHERE conversation_id = NEW.conversation_id;"
    )


def _both(name: str, table: str, event: str, when: str, build: object) -> Maintain:
    return Maintain(name, table, event, when, build("sqlite"), build("postgres"))  # type: ignore[operator]


_STATUS_CHANGED = (
    "OLD.status <> NEW.status OR OLD.num_segments <> NEW.num_segments "
    "OR COALESCE(OLD.price, 0) <> COALESCE(NEW.price, 0) OR OLD.created_at <> NEW.created_at"
)
_ANSWER = "NEW.direction = 'out' AND NEW.sent_by_id IS NOT NULL AND NEW.status <> 'scheduled'"
_MESSAGES = "messaging_message"
_CONTACTS = "conversations_contact"

TRIGGERS = [
    _both("report_message_insert", _MESSAGES, "INSERT", "", lambda e: _message(e, "NEW", "")),
    _both(
        "report_message_update", _MESSAGES, "UPDATE", _STATUS_CHANGED,
        lambda e: _message(e, "OLD", "-") + " " + _message(e, "NEW", ""),
    ),
    _both("report_message_delete", _MESSAGES, "DELETE", "", lambda e: _message(e, "OLD", "-")),
    _both(
        "report_inbound_waits", _MESSAGES, "INSERT", "NEW.direction = 'in'",
        lambda e: _first("reports_reportawaiting") + " " + _first("reports_reportopen"),
    ),
    _both(
        "report_first_response", _MESSAGES, "INSERT", _ANSWER,
        lambda e: _turn(
            e, source="reports_reportawaiting", target="reports_reportresponse",
            columns="responder_id, awaited_at, answered_at", who="NEW.sent_by_id",
        ),
    ),
    _both(
        "report_close", "conversations_conversationevent", "INSERT", "NEW.kind = 'closed'",
        lambda e: _turn(
            e, source="reports_reportopen", target="reports_reportclosure",
            columns="closed_by_id, opened_at, closed_at", who="NEW.actor_id",
        ),
    ),
    _both(
        "report_conversation_delete", "conversations_conversation", "DELETE", "",
        lambda e: " ".join(
            f"DELETE FROM {t} WHERE conversation_id = OLD.id;"  # noqa: S608 (names from code)
            for t in ("reports_reportawaiting", "reports_reportopen", "reports_reportresponse", "reports_reportclosure")
        ),
    ),
    _both(
        "report_contact_insert", _CONTACTS, "INSERT", "",
        lambda e: _add(e, org="NEW.organization_id", at="NEW.created_at", key="'contact'", sign=""),
    ),
    _both(
        "report_contact_delete", _CONTACTS, "DELETE", "",
        lambda e: _add(e, org="OLD.organization_id", at="OLD.created_at", key="'contact'", sign="-"),
    ),
    _both(
        "report_opt_out", _CONTACTS, "UPDATE", "OLD.opted_out_at IS NULL AND NEW.opted_out_at IS NOT NULL",
        lambda e: _add(e, org="NEW.organization_id", at="NEW.opted_out_at", key="'opt_out'", sign=""),
    ),
]  # fmt: skip
