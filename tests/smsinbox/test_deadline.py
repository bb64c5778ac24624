"""database_deadline: cuts a stalled PostgreSQL connection, never one whose block has ended."""

import time

import pytest
from django.db import OperationalError, connection

from smsinbox.deadline import database_deadline


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
