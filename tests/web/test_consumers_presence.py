"""Presence over the inbox websocket (``InboxConsumer``): fan-out to the thread's organization only, strict
frames, threads of other organizations refused, ``left`` on disconnect, the current state on connect, and
nothing written to the database. (Beside tests/web/test_consumers.py: the consumer's other duties.)"""

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db.backends.utils import CursorWrapper

from conversations.services import contact_get_or_create, conversation_get_or_create
from smsinbox import presence
from smsinbox.models import User
from smsinbox.services import membership_create, organization_setup
from smsinbox.web.consumers import InboxConsumer
from tests.web.test_consumers import _signed_in_session, connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def fresh_store():
    """Each test starts with the settings' store and channel layer as a new process would: the in-process
    store is per process, and channels_redis keeps per-channel asyncio locks bound to the loop of the test
    that last waited on them (each test has its own loop)."""
    presence._store = None
    channel_layers.backends.clear()
    yield
    presence._store = None
    channel_layers.backends.clear()


def _organization(name, number, username, contact):
    """An organization with a member, a second member (``carol-…``) and a conversation with ``contact``."""
    setup = organization_setup(name=name, numbers=[number], username=username, password="pw-" + username)
    other = User.objects.create_user(username=f"carol-{username}", password="pw-carol", first_name="Carol")
    membership_create(organization=setup.organization, user=other)
    found, _ = contact_get_or_create(organization=setup.organization, e164=contact)
    conversation, _ = conversation_get_or_create(
        organization=setup.organization, contact=found, phone_number=setup.organization.phone_numbers.get()
    )
    return setup, other, conversation


async def two_organizations():
    a = await database_sync_to_async(_organization)("Acme", "+14155550001", "alice", "+14155550101")
    b = await database_sync_to_async(_organization)("Bravo", "+12125550002", "bob", "+12125550102")
    return a, b


async def connect_told(user, path="/ws/inbox/"):
    """Connect where the consumer sends who is present at once (``connect`` reads any first output as a close)."""
    communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), path)
    communicator.scope["user"] = user
    communicator.scope["session"] = await database_sync_to_async(_signed_in_session)(user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def frame(conversation_id, state):
    return {"type": "presence", "conversationId": conversation_id, "state": state}


async def test_typing_reaches_the_organization_and_not_the_sender_nor_another_organization():
    (a, carol, conversation), (b, _, _) = await two_organizations()
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    bob, _, _ = await connect(b.user)
    await alice.send_json_to(frame(conversation.pk, "typing"))
    heard = await colleague.receive_json_from(timeout=2)
    assert heard["type"] == "presence.changed"
    payload = heard["payload"]
    assert (payload["conversationId"], payload["userId"], payload["name"], payload["state"]) == (
        conversation.pk, a.user.pk, "alice", "typing",
    )  # fmt: skip
    assert payload["organizationId"] == a.organization.pk
    assert await alice.receive_nothing(timeout=0.3)  # one's own presence is not sent back
    assert await bob.receive_nothing(timeout=0.1)  # another organization hears nothing
    for communicator in (alice, colleague, bob):
        await communicator.disconnect()


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "presence", "conversationId": "{id}", "state": "dancing"},
        {"type": "presence", "conversationId": "{id}", "state": ["typing"]},
        {"type": "presence", "conversationId": "{id}", "state": None},
        {"type": "presence", "conversationId": "{id}"},
        {"type": "presence", "conversationId": "{id}", "state": "typing", "name": "forged"},
        {"type": "presence", "conversationId": True, "state": "typing"},
        {"type": "presence", "conversationId": -1, "state": "typing"},
        {"type": "presence", "conversationId": 1.5, "state": "typing"},
        {"type": "presence", "conversationId": "²", "state": "typing"},
        {"type": "presence", "conversationId": "9" * 30, "state": "typing"},
        {"type": "presence", "conversationId": None, "state": "typing"},
        {"type": "presence", "conversationId": 987_654_321, "state": "typing"},  # no such conversation
        {"type": "presence.changed", "payload": {"conversationId": "{id}", "state": "typing"}},
        ["presence", "{id}", "typing"],
    ],
)
async def test_invalid_frames_are_ignored(bad):
    (a, carol, conversation), _ = await two_organizations()
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    sent = _fill(bad, conversation.pk)
    await alice.send_json_to(sent)
    assert await colleague.receive_nothing(timeout=0.3)
    await alice.send_json_to({"type": "ping"})  # the websocket is still up
    assert await alice.receive_json_from(timeout=1) == {"type": "pong"}
    for communicator in (alice, colleague):
        await communicator.disconnect()


def _fill(value, conversation_id):
    if value == "{id}":
        return conversation_id
    if isinstance(value, dict):
        return {k: _fill(v, conversation_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, conversation_id) for v in value]
    return value


async def test_an_id_as_ascii_digits_is_taken():
    (a, carol, conversation), _ = await two_organizations()
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    await alice.send_json_to(frame(str(conversation.pk), "viewing"))
    assert (await colleague.receive_json_from(timeout=2))["payload"]["state"] == "viewing"
    for communicator in (alice, colleague):
        await communicator.disconnect()


async def test_a_conversation_of_another_organization_is_refused():
    (a, _, _), (b, bob_colleague, bravo_conversation) = await two_organizations()
    alice, _, _ = await connect(a.user)
    bob, _, _ = await connect(b.user)
    colleague, _, _ = await connect(bob_colleague)
    await alice.send_json_to(frame(bravo_conversation.pk, "typing"))  # not hers
    assert await bob.receive_nothing(timeout=0.3)
    assert await colleague.receive_nothing(timeout=0.1)
    assert await presence.presence_list(organization_id=b.organization.pk) == []
    for communicator in (alice, bob, colleague):
        await communicator.disconnect()


async def test_a_websocket_named_for_one_organization_speaks_for_no_other():
    """A member of two organizations whose page joined one of them only: presence elsewhere is refused."""
    (a, carol, conversation), (b, _, bravo_conversation) = await two_organizations()
    await database_sync_to_async(membership_create)(organization=b.organization, user=carol)
    page, connected, _ = await connect(carol, f"/ws/inbox/?organization={a.organization.pk}")
    assert connected
    alice, _, _ = await connect(a.user)
    bob, _, _ = await connect(b.user)
    await page.send_json_to(frame(bravo_conversation.pk, "viewing"))
    await page.send_json_to(frame(conversation.pk, "typing"))  # its own organization's is fine
    heard = (await alice.receive_json_from(timeout=2))["payload"]
    assert (heard["conversationId"], heard["state"]) == (conversation.pk, "typing")
    assert await bob.receive_nothing(timeout=0.3)
    for communicator in (page, bob, alice):
        await communicator.disconnect()


async def test_disconnect_publishes_left_at_once_and_the_store_forgets():
    (a, carol, conversation), _ = await two_organizations()
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    await alice.send_json_to(frame(conversation.pk, "viewing"))
    assert (await colleague.receive_json_from(timeout=2))["payload"]["state"] == "viewing"
    await alice.disconnect()
    left = (await colleague.receive_json_from(timeout=2))["payload"]
    assert (left["state"], left["userId"], left["conversationId"]) == ("left", a.user.pk, conversation.pk)
    assert await presence.presence_list(organization_id=a.organization.pk) == []
    await colleague.disconnect()


async def test_a_page_that_connects_is_told_who_is_there_but_not_about_itself():
    (a, carol, conversation), _ = await two_organizations()
    alice, _, _ = await connect(a.user)
    watcher, _, _ = await connect(carol)
    await alice.send_json_to(frame(conversation.pk, "typing"))
    await watcher.receive_json_from(timeout=2)  # published, so stored (the service stores first)
    colleague = await connect_told(carol)
    snapshot = await colleague.receive_json_from(timeout=2)
    assert (snapshot["payload"]["userId"], snapshot["payload"]["state"]) == (a.user.pk, "typing")
    second_tab = await connect_told(a.user)
    assert await second_tab.receive_nothing(timeout=0.3)  # alice is not told about alice
    for communicator in (alice, watcher, colleague, second_tab):
        await communicator.disconnect()


async def test_repeats_faster_than_the_heartbeat_are_dropped_and_a_state_change_is_not():
    (a, carol, conversation), _ = await two_organizations()
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    for _ in range(5):
        await alice.send_json_to(frame(conversation.pk, "viewing"))
    await alice.send_json_to(frame(conversation.pk, "typing"))
    heard = [(await colleague.receive_json_from(timeout=2))["payload"]["state"] for _ in range(2)]
    assert heard == ["viewing", "typing"]
    assert await colleague.receive_nothing(timeout=0.3)
    for communicator in (alice, colleague):
        await communicator.disconnect()


async def test_presence_writes_nothing_to_the_database(monkeypatch):
    """Every statement any thread runs (the consumer's reads run in a worker thread) is recorded."""
    (a, carol, conversation), _ = await two_organizations()
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    statements = []
    execute = CursorWrapper.execute

    def recording(self, sql, params=None):
        statements.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", recording)
    for state in ("viewing", "typing", "left"):
        await alice.send_json_to(frame(conversation.pk, state))
        await colleague.receive_json_from(timeout=2)
    await alice.disconnect()
    assert statements  # the access check read the conversation
    assert [sql for sql in statements if not sql.lstrip().upper().startswith("SELECT")] == []
    await colleague.disconnect()


def _more_conversations(setup, n):
    ids = []
    for i in range(n):
        found, _ = contact_get_or_create(organization=setup.organization, e164=f"+1415555{2000 + i:04d}")
        conversation, _ = conversation_get_or_create(
            organization=setup.organization, contact=found, phone_number=setup.organization.phone_numbers.get()
        )
        ids.append(conversation.pk)
    return ids


async def test_thread_after_thread_is_limited_to_a_burst(monkeypatch):
    """Naming a new thread in every frame (each a database read and a fan-out) is cut at PRESENCE_BURST while
    the clock stands still; the bucket refills at PRESENCE_RATE a second."""
    from types import SimpleNamespace

    from smsinbox.web import consumers

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(consumers, "time", SimpleNamespace(monotonic=lambda: clock.now))
    (a, carol, _), _ = await two_organizations()
    threads = await database_sync_to_async(_more_conversations)(a, 10)
    alice, _, _ = await connect(a.user)
    colleague, _, _ = await connect(carol)
    for conversation_id in threads:
        await alice.send_json_to(frame(conversation_id, "viewing"))
    heard = []
    while not await colleague.receive_nothing(timeout=0.3):
        heard.append((await colleague.receive_json_from())["payload"])
    viewing = [p["conversationId"] for p in heard if p["state"] == "viewing"]
    assert viewing == threads[: consumers.PRESENCE_BURST]
    clock.now += 1 / consumers.PRESENCE_RATE  # one more frame's worth
    await alice.send_json_to(frame(threads[-1], "viewing"))
    later = [(await colleague.receive_json_from(timeout=2))["payload"] for _ in range(2)]
    assert [(p["conversationId"], p["state"]) for p in later] == [
        (threads[consumers.PRESENCE_BURST - 1], "left"),
        (threads[-1], "viewing"),
    ]
    for communicator in (alice, colleague):
        await communicator.disconnect()
