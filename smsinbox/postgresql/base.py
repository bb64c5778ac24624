"""Django's PostgreSQL backend (psycopg 3 + its connection pool), with the pool wait bounded by a deadline.

``smsinbox.deadline.database_deadline`` cuts a statement still running at its deadline, but a block also
waits for connections: Django takes one from the pool on first use, and takes a *new* one after a cut
connection is dropped — ``Atomic.__exit__`` fails to roll back, closes the connection, then restores
autocommit, which reconnects. With PostgreSQL paused every pooled connection is stuck, so that second wait
lasted the pool's whole timeout after the deadline: webhooks answered after 3.5 s + 3 s = 6.5 s.

Invariant: inside a deadline block (``DatabaseWrapper.deadline`` set), no wait for a connection ends after
the deadline — the pool wait is ``min(DB_POOL_TIMEOUT, time left)``, and once the deadline has passed no
connection is handed out at all (``PoolTimeout``, an ``OperationalError``: the webhook answers 503).
Outside a block the pool behaves exactly as Django's.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout


class _PoolUntil:
    """The process's shared pool as seen by one deadline block: ``getconn`` waits no later than ``deadline``.

    Everything else (``open``, ``putconn``, ``close`` …) is the shared pool's own.
    """

    def __init__(self, pool: ConnectionPool, deadline: float) -> None:
        self._pool = pool
        self._deadline = deadline

    def getconn(self, timeout: float | None = None) -> Any:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise PoolTimeout("the request's database deadline has passed: no new connection")
        return self._pool.getconn(min(left, self._pool.timeout if timeout is None else timeout))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class DatabaseWrapper(base.DatabaseWrapper):
    """One thread's (one request's) PostgreSQL connection; ``deadline`` is set by ``database_deadline``."""

    deadline: float | None = None  # time.monotonic() at which the current deadline block's database work ends

    @property
    def pool(self) -> Any:
        pool = super().pool
        if pool is None or self.deadline is None:
            return pool
        return _PoolUntil(pool, self.deadline)
