"""database_deadline: cuts a stalled PostgreSQL connection, never one whose block has ended, and no wait
for a connection outlasts it."""

import contextlib
import socket
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from psycopg_pool import PoolTimeout

from messaging.models import Message
from smsinbox.deadline import _refuse_after, database_deadline
from tests.twilio_posts import new_sid, post_inbound


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_past_the_deadline_fails_at_once():
    started = time.monotonic()
    with pytest.raises(OperationalError), database_deadline(0.3), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 2
    connection.close()
    with connection.cursor() as cursor:  # the next request gets a working connection
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_block_that_ended_in_time_keeps_its_connection_after_the_deadline():
    with database_deadline(0.2), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    time.sleep(0.4)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


@contextlib.contextmanager
def _every_other_connection_taken() -> Iterator[None]:
    """Hold every connection the pool can still hand out, as requests stuck on a paused server do."""
    pool = connection.pool
    held = []
    try:
        while True:
            try:
                held.append(pool.getconn(timeout=0.2))
            except PoolTimeout:
                break
        yield
    finally:
        for conn in held:
            pool.putconn(conn)


@contextlib.contextmanager
def _new_connections_stall() -> Iterator[None]:
    """New pool connections go to a port that accepts TCP but never answers, as a paused PostgreSQL does."""
    pool = connection.pool
    kwargs = pool.kwargs
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:
        pool.kwargs = {**kwargs, "host": "127.0.0.1", "port": silent.getsockname()[1], "connect_timeout": 2}
        try:
            yield
        finally:
            pool.kwargs = kwargs


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_waiting_for_a_connection_ends_at_the_deadline_not_at_the_pool_timeout():
    connection.close()
    assert settings.DB_POOL_TIMEOUT >= 3
    with _every_other_connection_taken():
        started = time.monotonic()
        with pytest.raises(OperationalError), database_deadline(0.5):
            connection.ensure_connection()
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 1.2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_started_after_the_deadline_is_not_sent():
    """A connection handed over just as the timer fired is not cut: its statements are refused instead."""
    refuse = connection.execute_wrapper(_refuse_after(time.monotonic(), 1.0))
    with refuse, connection.cursor() as cursor, pytest.raises(OperationalError, match="statement not sent"):
        cursor.execute("SELECT 1")
    with connection.cursor() as cursor:  # nothing reached the server: the connection is fine
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stalled_webhook_answers_at_the_deadline_when_no_other_connection_is_free(org_a, settings):
    """The paused-PostgreSQL case of ``make chaos``: every pooled connection is stuck on the stalled server.

    The webhook's statement is cut at the deadline; leaving ``atomic``, Django drops that connection and
    asks the pool for another (to restore autocommit), which the pool cannot make while the server is
    stalled. That wait used to be the pool's full timeout *after* the deadline (3.5 s + 3 s = 6.5 s
    answers); now it ends at the deadline too.
    """
    settings.WEBHOOK_DATABASE_DEADLINE_SECONDS = 1.0
    sid = new_sid()
    blocker = _connect_outside_django()
    try:
        blocker.execute("SET idle_in_transaction_session_timeout = '8s'")  # without a deadline: fail, not hang
        blocker.execute("LOCK TABLE messaging_message IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")  # the server would wait for ever, as a stalled one does
        with _every_other_connection_taken(), _new_connections_stall():
            started = time.monotonic()
            response = post_inbound(Client(), to="+14155550001", sid=sid)
            elapsed = time.monotonic() - started
    finally:
        with contextlib.suppress(psycopg.Error):
            blocker.rollback()
        blocker.close()
    connection.close()
    assert response.status_code == 503
    assert 1.0 <= elapsed < 2.0
    assert not Message.objects.filter(twilio_sid=sid).exists()
    assert post_inbound(Client(), to="+14155550001", sid=sid).status_code == 200


def _connect_outside_django() -> psycopg.Connection:
    """A second connection to the test database, outside Django's pool (it holds a lock against the webhook)."""
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or "127.0.0.1", port=params["PORT"] or 5432, user=params["USER"],
        password=params["PASSWORD"] or None, dbname=params["NAME"], autocommit=False,
    )  # fmt: skip
