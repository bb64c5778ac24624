"""An independent record of every committed status change, kept by a database trigger during a storm.

The app records callbacks (``MessageEvent``) but not which of them moved a status; this log
does, from the database's side, so "one live event per real change" is checked against what
was really committed rather than against what the app says it did. Observation only: the
trigger inserts a row into a table of its own and changes nothing else.
"""

from __future__ import annotations

import uuid
from collections import Counter
from types import TracebackType

from django.db import connection

_SQL = {
    "postgresql": (
        [
            "CREATE TABLE {t} (id bigserial PRIMARY KEY, message_id bigint NOT NULL, "
            "old_status text NOT NULL, new_status text NOT NULL)",
            "CREATE FUNCTION {t}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO {t} (message_id, old_status, new_status) VALUES (NEW.id, OLD.status, NEW.status); "
            "RETURN NULL; END $$",
            "CREATE TRIGGER {t} AFTER UPDATE OF status ON messaging_message FOR EACH ROW "
            "WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.organization_id = {org}) EXECUTE FUNCTION {t}_fn()",
        ],
        [
            "DROP TRIGGER IF EXISTS {t} ON messaging_message",
            "DROP FUNCTION IF EXISTS {t}_fn()",
            "DROP TABLE IF EXISTS {t}",
        ],
    ),
    "sqlite": (
        [
            "CREATE TABLE {t} (id integer PRIMARY KEY AUTOINCREMENT, message_id integer NOT NULL, "
            "old_status text NOT NULL, new_status text NOT NULL)",
            "CREATE TRIGGER {t} AFTER UPDATE OF status ON messaging_message FOR EACH ROW "
            "WHEN NEW.status IS NOT OLD.status AND NEW.organization_id = {org} BEGIN "
            "INSERT INTO {t} (message_id, old_status, new_status) VALUES (NEW.id, OLD.status, NEW.status); END",
        ],
        ["DROP TRIGGER IF EXISTS {t}", "DROP TABLE IF EXISTS {t}"],
    ),
}


class StatusChangeLog:
    """Log every committed status change of one organization's messages while the context is open."""

    def __init__(self, organization_id: int):
        if connection.vendor not in _SQL:
            raise RuntimeError(f"no status change log for {connection.vendor}")
        self.organization_id = int(organization_id)
        self.table = f"storm_status_log_{uuid.uuid4().hex[:12]}"

    def _execute(self, statements: list[str]) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.format(t=self.table, org=self.organization_id))

    def __enter__(self) -> StatusChangeLog:
        self._execute(_SQL[connection.vendor][0])
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._execute(_SQL[connection.vendor][1])

    def changes(self) -> list[tuple[int, str, str]]:
        """Every change so far, ``(message id, old status, new status)``; one message's in the order they committed."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT message_id, old_status, new_status FROM {self.table} ORDER BY id")  # noqa: S608
            return [(int(m), str(o), str(n)) for m, o, n in cursor.fetchall()]

    def counts(self) -> Counter[tuple[int, str]]:
        """How many times each message moved to each status."""
        return Counter((message_id, new) for message_id, _, new in self.changes())
