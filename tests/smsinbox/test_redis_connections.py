"""The channel layer's Redis connections: a cancelled command ends, and URL options are kept."""

from __future__ import annotations

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection

from smsinbox.redis_connections import (
    CancellableConnection,
    CancellableSSLConnection,
    CancellableUnixConnection,
    channel_layer_host,
)

STEPS = 40  # the cancellation lands at each of the first 40 loop steps of a fresh layer's first receive


@pytest.mark.redis
@pytest.mark.asyncio
async def test_a_receive_cancelled_at_any_step_of_its_connection_ends():
    """A fresh layer's first receive connects (HELLO, CLIENT SETINFO, SELECT …) then blocks (BZPOPMIN).

    Cancelled at every early loop step, it must end at once. With redis-py's own connection on Python
    3.11, ``asyncio.wait_for`` around each write lost the cancellation at about a third of these steps
    (13 of 40 in one run): the receive looped on forever and its consumer never finished.
    """
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    lost = []
    for steps in range(STEPS):
        layer = RedisChannelLayer(**config)
        try:
            receive = asyncio.ensure_future(layer.receive(await layer.new_channel()))
            for _ in range(steps):
                await asyncio.sleep(0)
            receive.cancel()
            done, _ = await asyncio.wait([receive], timeout=2)
            if not done:
                lost.append(steps)
                receive.cancel()  # once more, so that this test itself ends
                await asyncio.wait([receive], timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS)
            else:
                assert receive.cancelled()
        finally:
            await layer.close_pools()
    assert lost == []


def test_each_scheme_gets_its_cancellable_connection_and_the_url_options_win():
    assert issubclass(CancellableConnection, Connection)
    assert issubclass(CancellableSSLConnection, SSLConnection)
    assert issubclass(CancellableUnixConnection, UnixDomainSocketConnection)
    plain = channel_layer_host("redis://cache:6380/2", socket_timeout=10, socket_keepalive=True)
    assert (plain["host"], plain["port"], plain["db"], plain["connection_class"]) == (
        "cache",
        6380,
        2,
        CancellableConnection,
    )
    assert plain["socket_timeout"] == 10
    assert plain["socket_keepalive"] is True
    tls = channel_layer_host("rediss://:pw@cache:6380/0?socket_timeout=20", socket_timeout=10)
    assert tls["connection_class"] is CancellableSSLConnection
    assert tls["socket_timeout"] == 20.0
    assert tls["password"] == "pw"
    unix = channel_layer_host("unix:///run/redis.sock?db=3", socket_timeout=10)
    assert (unix["connection_class"], unix["path"], unix["db"]) == (CancellableUnixConnection, "/run/redis.sock", 3)


@pytest.mark.redis
@pytest.mark.asyncio
async def test_two_deployments_on_one_redis_hear_only_their_own_groups():
    """README: REDIS_PREFIX (by default the database's name) keeps deployments sharing a Redis apart:
    both have an ``org.1``, and an event for one never reaches the other."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    assert config["prefix"] == settings.REDIS_PREFIX
    ours, theirs = (RedisChannelLayer(**{**config, "prefix": f"{config['prefix']}:{name}"}) for name in "ab")
    try:
        mine, other = await ours.new_channel(), await theirs.new_channel()
        await ours.group_add("org.1", mine)
        await theirs.group_add("org.1", other)
        await theirs.group_send("org.1", {"type": "inbox.event", "event": "x", "payload": {"for": "theirs"}})
        assert (await asyncio.wait_for(theirs.receive(other), 5))["payload"] == {"for": "theirs"}
        await ours.group_send("org.1", {"type": "inbox.event", "event": "x", "payload": {"for": "ours"}})
        assert (await asyncio.wait_for(ours.receive(mine), 5))["payload"] == {"for": "ours"}  # not theirs first
        late = asyncio.ensure_future(theirs.receive(other))
        done, _ = await asyncio.wait([late], timeout=0.5)
        late.cancel()
        assert not done  # nothing of ours reached them
    finally:
        for layer in (ours, theirs):
            await layer.flush()
            await layer.close_pools()


def test_the_default_prefix_names_the_database():
    from smsinbox.settings import _db_name

    assert f"smsinbox:{_db_name}" == settings.REDIS_PREFIX
