"""publish_on_commit: after commit only, to the organization's group only, never raising."""

import threading

import pytest
from django.db import transaction

from smsinbox import events
from tests.twilio_posts import collect_live_events


def test_event_reaches_the_group_after_commit(db, django_capture_on_commit_callbacks):
    def publish():
        with django_capture_on_commit_callbacks(execute=True):
            events.publish_on_commit(organization_id=7, event=events.Event.MESSAGE_CREATED, payload={"id": 1})

    assert collect_live_events(7, publish) == [{"type": events.Event.MESSAGE_CREATED, "payload": {"id": 1}}]


def test_rolled_back_change_is_never_announced(db, django_capture_on_commit_callbacks):
    def failing_change():
        with transaction.atomic():
            events.publish_on_commit(organization_id=7, event=events.Event.MESSAGE_CREATED, payload={})
            raise RuntimeError("rolled back")

    def publish_then_fail():
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
            failing_change()
        assert callbacks == []

    assert collect_live_events(7, publish_then_fail) == []


def test_other_groups_hear_nothing(db, django_capture_on_commit_callbacks):
    def publish():
        with django_capture_on_commit_callbacks(execute=True):
            events.publish_on_commit(organization_id=8, event=events.Event.MESSAGE_CREATED, payload={})

    assert collect_live_events(7, publish) == []


def test_unreachable_layer_is_logged_not_raised(db, settings, caplog, django_capture_on_commit_callbacks):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    with django_capture_on_commit_callbacks(execute=True):
        events.publish_on_commit(organization_id=7, event=events.Event.MESSAGE_CREATED, payload={})
    assert "not delivered" in caplog.text


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_threads_without_a_server_loop_publish_through_one_loop_per_process():
    """Task workers publish from plain threads: every event arrives, over one loop (and one pool)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def publish(i: int) -> None:
        try:
            events.publish_on_commit(organization_id=7, event=events.Event.MESSAGE_CREATED, payload={"id": i})
        finally:
            connection.close()

    def publish_from_threads() -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(publish, range(12)))

    received = collect_live_events(7, publish_from_threads)
    assert sorted(e["payload"]["id"] for e in received) == list(range(12))
    loop = events._publisher_loop()
    publish_from_threads()
    assert events._publisher_loop() is loop
    assert sum(t.name == "smsinbox-live-events" for t in threading.enumerate()) == 1
