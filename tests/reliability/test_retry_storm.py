"""The retry storm at CI size: duplicated, shuffled, concurrent Twilio webhooks lose, duplicate and re-announce nothing.

The full size (2,000 inbound × 3 + 1,000 outbound) runs in ``make chaos`` through ``run_storm``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from tests.reliability.sqlite_file import run_on_sqlite_file
from tests.reliability.storm import StormResult, run_storm

CI_INBOUND = 300
CI_COPIES = 3
CI_OUTBOUND = 150
THREADS = 8


def _report(result: StormResult) -> None:
    print(result.summary())
    for problem in result.problems:
        print("  ", problem)


def _assert_survived(result: StormResult) -> None:
    assert result.sent == result.inbound * result.copies + result.status_posts
    assert result.raced_inbound > 0  # copies of one message really were in flight together
    assert result.server_errors == 0, result.problems
    assert result.other_errors == 0, result.problems
    assert result.stored == result.inbound, result.problems
    assert result.lost == 0, result.problems
    assert result.duplicated == 0, result.problems
    assert result.unread_wrong == 0, result.problems
    assert result.live_unread_stale == 0, result.problems
    assert result.wrong_final_status == 0, result.problems
    assert result.audit_wrong == 0, result.problems
    assert result.events_received == result.events_expected, result.problems
    assert result.events_missing == result.events_duplicated == result.events_unexpected == 0, result.problems
    assert result.ok


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_retry_storm_on_postgres_and_redis() -> None:
    result = run_storm(inbound=CI_INBOUND, copies=CI_COPIES, outbound=CI_OUTBOUND, threads=THREADS, seed=1)
    _report(result)
    _assert_survived(result)
    assert result.raced_outbound > 0  # callbacks of one message really were in flight together
    assert result.status_posts >= 2 * result.outbound
    assert result.status_changes >= result.outbound  # every message moved at least once
    assert result.events_expected["message.status_changed"] == result.status_changes


@pytest.mark.django_db(transaction=True)
def test_inbound_retry_storm_on_any_database(tmp_path: Path) -> None:
    """The inbound half on whatever database and channel layer this run has (SQLite and in-memory by default).

    On SQLite it runs on a file copy of the test database, as the embedded default does (see ``sqlite_file``).
    """
    inbound = CI_INBOUND if connection.vendor == "sqlite" else CI_INBOUND // 2

    def storm() -> StormResult:
        return run_storm(inbound=inbound, copies=CI_COPIES, outbound=0, threads=THREADS, seed=3)

    result = run_on_sqlite_file(storm, tmp_path / "storm.sqlite3") if connection.vendor == "sqlite" else storm()
    _report(result)
    _assert_survived(result)
    assert result.events_expected == {
        "message.created": inbound,
        "conversation.updated": inbound,
        "message.status_changed": 0,
    }
