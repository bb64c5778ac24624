"""A deadline on one request's database work: past it, the connection's socket is shut down.

PostgreSQL enforces ``lock_timeout`` itself, but a server that stops answering (paused, a
network partition) cannot enforce anything, and libpq has no client-side timeout: the request
would wait as long as the server does. A webhook must answer Twilio within seconds (a 503 makes
Twilio deliver again), so past the deadline a timer shuts down the socket of the request's
connection. The blocked call then fails at once with an ``OperationalError`` (→ 503), Django
discards the connection and the pool replaces it.

A transaction cut this way either never committed, or committed just before the server stalled;
either way Twilio's redelivery is idempotent (the unique MessageSid): nothing lost, nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

logger = logging.getLogger(__name__)


@contextmanager
def database_deadline(seconds: float, *, using: str = "default") -> Iterator[None]:
    """Cut this thread's PostgreSQL connection if the block still runs after ``seconds``.

    Lock: ``guard`` makes "block finished" and "socket shut down" exclusive, so the timer never
    touches a connection after the block ended (it may be back in the pool, serving another request).
    """
    wrapper = connections[using]  # this thread's connection wrapper, captured here, not in the timer
    if wrapper.vendor != "postgresql" or seconds <= 0:
        yield
        return
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

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:
            finished = True
        timer.cancel()
