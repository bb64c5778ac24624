"""Run a function against a SQLite *file* copy of the test database, as the embedded default (``make run``) does.

The test runner's SQLite database is in memory with a shared cache, where concurrent writers
fail at once ("database table is locked": SQLITE_LOCKED ignores the busy timeout) instead of
waiting their turn as they do on the embedded default's WAL file. Threads racing on it would
test the test runner, not the app, so a storm on SQLite runs on a file copy instead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.db import connection, connections

T = TypeVar("T")


def run_on_sqlite_file(function: Callable[[], T], path: Path) -> T:
    """Copy the test database to ``path`` and run ``function`` on a new thread whose connections open it.

    New connections are made from the alias's settings, so every thread started meanwhile (the
    storm's) opens the file too; this thread's own connection keeps the in-memory database,
    untouched, and the alias points back at it afterwards. Writes to the file are discarded.
    """
    if connection.vendor != "sqlite":
        raise RuntimeError("run_on_sqlite_file is for SQLite")
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    target.close()
    database = connections.settings[connection.alias]
    original = database["NAME"]
    outcome: dict[str, T] = {}
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)
        finally:
            connections.close_all()

    database["NAME"] = str(path)
    try:
        thread = threading.Thread(target=run, name="storm-on-sqlite-file")
        thread.start()
        thread.join()
    finally:
        database["NAME"] = original
    if failure:
        raise failure[0]
    return outcome["value"]
