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


def _signed_in_session(user):
    """The stored session a browser signed in as ``user`` would carry (what the session middleware puts in scope)."""
    client = Client()
    client.force_login(user)
    return client.session


async def connect(user, path="/ws/inbox/", session=None):
    communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), path)
    communicator.scope["user"] = user
    if session is None and user.is_authenticated:
        session = await database_sync_to_async(_signed_in_session)(user)
    communicator.scope["session"] = session
    connected, code = await communicator.connect()
    if connected and (closed := await refused_with(communicator)) is not None:
        return communicator, False, closed
    return communicator, connected, code


async def refused_with(communicator):
    """The close code when the consumer accepted only to close at once (a refusal the browser can read)."""
    if await communicator.receive_nothing(timeout=0.2):
        return None
    output = await communicator.receive_output(timeout=1)
    assert output["type"] == "websocket.close", output
    return output["code"]


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


def _table_contents() -> dict[str, list]:
    """Every row of every model, as values: any write shows as a difference."""
    from django.apps import apps

    return {m._meta.label: sorted(map(repr, m._default_manager.values_list())) for m in apps.get_models()}


async def test_ping_is_answered_and_nothing_is_written():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    communicator, _, _ = await connect(a.user)
    before = await database_sync_to_async(_table_contents)()
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=1) == {"type": "pong"}
    await communicator.send_json_to({"type": "message.created", "payload": {"body": "forged"}})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
    assert await database_sync_to_async(_table_contents)() == before  # the database, not only the echo


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
    connected, _ = await anonymous.connect()
    assert connected  # accepted only to be closed at once, so that the browser reads the code
    assert await refused_with(anonymous) == UNAUTHENTICATED


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
    for event in set(events.Event) - {events.Event.SESSION_ENDED, *events.USER_EVENTS_OF_ORGANIZATION}:  # below
        payload = {"id": 1, "someKey": [{"nestedKey": None}]}
        await layer.group_send(group, {"type": events.CHANNEL_TYPE, "event": event.value, "payload": payload})
        assert await alice.receive_json_from(timeout=1) == {"type": event.value, "payload": payload}
    await alice.disconnect()


async def test_a_mention_is_forwarded_only_by_the_websockets_of_its_organization():
    """``mention.created`` is heard on the user's group, whichever of their organizations it is about."""
    from smsinbox import events

    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    b = await database_sync_to_async(setup)("Bravo", "+14155550002", "bob")
    await database_sync_to_async(b.organization.memberships.create)(user=a.user, role="agent")
    of_a, _, _ = await connect(a.user, f"/ws/inbox/?organization={a.organization.pk}")
    of_b, _, _ = await connect(a.user, f"/ws/inbox/?organization={b.organization.pk}")
    layer = get_channel_layer()
    payload = {"noteId": 1, "organizationId": b.organization.pk, "conversationId": 1}
    for event in sorted(events.USER_EVENTS_OF_ORGANIZATION):  # mention.created, conversation.woken (snooze)
        message = {"type": events.CHANNEL_TYPE, "event": event.value, "payload": payload}
        await layer.group_send(events.user_group(a.user.pk), message)
        assert await of_b.receive_json_from(timeout=1) == {"type": event.value, "payload": payload}
        assert await of_a.receive_nothing(timeout=0.2)
    await of_a.disconnect()
    await of_b.disconnect()


async def _full_stack(cookie_value):
    communicator = WebsocketCommunicator(
        application,
        "/ws/inbox/",
        headers=[(b"cookie", f"sessionid={cookie_value}".encode()), (b"origin", b"http://testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _closed_with(communicator, timeout=2):
    output = await communicator.receive_output(timeout=timeout)
    while output["type"] == "websocket.send":  # the session.ended frame comes first
        assert '"session.ended"' in output["text"]
        output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def test_logging_out_closes_every_websocket_of_that_session_and_no_other():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    browser = Client()
    await database_sync_to_async(browser.force_login)(a.user)
    other_device = await _session_cookie(a.user)
    tab_a = await _full_stack(browser.cookies["sessionid"].value)
    tab_b = await _full_stack(browser.cookies["sessionid"].value)
    elsewhere = await _full_stack(other_device)
    await database_sync_to_async(browser.post)("/accounts/logout/")
    assert await _closed_with(tab_a) == UNAUTHENTICATED
    assert await _closed_with(tab_b) == UNAUTHENTICATED
    assert await elsewhere.receive_nothing(timeout=0.3)  # another session of the same user stays live
    await elsewhere.send_json_to({"type": "ping"})
    assert await elsewhere.receive_json_from(timeout=1) == {"type": "pong"}
    await elsewhere.disconnect()


async def test_a_password_change_deactivation_or_removed_membership_closes_the_websockets():
    from smsinbox.models import Membership

    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    user = a.user

    def change_password():
        user.set_password("a-new-password-123")
        user.save()

    def deactivate():
        user.is_active = False
        user.save(update_fields=["is_active"])

    def remove_membership():
        Membership.objects.filter(user=user).delete()

    def reactivate_with_membership():
        user.is_active = True
        user.save()
        Membership.objects.get_or_create(user=user, organization=a.organization, defaults={"role": "agent"})

    for change, code in ((change_password, UNAUTHENTICATED), (deactivate, UNAUTHENTICATED),
                         (remove_membership, FORBIDDEN)):  # fmt: skip
        await database_sync_to_async(reactivate_with_membership)()
        communicator = await _full_stack(await _session_cookie(user))
        await database_sync_to_async(change)()
        assert await _closed_with(communicator) == code, change.__name__


async def test_an_expired_session_is_closed_at_the_next_ping():
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    cookie = await _session_cookie(a.user)
    communicator = await _full_stack(cookie)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=1) == {"type": "pong"}
    await database_sync_to_async(Session.objects.filter(session_key=cookie).update)(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    await communicator.send_json_to({"type": "ping"})
    assert await _closed_with(communicator) == UNAUTHENTICATED


async def test_a_dead_session_is_told_so_with_the_signed_out_code():
    """Refused with a code the page can read (accepted, then closed at once), never hearing anything."""
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    browser = Client()
    await database_sync_to_async(browser.force_login)(a.user)
    cookie = browser.cookies["sessionid"].value
    await database_sync_to_async(browser.post)("/accounts/logout/")
    communicator = await _full_stack(cookie)
    assert await refused_with(communicator) == UNAUTHENTICATED


async def test_rechecking_a_session_never_ends_it():
    """Between a password change and ``update_session_auth_hash`` the session's hash does not match: the
    re-check says so, but must not flush the session (Django's ``get_user`` would) — the browser that changed
    the password keeps it."""
    from django.contrib.sessions.models import Session

    from smsinbox.web.consumers import session_user

    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    key = await _session_cookie(a.user)
    assert await database_sync_to_async(session_user)(key, a.user.pk)

    def change_password():
        a.user.set_password("another-password-123")
        a.user.save()

    await database_sync_to_async(change_password)()
    assert not await database_sync_to_async(session_user)(key, a.user.pk)
    assert await database_sync_to_async(Session.objects.filter(session_key=key).exists)()
    assert not await database_sync_to_async(session_user)(key, a.user.pk + 1)
    assert not await database_sync_to_async(session_user)("", a.user.pk)


async def test_the_page_can_ask_whether_its_session_still_signs_in():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    browser = Client()
    await database_sync_to_async(browser.force_login)(a.user)
    answer = await database_sync_to_async(browser.get)("/session/")
    assert answer.json()["signedIn"] is True  # and how long it has left (tests/smsinbox/test_session_limits.py)

    def change_password():
        a.user.set_password("another-password-123")
        a.user.save()

    await database_sync_to_async(change_password)()
    answer = await database_sync_to_async(browser.get)("/session/")
    assert answer.json()["signedIn"] is False
    assert (await database_sync_to_async(Client().get)("/session/")).json()["signedIn"] is False


def _metric(name: str) -> float:
    from smsinbox.ops.metrics import exposition

    for line in exposition().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_open_websockets_and_the_live_event_lag_are_measured():
    a = await database_sync_to_async(setup)("Acme", "+14155550001", "alice")
    open_before = _metric("smsinbox_websocket_connections")
    lag_before = _metric("smsinbox_live_event_lag_seconds_count")
    alice, connected, _ = await connect(a.user)
    assert connected
    assert _metric("smsinbox_websocket_connections") == open_before + 1
    await database_sync_to_async(post_inbound)(Client(), to="+14155550001", body="Hi")
    await alice.receive_json_from(timeout=2)
    await alice.receive_json_from(timeout=2)
    assert _metric("smsinbox_live_event_lag_seconds_count") == lag_before + 2
    await alice.disconnect()
    assert _metric("smsinbox_websocket_connections") == open_before
