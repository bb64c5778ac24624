"""A deadline on one request's database work: nothing the block does with PostgreSQL outlasts it.

PostgreSQL enforces ``lock_timeout`` itself, but a server that stops answering (paused, a
network partition) cannot enforce anything, and libpq has no client-side timeout: the request
would wait as long as the server does. A webhook must answer Twilio within seconds (a 503 makes
Twilio deliver again), so the deadline covers every way the block can wait on the database:

- a statement (or commit) still running at the deadline: a timer shuts down the socket of the
  request's connection, the blocked call fails at once with an ``OperationalError`` (→ 503),
  Django discards the connection and the pool replaces it;
- waiting for a connection: the pool wait ends at the deadline, and past it no new connection is
  handed out (``smsinbox.postgresql``). This matters after a cut: leaving ``transaction.atomic``,
  Django drops the dead connection and takes a new one to restore autocommit — with PostgreSQL
  paused that was a second full pool wait (3 s) after the deadline;
- a statement started after the deadline (a connection handed over just as the timer fired) is
  refused before it is sent.

A transaction cut this way either never committed, or committed just before the server stalled;
either way Twilio's redelivery is idempotent (the unique MessageSid): nothing lost, nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connections

logger = logging.getLogger(__name__)


@contextmanager
def database_deadline(seconds: float, *, using: str = "default") -> Iterator[None]:
    """Bound this thread's PostgreSQL work in the block to ``seconds``: past them it fails, it does not wait.

    The deadline is published on the connection wrapper (``DatabaseWrapper.deadline``, read by the
    ``smsinbox.postgresql`` backend for the pool wait); an inner block never extends an outer one's.

    Lock: ``guard`` makes "block finished" and "socket shut down" exclusive, so the timer never
    touches a connection after the block ended (it may be back in the pool, serving another request).
    """
    wrapper = connections[using]  # this thread's connection wrapper, captured here, not in the timer
    if wrapper.vendor != "postgresql" or seconds <= 0:
        yield
        return
    outer: float | None = getattr(wrapper, "deadline", None)
    deadline = time.monotonic() + seconds
    if outer is not None:
        deadline = min(deadline, outer)
    guard = threading.Lock()
    finished = False

    def expire() -> None:
        with guard:
            pgconn = getattr(wrapper.connection, "pgconn", None)
            if finished or pgconn is None or pgconn.socket < 0:
                return
            logger.warning("database work passed its %.1f s deadline: connection cut", seconds)
            try:
                with socket.socket(fileno=os.dup(pgconn.socket)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.info("could not cut the connection past its deadline", exc_info=True)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    wrapper.deadline = deadline
    timer.start()
    try:
        with wrapper.execute_wrapper(_refuse_after(deadline, seconds)):
            yield
    finally:
        with guard:
            finished = True
        timer.cancel()
        wrapper.deadline = outer


def _refuse_after(deadline: float, seconds: float) -> Callable[..., Any]:
    """A Django execute wrapper that refuses any statement started after ``deadline`` (monotonic time)."""

    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if time.monotonic() >= deadline:
            raise OperationalError(f"database work passed its {seconds:.1f} s deadline: statement not sent")
        return execute(sql, params, many, context)

    return refuse
