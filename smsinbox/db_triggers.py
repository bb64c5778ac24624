"""Invariants the database enforces with triggers, where a constraint cannot reach.

- A message's status only moves forward (ranks from ``messaging.statuses``).
- A conversation's contact and number belong to the conversation's organization; a
  message belongs to its conversation's organization; a contact, number or conversation
  cannot move to another organization once it has conversations or messages.
- A Messaging Service SID routes to one organization only.

And one the application must not be trusted to keep:

- A conversation's ``version`` goes up by one on every UPDATE of its row, whatever the
  statement set it to, so live inboxes can order the rows they hear (``Conversation``).

Installed after every ``migrate`` (``post_migrate``), idempotently, for PostgreSQL and SQLite,
so a table that SQLite rebuilds during a later migration gets its triggers back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    events: tuple[str, ...]  # "INSERT", "UPDATE", or "UPDATE OF col"
    when: str  # a boolean SQL condition over NEW/OLD that means "refuse"
    message: str
    timing: str = "BEFORE"


def _status_condition() -> str:
    from messaging.statuses import NOT_READABLE

    unreadable = ", ".join(f"'{s}'" for s in sorted(NOT_READABLE))
    return (
        "NEW.status <> OLD.status AND (NEW.status_rank <= OLD.status_rank OR OLD.status = 'canceled' "
        f"OR (NEW.status = 'read' AND OLD.status IN ({unreadable})))"
    )


def triggers() -> list[Trigger]:
    return [
        Trigger(
            "messaging_message_status_forward_only",
            "messaging_message",
            ("UPDATE OF status",),
            _status_condition(),
            "message status may only move forward",
            timing="AFTER",
        ),
        Trigger(
            "conversation_same_organization",
            "conversations_conversation",
            ("INSERT", "UPDATE"),
            "(SELECT organization_id FROM conversations_contact WHERE id = NEW.contact_id) <> NEW.organization_id "
            "OR (SELECT organization_id FROM smsinbox_phonenumber WHERE id = NEW.phone_number_id) "
            "<> NEW.organization_id"
            " OR (OLD.organization_id IS NOT NULL AND OLD.organization_id <> NEW.organization_id)",
            "a conversation's contact and number belong to its organization, which never changes",
        ),
        Trigger(
            "message_same_organization",
            "messaging_message",
            ("INSERT", "UPDATE"),
            "(SELECT organization_id FROM conversations_conversation WHERE id = NEW.conversation_id) "
            "<> NEW.organization_id",
            "a message belongs to its conversation's organization",
        ),
        Trigger(
            "contact_organization_fixed",
            "conversations_contact",
            ("UPDATE OF organization_id",),
            "NEW.organization_id <> OLD.organization_id "
            "AND EXISTS (SELECT 1 FROM conversations_conversation WHERE contact_id = OLD.id)",
            "a contact with conversations cannot move to another organization",
        ),
        Trigger(
            "phonenumber_organization_fixed",
            "smsinbox_phonenumber",
            ("UPDATE OF organization_id",),
            "NEW.organization_id <> OLD.organization_id "
            "AND EXISTS (SELECT 1 FROM conversations_conversation WHERE phone_number_id = OLD.id)",
            "a number with conversations cannot move to another organization",
        ),
        Trigger(
            "phonenumber_service_one_organization",
            "smsinbox_phonenumber",
            ("INSERT", "UPDATE"),
            "NEW.messaging_service_sid <> '' AND EXISTS (SELECT 1 FROM smsinbox_phonenumber other "
            "WHERE other.messaging_service_sid = NEW.messaging_service_sid "
            "AND other.organization_id <> NEW.organization_id)",
            "this Messaging Service belongs to another organization",
        ),
    ]


@dataclass(frozen=True)
class VersionBump:
    """Every UPDATE of a row of ``table`` sets ``column`` to its old value plus one."""

    name: str
    table: str
    column: str = "version"


def version_bumps() -> list[VersionBump]:
    return [VersionBump("conversation_version_bump", "conversations_conversation")]


def _sqlite_sql(t: Trigger) -> list[str]:
    statements = []
    for i, event in enumerate(t.events):
        name = f"{t.name}_{i}"
        when = t.when if "OLD." not in t.when or event != "INSERT" else _without_old(t.when)
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} {t.timing} {event} ON {t.table} FOR EACH ROW WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{_quoted(t.message)}'); END"
        )
    return statements


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def _without_old(condition: str) -> str:
    """Drop the clause about OLD, which INSERT triggers cannot name."""
    return condition.split(" OR (OLD.")[0]


def _postgres_sql(t: Trigger) -> list[str]:
    # In a row trigger for INSERT, PostgreSQL sets OLD to NULL, so one condition serves both events.
    events = " OR ".join(t.events)
    return [
        f"""CREATE OR REPLACE FUNCTION {t.name}() RETURNS trigger AS $fn$
BEGIN
    IF COALESCE(({t.when}), FALSE) THEN
        RAISE EXCEPTION '{_quoted(t.message)} (%)', TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    RETURN {"NULL" if t.timing == "AFTER" else "NEW"};
END;
$fn$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}",
        f"CREATE TRIGGER {t.name} {t.timing} {events} ON {t.table} FOR EACH ROW EXECUTE FUNCTION {t.name}()",
    ]


def _sqlite_bump_sql(b: VersionBump) -> list[str]:
    # AFTER the row is written, a second UPDATE of the same row sets the version from OLD. It does not
    # fire this trigger again: SQLite runs no trigger recursively unless PRAGMA recursive_triggers is on
    # (off by default, and Django leaves it off). sqlite3_changes(), hence Django's update() count,
    # leaves out rows a trigger changed.
    name = f"{b.name}_0"
    bump = f"UPDATE {b.table} SET {b.column} = OLD.{b.column} + 1 WHERE id = OLD.id"  # noqa: S608 (names from code)
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} AFTER UPDATE ON {b.table} FOR EACH ROW BEGIN {bump}; END",
    ]


def _postgres_bump_sql(b: VersionBump) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {b.name}() RETURNS trigger AS $fn$
BEGIN
    NEW.{b.column} := OLD.{b.column} + 1;
    RETURN NEW;
END;
$fn$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {b.name} ON {b.table}",
        f"CREATE TRIGGER {b.name} BEFORE UPDATE ON {b.table} FOR EACH ROW EXECUTE FUNCTION {b.name}()",
    ]


def install(connection: BaseDatabaseWrapper) -> list[str]:
    """(Re)create every trigger whose table exists; return their names."""
    tables = set(connection.introspection.table_names())
    installed = []
    with connection.cursor() as cursor:
        for t in triggers():
            if t.table not in tables:
                continue
            sql = {"postgresql": _postgres_sql, "sqlite": _sqlite_sql}[connection.vendor](t)
            for statement in sql:
                cursor.execute(statement, None)  # no placeholders: RAISE formats with % itself
            installed.append(t.name)
        for b in version_bumps():
            if b.table not in tables:
                continue
            for statement in {"postgresql": _postgres_bump_sql, "sqlite": _sqlite_bump_sql}[connection.vendor](b):
                cursor.execute(statement, None)
            installed.append(b.name)
    return installed


def installed_names(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the triggers present in the database (SQLite names carry an event suffix)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return {row[0].rsplit("_", 1)[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}
