"""Logs: every refusal logs a line, and no line carries a credential."""

from __future__ import annotations

import base64

from django.test import Client
from django.urls import reverse

from tests.reliability.security.world import INCOMING, ORG_A_NUMBER, csrf_client
from tests.twilio_posts import inbound_params


def test_refused_requests_log_no_credential(world, captured_logs, settings):
    """The refusals log a line each (401, 403, 404, 405, CSRF, bad signature, lockout); none of them
    carries the Twilio auth token, a Basic-auth header, a session cookie, a CSRF secret or an API token."""
    twilio_basic = base64.b64encode(f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
    user_basic = base64.b64encode(b"alice:pw-alice-1").decode()
    browser = csrf_client(world.a.user)
    browser.get("/")
    session, csrf = browser.cookies["sessionid"].value, browser.cookies["csrftoken"].value
    for basic in (twilio_basic, user_basic):
        headers = {"Authorization": f"Basic {basic}"}
        Client().get("/api/conversations/", headers=headers)
        Client().get(f"/media/{world.a.inbound.pk}/0/", headers=headers)
        Client().post(INCOMING, data=inbound_params(to=ORG_A_NUMBER), headers={**headers, "X-Twilio-Signature": "x"})
    token = {"Authorization": f"Token {world.token.key}"}
    Client().get(f"/api/conversations/{world.b.conversation.pk}/", headers=token)  # 404
    Client().put("/api/contacts/", headers=token)  # 405
    browser.post("/contacts/new/", {"phone": "+14155550155"})  # CSRF 403
    browser.generic("PATCH", f"/api/contacts/{world.a.contact.pk}/", '{"firstName": "x"}', "application/json")
    browser.get("/no-such-page/")
    browser.get(f"/c/{world.b.conversation.pk}/")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post(reverse("admin:login"), {"username": "alice", "password": "pw-alice-1-wrong"})
    log = "\n".join(captured_logs.lines)
    assert "Forbidden (CSRF" in log
    assert "bad signature" in log
    secrets = [settings.TWILIO_AUTH_TOKEN, twilio_basic, user_basic, session, csrf, world.token.key, "pw-alice-1"]
    assert [secret for secret in secrets if secret in log] == []
