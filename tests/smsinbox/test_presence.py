"""Presence: both TTL stores keep only the living, per organization; the service publishes at once."""

import asyncio
import secrets
import time
from dataclasses import replace

import pytest
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings

from smsinbox import events, presence
from smsinbox.presence import (
    TTL_MS,
    TYPING_TTL_MS,
    MemoryPresenceStore,
    Presence,
    PresenceState,
    RedisPresenceStore,
    presence_list,
    presence_update,
)

pytestmark = pytest.mark.asyncio


def entry(*, organization_id=1, conversation_id=10, user_id=5, connection="c1", expires_in=8.0, typing_for=0.0):
    now = time.time()
    return Presence(
        organization_id=organization_id,
        conversation_id=conversation_id,
        user_id=user_id,
        name=f"user {user_id}",
        connection=connection,
        expires_at=now + expires_in,
        typing_until=now + typing_for if typing_for else 0.0,
    )


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request):
    if request.param == "memory":
        yield MemoryPresenceStore()
        return
    import redis

    redis_store = RedisPresenceStore(settings.REDIS_URL, prefix=f"test-presence-{secrets.token_hex(4)}")
    yield redis_store
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(f"{redis_store.prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


async def test_an_entry_put_is_listed_and_got_then_refreshed_in_place(store):
    first = entry()
    await store.put(first)
    assert await store.list(organization_id=1) == [first]
    assert await store.get(organization_id=1, conversation_id=10, connection="c1") == first
    later = entry(expires_in=9.0, typing_for=4.0)
    await store.put(later)
    assert await store.list(organization_id=1) == [later]  # one entry per websocket and thread


async def test_two_tabs_of_one_user_are_two_entries_and_leaving_removes_only_one(store):
    await store.put(entry(connection="tab-1"))
    await store.put(entry(connection="tab-2"))
    assert {e.connection for e in await store.list(organization_id=1)} == {"tab-1", "tab-2"}
    await store.remove(organization_id=1, conversation_id=10, connection="tab-1")
    assert [e.connection for e in await store.list(organization_id=1)] == ["tab-2"]
    assert await store.get(organization_id=1, conversation_id=10, connection="tab-1") is None


async def test_an_expired_entry_is_never_returned_and_is_dropped(store):
    await store.put(entry(connection="gone", expires_in=-0.001))
    await store.put(entry(connection="here"))
    assert [e.connection for e in await store.list(organization_id=1)] == ["here"]
    assert await store.get(organization_id=1, conversation_id=10, connection="gone") is None
    if isinstance(store, MemoryPresenceStore):
        assert set(store._entries[1]) == {"10:here"}
    else:
        assert await store._client().hkeys(store.key(1)) == [b"10:here"]


async def test_organizations_are_kept_apart(store):
    await store.put(entry(organization_id=1, connection="a"))
    await store.put(entry(organization_id=2, connection="b"))
    assert [e.connection for e in await store.list(organization_id=1)] == ["a"]
    assert [e.connection for e in await store.list(organization_id=2)] == ["b"]
    assert await store.list(organization_id=3) == []
    assert await store.get(organization_id=2, conversation_id=10, connection="a") is None


async def test_an_organization_nobody_is_in_leaves_nothing_behind(store):
    await store.put(entry(expires_in=-0.001))
    assert await store.list(organization_id=1) == []
    if isinstance(store, MemoryPresenceStore):
        assert store._entries == {}


@pytest.mark.redis
async def test_the_redis_hash_expires_with_the_ttl_and_unreadable_fields_are_dropped():
    store = RedisPresenceStore(settings.REDIS_URL, prefix=f"test-presence-{secrets.token_hex(4)}")
    client = store._client()
    try:
        await store.put(entry())
        assert 0 < await client.pttl(store.key(1)) <= TTL_MS
        await client.hset(store.key(1), "10:junk", b"not json")
        assert [e.connection for e in await store.list(organization_id=1)] == ["c1"]
        assert await client.hkeys(store.key(1)) == [b"10:c1"]
    finally:
        await client.delete(store.key(1))
        await client.aclose()


async def test_the_settings_choose_the_store(settings):
    settings.REDIS_URL = ""
    assert isinstance(presence.presence_store(), MemoryPresenceStore)
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    chosen = presence.presence_store()
    assert isinstance(chosen, RedisPresenceStore)
    assert chosen.url == "redis://127.0.0.1:6379/15"
    assert chosen.prefix == settings.REDIS_PREFIX


async def test_the_ttl_outlasts_two_heartbeats_and_typing_outlasts_its_throttle():
    """The invariant the module states: one lost heartbeat never makes a viewer blink out."""
    assert presence.TTL_MS > 2 * presence.HEARTBEAT_MS
    assert presence.TYPING_TTL_MS > 2 * presence.TYPING_THROTTLE_MS
    assert presence.REFRESH_PUBLISH_MS + presence.HEARTBEAT_MS < presence.TTL_MS  # a refresh before pages expire it
    assert presence.client_config()["states"] == ["viewing", "typing", "left"]


async def test_a_heartbeat_is_told_when_new_or_when_last_told_long_enough_ago(fresh_store):
    org = 920_000 + secrets.randbelow(10_000)
    layer, channel = await _listen(org)
    await _update(org, PresenceState.VIEWING)  # new: told
    first = await _receive(layer, channel)
    await _update(org, PresenceState.VIEWING)  # told a moment ago: stored only
    stored = await fresh_store.get(organization_id=org, conversation_id=10, connection="c1")
    assert first["payload"]["state"] == "viewing"
    assert stored.expires_at - stored.published_at > TTL_MS / 1000  # refreshed after it was last told
    await fresh_store.put(replace(stored, published_at=time.time() - presence.REFRESH_PUBLISH_MS / 1000))
    await _update(org, PresenceState.VIEWING)  # last told REFRESH_PUBLISH_MS ago: told again
    again = await _receive(layer, channel)
    assert (again["payload"]["state"], again["payload"]["connection"]) == ("viewing", "c1")
    with pytest.raises(TimeoutError):  # exactly two events: the second heartbeat was not published
        await asyncio.wait_for(layer.receive(channel), timeout=0.3)
    await _update(org, PresenceState.LEFT)


# --- the service: store and publish at once ------------------------------------------------------------


@pytest.fixture
def fresh_store():
    """The settings' store, emptied (the in-process one is per process), and a channel layer of this test's own
    (channels_redis keeps receive state bound to the loop of the test that last used it)."""
    presence._store = None
    channel_layers.backends.clear()
    yield presence.presence_store()
    presence._store = None
    channel_layers.backends.clear()


async def _receive(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), timeout=2)


async def _listen(organization_id):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(events.organization_group(organization_id), channel)
    return layer, channel


async def _update(organization_id, state, **kwargs):
    values = {"conversation_id": 10, "user_id": 5, "name": "Alice", "connection": "c1"} | kwargs
    await presence_update(organization_id=organization_id, state=state, **values)


async def test_an_update_is_stored_and_published_at_once_to_its_organization_only(fresh_store):
    org = 900_000 + secrets.randbelow(10_000)
    layer, channel = await _listen(org)
    _, other = await _listen(org + 1)
    await _update(org, PresenceState.TYPING)
    message = await _receive(layer, channel)
    assert events.frame(message)["type"] == "presence.changed"
    payload = message["payload"]
    assert {k: payload[k] for k in ("organizationId", "conversationId", "userId", "name", "state")} == {
        "organizationId": org, "conversationId": 10, "userId": 5, "name": "Alice", "state": "typing",
    }  # fmt: skip
    assert 0 < payload["ttlMs"] <= TTL_MS
    assert 0 < payload["typingMs"] <= TYPING_TTL_MS
    assert [p["state"] for p in await presence_list(organization_id=org)] == ["typing"]

    await _update(org, PresenceState.VIEWING)  # a heartbeat keeps the recent "typing", and is not told yet
    assert [p["state"] for p in await presence_list(organization_id=org)] == ["typing"]

    await _update(org, PresenceState.LEFT)
    left = (await _receive(layer, channel))["payload"]
    assert (left["state"], left["ttlMs"]) == ("left", 0)
    assert await presence_list(organization_id=org) == []
    with pytest.raises(TimeoutError):  # another organization heard nothing
        await asyncio.wait_for(layer.receive(other), timeout=0.3)


async def test_a_store_that_fails_still_lets_the_event_through(fresh_store, monkeypatch, caplog):
    async def down(*args, **kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(fresh_store, "put", down)
    monkeypatch.setattr(fresh_store, "get", down)
    monkeypatch.setattr(fresh_store, "list", down)
    org = 910_000 + secrets.randbelow(10_000)
    layer, channel = await _listen(org)
    await _update(org, PresenceState.VIEWING)
    assert (await _receive(layer, channel))["payload"]["state"] == "viewing"
    assert await presence_list(organization_id=org) == []
    assert "presence store unavailable" in caplog.text
