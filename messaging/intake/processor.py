"""The intake processor: applies kept webhook posts as they arrive (``WEBHOOK_INTAKE=store-first``).

A loop around ``webhook_posts_apply``: it claims and applies batches until none is left, then waits
for the next post. On PostgreSQL it waits on ``LISTEN smsinbox_intake`` (the table's trigger notifies
in the INSERT's own statement), so a post is applied moments after its webhook answered; it also looks
every ``INTAKE_POLL_SECONDS`` in case a notification was missed (a reconnect). It LISTENs on a connection of
its own (to ``INTAKE_LISTEN_URL``, or the default database): behind PgBouncer in transaction mode, which
cannot carry a LISTEN, give it a direct URL or let it poll. SQLite has no notifications: it polls.

Any number of processors may run (``manage.py process_webhooks``; on the embedded default a thread of
the server): each post is applied in a transaction that holds its row, which another skips, and a killed
processor's transaction dies with it. A database outage (or any other error of the loop) is waited out with a
backoff, as the task worker does (``smsinbox.workers``), so the embedded thread never dies of one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from messaging.intake.models import NOTIFY_CHANNEL
from messaging.intake.services import webhook_posts_apply

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0


class _Listener:
    """A connection of its own that LISTENs (PostgreSQL only; ``None`` of ``open`` elsewhere)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    def open(cls) -> _Listener | None:
        """LISTEN on a connection of its own (``INTAKE_LISTEN_URL``, or the default database's parameters);
        ``None`` when it is off, on SQLite, or when the connection fails."""
        if connection.vendor != "postgresql" or not settings.INTAKE_LISTEN:
            return None
        import psycopg

        try:
            if settings.INTAKE_LISTEN_URL:
                conn = psycopg.connect(settings.INTAKE_LISTEN_URL, autocommit=True, connect_timeout=5)
            else:
                params = connection.get_connection_params()
                params.pop("cursor_factory", None)
                params.pop("prepare_threshold", None)
                conn = psycopg.connect(**params, autocommit=True)
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error:
            logger.warning("intake processor: cannot LISTEN; polling every %s s", settings.INTAKE_POLL_SECONDS)
            return None
        return cls(conn)

    def wait(self, timeout: float) -> None:
        """Return at the first notification (or after ``timeout``), with any others already queued drained."""
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            pass
        for _ in self.conn.notifies(timeout=0.001):
            pass

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broken connection may refuse even this
            self.conn.close()


LISTEN_RETRY_SECONDS = 30.0


def run_intake_processor(*, stop: threading.Event | None = None, once: bool = False) -> None:
    """Apply posts until ``stop`` is set (for ever without one); ``once``: until none is due, then return."""
    listener: _Listener | None = None
    next_listen = 0.0
    backoff = BACKOFF_FIRST_SECONDS
    try:
        while not (stop is not None and stop.is_set()):
            try:
                if listener is None and not once and time.monotonic() >= next_listen:
                    listener = _Listener.open()
                    next_listen = time.monotonic() + LISTEN_RETRY_SECONDS
                done = webhook_posts_apply()
                backoff = BACKOFF_FIRST_SECONDS
            except Exception as exc:  # the database went away, or a bug of the loop: wait, then go on
                logger.exception("intake processor: %s; trying again in %.1f s", type(exc).__name__, backoff)
                if isinstance(exc, DatabaseError) and listener is not None:
                    listener.close()
                    listener = None
                close_old_connections()
                _sleep(backoff, stop)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                continue
            finally:
                close_old_connections()
            if done:
                continue  # more may be due
            if once:
                return
            if listener is not None:
                try:
                    listener.wait(settings.INTAKE_POLL_SECONDS)
                except Exception:
                    logger.warning("intake processor: lost the LISTEN connection; polling until it is back")
                    listener.close()
                    listener = None
            else:
                _sleep(settings.INTAKE_POLL_SECONDS, stop)
    finally:
        if listener is not None:
            listener.close()


def _sleep(seconds: float, stop: threading.Event | None) -> None:
    if stop is not None:
        stop.wait(seconds)
    else:
        time.sleep(seconds)
