"""Invariants the database enforces with triggers, where a constraint cannot reach: the mechanism.

Each trigger is defined once, next to its model, in the model module's ``TRIGGERS`` list:

- ``messaging.models``: a message's status only moves forward (ranks from ``messaging.statuses``);
  a message belongs to its conversation's organization.
- ``conversations.models``: a conversation's contact and number belong to its organization; a
  contact or number with conversations cannot move to another organization; a conversation's
  ``version`` goes up by one on every UPDATE of its row, whatever the statement set it to, so
  live inboxes can order the rows they hear (one the application must not be trusted to keep).
  A private note's conversation belongs to its organization, which never changes, and its author is a
  member of it; a note mentions members of its organization only.
- ``smsinbox.models``: a Messaging Service SID routes to one organization only; an audit entry is never
  updated (``smsinbox.audit.models``, added to the app's list).
- ``messaging.reports.models``: the reports' rollups, kept by ``Maintain`` triggers (statements run after each
  write of a row, one body per engine) so that no service needs to know they exist.

A refusal's error starts with the trigger's name (``"<name>: <message>"``), on both vendors, as a
constraint's error names the constraint: tests (``tests/db_errors.py``) check which rule refused a write.

A migration installs each definition (``InstallTriggers``, whose arguments show the definition
in the migration file, as Django shows a constraint's), and ``tests/smsinbox/test_db_triggers.py``
fails when a model module's definition and its app's migrations disagree (run ``manage.py
makemigrations APP --empty`` and add ``InstallTriggers([…])`` with the new definitions).
Every trigger is also reinstalled after every ``migrate`` (``post_migrate``), idempotently, for
PostgreSQL and SQLite, so a table that SQLite rebuilds during a later migration gets it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.db import migrations
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Trigger:
    """Refuse a write: ``when`` is a boolean SQL condition over NEW/OLD that means "refuse"."""

    name: str
    table: str
    events: tuple[str, ...]  # "INSERT", "UPDATE", or "UPDATE OF col"
    when: str  # a boolean SQL condition over NEW/OLD that means "refuse"
    message: str
    timing: str = "BEFORE"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """How a migration file writes this definition out."""
        return "smsinbox.db_triggers.Trigger", [], _fields(self)


@dataclass(frozen=True)
class VersionBump:
    """Every UPDATE of a row of ``table`` sets ``column`` to its old value plus one."""

    name: str
    table: str
    column: str = "version"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return "smsinbox.db_triggers.VersionBump", [], _fields(self)


@dataclass(frozen=True)
class Maintain:
    """Keep a derived table up to date: after each ``event`` on a row of ``table`` (where ``when``, a
    condition over NEW/OLD, holds; empty: always), run the statements ``sqlite`` or ``postgres`` (each
    ending with ``;``), which read NEW/OLD. Not a refusal: it never stops the write."""

    name: str
    table: str
    event: str  # "INSERT", "UPDATE" or "DELETE"
    when: str
    sqlite: str
    postgres: str

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return "smsinbox.db_triggers.Maintain", [], _fields(self)


def _sqlite_maintain_sql(m: Maintain) -> list[str]:
    name = f"{m.name}_0"
    when = f" WHEN {m.when}" if m.when else ""
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} AFTER {m.event} ON {m.table} FOR EACH ROW{when} BEGIN {m.sqlite} END",
    ]


def _postgres_maintain_sql(m: Maintain) -> list[str]:
    body = f"IF COALESCE(({m.when}), FALSE) THEN {m.postgres} END IF;" if m.when else m.postgres
    return [
        f"""CREATE OR REPLACE FUNCTION {m.name}() RETURNS trigger AS $fn$
BEGIN
    {body}
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {m.name} ON {m.table}",
        f"CREATE TRIGGER {m.name} AFTER {m.event} ON {m.table} FOR EACH ROW EXECUTE FUNCTION {m.name}()",
    ]


def _fields(definition: object) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(definition)  # type: ignore[call-overload]


def _sqlite_sql(t: Trigger) -> list[str]:
    statements = []
    for i, event in enumerate(t.events):
        name = f"{t.name}_{i}"
        when = t.when if "OLD." not in t.when or event != "INSERT" else _without_old(t.when)
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} {t.timing} {event} ON {t.table} FOR EACH ROW WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{_quoted(_refusal(t))}'); END"
        )
    return statements


def _refusal(t: Trigger) -> str:
    """The error a refusal raises, on both vendors: the trigger's name first, as a constraint's error names it."""
    return f"{t.name}: {t.message}"


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
        RAISE EXCEPTION '{_quoted(_refusal(t))} (%)', TG_TABLE_NAME USING ERRCODE = 'check_violation';
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


Definition = Trigger | VersionBump | Maintain


def defined_triggers() -> list[Definition]:
    """Every trigger of every installed app: the ``TRIGGERS`` list of its models module."""
    found: list[Definition] = []
    for app in global_apps.get_app_configs():
        found.extend(getattr(app.models_module, "TRIGGERS", ()))
    return found


def _sql(connection: BaseDatabaseWrapper, definition: Definition) -> list[str]:
    if isinstance(definition, VersionBump):
        return {"postgresql": _postgres_bump_sql, "sqlite": _sqlite_bump_sql}[connection.vendor](definition)
    if isinstance(definition, Maintain):
        return {"postgresql": _postgres_maintain_sql, "sqlite": _sqlite_maintain_sql}[connection.vendor](definition)
    return {"postgresql": _postgres_sql, "sqlite": _sqlite_sql}[connection.vendor](definition)


def install(connection: BaseDatabaseWrapper, definitions: Iterable[Definition] | None = None) -> list[str]:
    """(Re)create each trigger (all defined ones by default) whose table exists; return their names."""
    tables = set(connection.introspection.table_names())
    installed = []
    with connection.cursor() as cursor:
        for definition in defined_triggers() if definitions is None else definitions:
            if definition.table not in tables:
                continue
            for statement in _sql(connection, definition):
                cursor.execute(statement, None)  # no placeholders: RAISE formats with % itself
            installed.append(definition.name)
    return installed


def _drop_sql(connection: BaseDatabaseWrapper, definition: Definition) -> list[str]:
    if connection.vendor == "sqlite":
        events = 1 if isinstance(definition, VersionBump | Maintain) else len(definition.events)
        return [f"DROP TRIGGER IF EXISTS {definition.name}_{i}" for i in range(events)]
    return [
        f"DROP TRIGGER IF EXISTS {definition.name} ON {definition.table}",
        f"DROP FUNCTION IF EXISTS {definition.name}()",
    ]


class InstallTriggers(migrations.operations.base.Operation):
    """A migration operation that installs triggers, written out in full in the migration file.

    The definitions in a migration are a frozen copy of the ``TRIGGERS`` of the model module at
    the time, as Django freezes fields and constraints. Reversing drops them.
    """

    reversible = True
    reduces_to_sql = False

    def __init__(self, definitions: list[Definition]) -> None:
        self.definitions = list(definitions)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [], {"definitions": self.definitions}

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # triggers are not part of Django's model state

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        install(schema_editor.connection, self.definitions)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            for definition in self.definitions:
                for statement in _drop_sql(schema_editor.connection, definition):
                    cursor.execute(statement, None)

    def describe(self) -> str:
        return "Install triggers " + ", ".join(d.name for d in self.definitions)


def installed_names(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the triggers present in the database (SQLite names carry an event suffix)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return {row[0].rsplit("_", 1)[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


class DropSqliteTriggersReferencing(migrations.operations.base.Operation):
    """Before a migration that makes SQLite rebuild ``tables`` (adding a NOT NULL column does): drop the SQLite
    triggers whose SQL names them, on any table.

    SQLite rebuilds a table by creating a copy, dropping the original and renaming the copy; a trigger of
    another table that reads the original (``note_author_member`` reads ``smsinbox_membership``) makes the
    drop fail ("error in trigger …: no such table"). The triggers come back at the end of the same ``migrate``
    (``post_migrate`` reinstalls every definition). PostgreSQL alters tables in place: nothing to do there.
    """

    reversible = True
    reduces_to_sql = False

    def __init__(self, tables: list[str]) -> None:
        self.tables = list(tables)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [], {"tables": self.tables}

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            names = [name for name, sql in cursor.fetchall() if any(table in (sql or "") for table in self.tables)]
            for name in names:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"', None)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return "Drop the SQLite triggers that read " + ", ".join(self.tables)
