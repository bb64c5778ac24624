"""Websockets: the Origin check, the session, and another organization never hearing organization A."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from conversations.models import Conversation
from smsinbox.models import Membership, User
from smsinbox.services import organization_setup
from smsinbox.web.consumers import FORBIDDEN, UNAUTHENTICATED
from tests.api_client import ApiClient
from tests.reliability.security.world import ORG_A_NUMBER, STATUS
from tests.twilio_posts import new_sid, post_inbound, post_signed, status_params


def _session_cookie(user: User) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()


async def _connect(
    headers: list[tuple[bytes, bytes]], path: str = "/ws/inbox/"
) -> tuple[WebsocketCommunicator, bool, Any]:
    from smsinbox.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    if connected and not await communicator.receive_nothing(timeout=0.2):
        # Refused with a code the browser can read: accepted, then closed at once, having joined nothing.
        output = await communicator.receive_output(timeout=1)
        assert output["type"] == "websocket.close", output
        return communicator, False, output["code"]
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_websocket_origins_other_than_our_hosts_are_refused():
    setup = organization_setup(name="Acme Dental", numbers=[ORG_A_NUMBER], username="alice", password="pw-alice-1")
    cookie = _session_cookie(setup.user)
    refused = [
        "https://evil.example",
        "http://evil.example",
        "null",
        "http://testserver.evil.example",
        "http://testserver@evil.example",
        "http://evil.example/http://testserver",
        "file://",
        None,  # no Origin at all
    ]

    async def scenario() -> None:
        for origin in refused:
            headers = [cookie] + ([(b"origin", origin.encode())] if origin is not None else [])
            _, connected, _ = await _connect(headers)
            assert not connected, origin
        for origin in ("http://testserver", "http://localhost:8000", "https://127.0.0.1"):
            communicator, connected, _ = await _connect([cookie, (b"origin", origin.encode())])
            assert connected, origin
            await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_websocket_sessions_that_are_not_a_signed_in_active_user_are_refused():
    setup = organization_setup(name="Acme Dental", numbers=[ORG_A_NUMBER], username="alice", password="pw-alice-1")
    origin = (b"origin", b"http://testserver")
    logged_out = Client()
    logged_out.force_login(setup.user)
    stale = (b"cookie", f"sessionid={logged_out.cookies['sessionid'].value}".encode())
    logged_out.post(reverse("logout"))
    deactivated = User.objects.create_user("dora", password="pw-dora-1")
    Membership.objects.create(user=deactivated, organization=setup.organization, role=Membership.Role.AGENT)
    dora = _session_cookie(deactivated)
    User.objects.filter(pk=deactivated.pk).update(is_active=False)

    async def scenario() -> None:
        for headers in ([origin], [origin, stale], [origin, dora], [origin, (b"cookie", b"sessionid=forged")]):
            _, connected, code = await _connect(headers)
            assert (connected, code) == (False, UNAUTHENTICATED), headers

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_user_of_another_organization_never_hears_organization_a_over_the_websocket():
    """Full stack (Origin check, session, consumer): bob cannot name A, and hears none of A's events of any
    kind, while alice hears them all."""
    a = organization_setup(name="Acme Dental", numbers=[ORG_A_NUMBER], username="alice", password="pw-alice-1")
    b = organization_setup(name="Bravo Vet", numbers=["+12125550002"], username="bob", password="pw-bob-1")
    twilio = Client()
    assert post_inbound(twilio, to=ORG_A_NUMBER, from_="+14155550163", body="first").status_code == 200
    conversation = Conversation.objects.get(organization=a.organization)
    api = ApiClient(a.user)
    sent = api.post(f"/api/conversations/{conversation.pk}/messages/", {"message": "reply"})
    assert sent.status_code == 201
    origin = (b"origin", b"http://testserver")
    alice_cookie, bob_cookie = _session_cookie(a.user), _session_cookie(b.user)

    def activity() -> None:
        assert post_inbound(twilio, to=ORG_A_NUMBER, from_="+14155550163", body="acme-secret-body").status_code == 200
        callback = post_signed(
            twilio,
            STATUS,
            status_params(sid=new_sid(), status="delivered", to="+14155550163", from_=ORG_A_NUMBER),
            query=urlencode({"m": sent.json()["messageId"]}),
        )
        assert callback.status_code == 200
        assert api.patch(f"/api/conversations/{conversation.pk}/", {"status": "closed"}).status_code == 200
        assert api.patch(f"/api/contacts/{conversation.contact_id}/", {"firstName": "Zelda"}).status_code == 200

    async def scenario() -> None:
        _, connected, code = await _connect([origin, bob_cookie], f"/ws/inbox/?organization={a.organization.pk}")
        assert (connected, code) == (False, FORBIDDEN)
        alice, connected, _ = await _connect([origin, alice_cookie])
        assert connected
        bob, connected, _ = await _connect([origin, bob_cookie])
        assert connected
        bob_named, connected, _ = await _connect([origin, bob_cookie], f"/ws/inbox/?organization={b.organization.pk}")
        assert connected
        await database_sync_to_async(activity)()
        heard = set()
        while not await alice.receive_nothing(timeout=1):  # (a receive that times out would end the socket)
            heard.add((await alice.receive_json_from())["type"])
        assert {"message.created", "message.status_changed", "conversation.updated"} <= heard
        assert await bob.receive_nothing(timeout=0.3)
        assert await bob_named.receive_nothing(timeout=0.1)
        for communicator in (alice, bob, bob_named):
            await communicator.disconnect()

    async_to_sync(scenario)()
