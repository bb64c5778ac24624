"""Secrets never reach the logs: the Twilio auth token, Basic-auth headers, session cookies, API tokens.

Logs are captured at the levels the settings configure (as in production), from every logger
that has a handler, while real flows run: signed webhooks (good and forged), a send through the
twilio SDK to the emulator with its status callbacks, a login, API calls and the media proxy.
"""

import base64

import pytest
from rest_framework.authtoken.models import Token

from conversations.services import contact_create
from messaging.models import Message
from messaging.services.outbound import message_send
from tests.pipeline import drain_tasks, running_emulator, wait_for
from tests.twilio_posts import inbound_params, post_inbound

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_PASSWORD = "not-alices-password-7f3a"


def test_no_secret_is_ever_logged(captured_logs, client, live_server, settings, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    token = Token.objects.create(user=org_a.user)
    with running_emulator(settings, numbers=["+14155550001"]) as emulator:
        post_inbound(client, to="+14155550001", body="hello")
        client.post(
            "/api/twilio/sms-incoming", data=inbound_params(to="+14155550001"), headers={"X-Twilio-Signature": "forged"}
        )
        contact = contact_create(organization=org_a.organization, phone="+14155550102")
        message = message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="hi").message
        drain_tasks()
        wait_for(
            lambda: emulator.messages() and emulator.message(emulator.messages()[0]["sid"])["status"] == "delivered"
        )
        emulator.send_inbound(from_="+14155550103", to="+14155550001", body="pic", media_urls=["emulator"])
        wait_for(lambda: Message.objects.filter(body="pic").exists())
        mms = Message.objects.get(body="pic")
        failed = client.post("/accounts/login/", {"username": org_a.user.username, "password": WRONG_PASSWORD})
        assert failed.status_code == 200  # the form again, with its error
        signed_in = client.post("/accounts/login/", {"username": org_a.user.username, "password": "pw-alice-1"})
        assert signed_in.status_code == 302
        assert client.get("/").status_code == 200
        # The media proxy fetches the bytes from Twilio (the emulator) with Basic auth: the token travels.
        media = client.get(f"/media/{mms.pk}/0/")
        assert media.status_code == 200
        assert media["Content-Type"].startswith("image/")
        body = b"".join(media.streaming_content) if media.streaming else media.content
        assert body.startswith(b"\x89PNG")  # the emulator's generated image, fetched through the proxy
        assert client.get(f"/media/{message.pk}/0/").status_code == 404  # an outbound text has no media
        client.get("/api/conversations/", headers={"Authorization": f"Token {token.key}"})
        client.get("/api/conversations/", headers={"Authorization": "Token not-a-real-token"})
    log = "\n".join(captured_logs.lines)
    assert log  # the flows did log (the capture works)
    basic = base64.b64encode(f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
    session = client.cookies["sessionid"].value
    for secret in (settings.TWILIO_AUTH_TOKEN, basic, session, token.key, "pw-alice-1", WRONG_PASSWORD):
        assert secret not in log
