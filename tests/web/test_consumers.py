"""The inbox websocket: anonymous refused, other organizations' events never delivered, events forwarded."""

from urllib.parse import urlencode

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from smsinbox.asgi import application
from smsinbox.events import organization_group
from smsinbox.services import organization_setup
from smsinbox.web.consumers import FORBIDDEN, UNAUTHENTICATED, InboxConsumer
from tests.twilio_posts import post_inbound

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def setup(name, number, username):
    return organization_setup(name=name, numbers=[number], username=username, password="pw-" + username)


async def connect(user, path="/ws/inbox/"):
    communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), path)
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_is_refused():
    _, connected, code = await connect(AnonymousUser())
    assert not connected
    assert code == UNAUTHENTICATED


async def test_a_new_message_is_forwarded_and_other_organizations_hear_nothing():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    b = await database_sync_to_async(setup)("Bravo", "+12125550002", "bob")
    alice, _, _ = await connect(a.user)
    bob, _, _ = await connect(b.user)
    response = await database_sync_to_async(post_inbound)(Client(), to="+14155550001", body="Hi Acme")
    assert response.status_code == 200
    first = await alice.receive_json_from(timeout=2)
    second = await alice.receive_json_from(timeout=2)
    assert first["type"] == "message.created"
    assert first["payload"]["body"] == "Hi Acme"
    assert first["payload"]["conversationId"] == second["payload"]["id"]  # camelCase, as the REST API
    assert second["type"] == "conversation.updated"
    assert second["payload"]["unreadCount"] == 1
    assert await bob.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()


async def test_naming_a_foreign_organization_is_refused():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    b = await database_sync_to_async(setup)("Bravo", "+12125550002", "bob")
    _, connected, code = await connect(a.user, f"/ws/inbox/?organization={b.organization.pk}")
    assert not connected
    assert code == FORBIDDEN
    communicator, connected, _ = await connect(a.user, f"/ws/inbox/?organization={a.organization.pk}")
    assert connected
    await communicator.disconnect()


@pytest.mark.parametrize("named", ["²", "\u0663", "9" * 23, "-1"])
async def test_naming_an_organization_by_anything_but_an_id_is_refused(named):
    """'²'.isdigit() is true but int('²') raises (the connection failed); int('٣') is 3."""
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    _, connected, code = await connect(a.user, f"/ws/inbox/?{urlencode({'organization': named})}")
    assert (connected, code) == (False, FORBIDDEN)


async def test_ping_is_answered_and_nothing_is_written():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    communicator, _, _ = await connect(a.user)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=1) == {"type": "pong"}
    await communicator.send_json_to({"type": "message.created", "payload": {"body": "forged"}})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def _session_cookie(user) -> str:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    return client.cookies["sessionid"].value


async def test_the_full_stack_authenticates_by_session_and_checks_the_origin():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    cookie = (b"cookie", f"sessionid={await _session_cookie(a.user)}".encode())
    good = WebsocketCommunicator(application, "/ws/inbox/", headers=[cookie, (b"origin", b"http://testserver")])
    connected, _ = await good.connect()
    assert connected
    await good.disconnect()
    foreign = WebsocketCommunicator(application, "/ws/inbox/", headers=[cookie, (b"origin", b"https://evil.example")])
    connected, _ = await foreign.connect()
    assert not connected
    anonymous = WebsocketCommunicator(application, "/ws/inbox/", headers=[(b"origin", b"http://testserver")])
    connected, code = await anonymous.connect()
    assert not connected
    assert code == UNAUTHENTICATED


@pytest.mark.redis
async def test_layer_connections_left_dead_by_a_redis_restart_do_not_refuse_the_websocket(settings):
    """After Redis restarts, each connection the layer's pool kept fails its first command; a page must not
    be refused for that (it would wait up to 4 s before trying again, past the 5 s resync promise)."""
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    watcher, connected, _ = await connect(a.user)  # its channel receive holds one connection (BZPOPMIN)
    assert connected
    layer = get_channel_layer()
    pool = layer.connection(layer.consistent_hash(organization_group(a.organization.pk))).connection_pool
    idle = [c for c in pool._available_connections if c.is_connected]  # redis-py's idle connections, kept
    assert idle
    admin = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for conn in idle:  # the server ends them, as a restart does; the pool finds out on their next command
            host, port = conn._writer.get_extra_info("sockname")[:2]
            assert admin.client_kill(f"{host}:{port}")
    finally:
        admin.close()
    second, connected, _ = await connect(a.user)
    assert connected
    response = await database_sync_to_async(post_inbound)(Client(), to="+14155550001", body="after the restart")
    assert response.status_code == 200
    assert (await second.receive_json_from(timeout=2))["payload"]["body"] == "after the restart"
    await second.disconnect()
    await watcher.disconnect()

async def test_every_listed_event_is_forwarded_unchanged_and_nothing_else():
    """One handler, named after the one Channels type every event travels as (``smsinbox.events``)."""
    from channels.layers import get_channel_layer

    from smsinbox import events

    assert callable(getattr(InboxConsumer, events.CHANNEL_TYPE.replace(".", "_")))
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    alice, _, _ = await connect(a.user)
    group = events.organization_group(a.organization.pk)
    layer = get_channel_layer()
    await layer.group_send(group, {"type": events.CHANNEL_TYPE, "event": "message.deleted", "payload": {"id": 1}})
    assert await alice.receive_nothing(timeout=0.2)
    for event in events.Event:
        payload = {"id": 1, "someKey": [{"nestedKey": None}]}
        await layer.group_send(group, {"type": events.CHANNEL_TYPE, "event": event.value, "payload": payload})
        assert await alice.receive_json_from(timeout=1) == {"type": event.value, "payload": payload}
    await alice.disconnect()
