"""The task lease: tasks a killed worker left RUNNING are reaped (FAILED, LeaseExpired), others are not."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from messaging.tasks import message_deliver_task
from smsinbox import workers
from smsinbox.ops.tasks import LEASE_EXPIRED, task_results_reap
from tests.pipeline import wait_for


def _claimed(worker_id: str, seconds_ago: float) -> DBTaskResult:
    """A task claimed by ``worker_id`` ``seconds_ago`` and never finished: what a killed worker leaves."""
    result = message_deliver_task.enqueue(987654, None)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(seconds=seconds_ago))
    return row


@pytest.mark.django_db
def test_a_task_running_past_its_lease_is_failed_and_recent_or_ready_ones_are_left():
    dead = _claimed("killed-worker", seconds_ago=700)
    alive = _claimed("busy-worker", seconds_ago=5)
    ready = message_deliver_task.enqueue(987655, None)
    assert task_results_reap(lease_seconds=600) == 1
    dead.refresh_from_db()
    assert dead.status == "FAILED"
    assert dead.exception_class_path == LEASE_EXPIRED
    assert dead.finished_at is not None
    assert DBTaskResult.objects.get(pk=alive.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=ready.id).status == "READY"
    assert task_results_reap(lease_seconds=600) == 0  # once only


@pytest.mark.django_db
def test_the_management_command_reaps_with_the_lease_it_is_given(capsys):
    row = _claimed("killed-worker", seconds_ago=90)
    call_command("reap_tasks", "--lease-seconds", "600")
    assert DBTaskResult.objects.get(pk=row.pk).status == "RUNNING"
    call_command("reap_tasks", "--lease-seconds", "60")
    assert DBTaskResult.objects.get(pk=row.pk).status == "FAILED"
    assert "1 task(s) reaped" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_a_running_task_worker_reaps_expired_leases_on_its_own(settings):
    settings.TASK_LEASE_SECONDS = 60
    settings.TASK_REAP_INTERVAL_SECONDS = 0
    row = _claimed("killed-worker", seconds_ago=120)
    stop = threading.Event()
    thread = threading.Thread(
        target=workers.run_task_worker, kwargs={"worker_id": "reaper", "interval": 0.05, "stop": stop}
    )
    thread.start()
    try:
        wait_for(lambda: DBTaskResult.objects.get(pk=row.pk).status == "FAILED", timeout=10)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert DBTaskResult.objects.get(pk=row.pk).exception_class_path == LEASE_EXPIRED
