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


# --- The contract: names, the one Channels type, the frame, camelCase ---------------------------


def test_an_event_travels_as_the_one_channels_type_with_a_camelcase_payload(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(events, "_send", lambda group, message: sent.append((group, message)))
    payload = {"conversation_id": 3, "media": [{"content_type": "image/png"}], "idempotency_key": None}
    with django_capture_on_commit_callbacks(execute=True):
        events.publish_on_commit(organization_id=7, event=events.Event.MESSAGE_CREATED, payload=payload)
    assert sent == [
        (
            "org.7",
            {
                "type": "inbox.event",
                "event": "message.created",
                "payload": {"conversationId": 3, "media": [{"contentType": "image/png"}], "idempotencyKey": None},
            },
        )
    ]
    assert type(sent[0][1]["event"]) is str  # a plain string on the wire (msgpack for Redis)
    assert events.frame(sent[0][1]) == {"type": "message.created", "payload": sent[0][1]["payload"]}


def test_only_listed_events_are_published_or_framed(db):
    with pytest.raises(ValueError, match=r"message\.deleted"):
        events.publish_on_commit(organization_id=7, event="message.deleted", payload={})
    assert events.frame({"type": "inbox.event", "event": "message.deleted", "payload": {}}) is None
    assert events.frame({"type": "inbox.message_created", "payload": {}}) is None
    assert events.frame({"type": "websocket.receive", "text": "{}"}) is None


def test_the_names_the_page_is_given_are_the_events():
    assert events.event_names() == {
        "message_created": "message.created",
        "message_status_changed": "message.status_changed",
        "message_updated": "message.updated",
        "conversation_updated": "conversation.updated",
        "session_ended": "session.ended",
        "note_created": "note.created",
        "mention_created": "mention.created",
        "label_changed": "label.changed",
        "conversation_woken": "conversation.woken",
        "canned_reply_changed": "canned_reply.changed",
        "presence_changed": "presence.changed",
        "notification_created": "notification.created",
        "conversation_removed": "conversation.removed",
        "activity_created": "activity.created",
    }
    assert set(events.event_names().values()) == set(events.Event)


def test_an_ephemeral_event_is_published_at_once_not_on_commit(db):
    """``publish_now`` (presence): nothing to commit, so it does not wait for one, even inside a transaction."""
    from asgiref.sync import async_to_sync

    def publish_inside_a_transaction():
        with transaction.atomic():
            async_to_sync(events.publish_now)(
                organization_id=7, event=events.Event.PRESENCE_CHANGED, payload={"user_id": 3, "state": "typing"}
            )
            transaction.set_rollback(True)

    assert collect_live_events(7, publish_inside_a_transaction) == [
        {"type": "presence.changed", "payload": {"userId": 3, "state": "typing"}}
    ]
    assert collect_live_events(7, lambda: async_to_sync(events.publish_now)(
        organization_id=8, event=events.Event.PRESENCE_CHANGED, payload={}
    )) == []  # fmt: skip


def test_an_ephemeral_event_to_an_unreachable_layer_is_logged_not_raised(settings, caplog):
    from asgiref.sync import async_to_sync

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    async_to_sync(events.publish_now)(organization_id=7, event=events.Event.PRESENCE_CHANGED, payload={})
    assert "not delivered" in caplog.text


def test_a_users_event_reaches_that_users_group_only_after_commit(db, django_capture_on_commit_callbacks):
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    async def scenario():
        layer = get_channel_layer()
        mine, other = await layer.new_channel(), await layer.new_channel()
        await layer.group_add(events.user_group(5), mine)
        await layer.group_add(events.user_group(6), other)

        def publish():
            with django_capture_on_commit_callbacks(execute=True):
                events.publish_to_user_on_commit(
                    user_id=5, event=events.Event.NOTIFICATION_CREATED, payload={"tag_name": "t"}
                )

        from asgiref.sync import sync_to_async

        await sync_to_async(publish)()
        heard = events.frame(await asyncio.wait_for(layer.receive(mine), timeout=2))
        try:
            leaked = await asyncio.wait_for(layer.receive(other), timeout=0.3)
        except TimeoutError:
            leaked = None
        return heard, leaked

    heard, leaked = async_to_sync(scenario)()
    assert heard == {"type": "notification.created", "payload": {"tagName": "t"}}
    assert leaked is None
