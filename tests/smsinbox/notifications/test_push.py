"""Web Push for real: a local push service (an HTTP server in the test) receives what we send, checks the VAPID
signature (RFC 8292) and decrypts the payload (RFC 8291, aes128gcm) with the subscription's own private key —
as a browser's push service and the browser would. Nothing of ours is mocked."""

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command

from smsinbox.models import User
from smsinbox.notifications.models import PushSubscription
from smsinbox.notifications.push import vapid_public_key, web_push_deliver
from smsinbox.notifications.services import push_subscription_save
from tests.pipeline import drain_tasks
from tests.twilio_posts import post_inbound

TO = "+14155550001"


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """A push service on 127.0.0.1: records each POST; answers 410 under /gone/, 500 under /broken/, else 201."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                received.append({"path": self.path, "headers": headers, "body": body})
                status = 410 if self.path.startswith("/gone/") else 500 if self.path.startswith("/broken/") else 201
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """A browser's side of a subscription: its P-256 key pair and auth secret (RFC 8291)."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def check_vapid(headers: dict, *, audience: str, contact: str) -> None:
    """The authorization header is ``vapid t=<JWT ES256>, k=<public key>``: signed by our key, for this origin."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == vapid_public_key()
    header, claims, signature = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(fields["k"]))
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims = json.loads(b64url_decode(claims))
    assert json.loads(b64url_decode(header))["alg"] == "ES256"
    assert claims["aud"] == audience
    assert claims["sub"] == contact
    assert claims["exp"] > time.time()


@pytest.fixture
def web_push(settings, tmp_path):
    """Web Push on, with a VAPID key written by ``manage.py vapid_keys``, and http endpoints allowed (local)."""
    settings.WEB_PUSH_VAPID_PRIVATE_KEY = ""
    settings.WEB_PUSH_VAPID_KEY_FILE = str(tmp_path / "vapid-private.pem")
    settings.WEB_PUSH_ALLOW_HTTP_ENDPOINTS = True
    call_command("vapid_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert (tmp_path / "vapid-private.pem").stat().st_mode & 0o077 == 0  # readable by the owner only
    assert vapid_public_key()
    with PushService() as service:
        yield service


@pytest.mark.django_db(transaction=True)
def test_an_inbound_text_is_pushed_encrypted_to_the_subscribed_browser(client, org_a, settings, web_push):
    browser = Browser()
    push_subscription_save(
        user=org_a.user, endpoint=f"{web_push.origin}/push/alice-1", p256dh=browser.p256dh, auth=b64url(browser.auth)
    )
    post_inbound(client, to=TO, from_="+14155550123", body="Can I move my appointment to Friday?")
    drain_tasks()

    [request] = web_push.received
    assert request["path"] == "/push/alice-1"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert int(request["headers"]["ttl"]) > 0
    check_vapid(request["headers"], audience=web_push.origin, contact=settings.WEB_PUSH_CONTACT)
    assert b"Friday" not in request["body"]  # encrypted end to end: the push service cannot read it
    payload = browser.decrypt(request["body"])
    assert payload["kind"] == "inbound"
    assert payload["body"] == "Can I move my appointment to Friday?"
    assert payload["organization"] == org_a.organization.pk
    assert payload["url"] == f"/c/{payload['conversation']}/"
    assert payload["tag"].startswith("message-")


@pytest.mark.django_db
def test_expired_subscriptions_are_removed_and_failing_ones_kept(org_a, web_push):
    browsers = {name: Browser() for name in ("ok", "gone", "broken")}
    for name, browser in browsers.items():
        push_subscription_save(
            user=org_a.user,
            endpoint=f"{web_push.origin}/{name}/1",
            p256dh=browser.p256dh,
            auth=b64url(browser.auth),
        )
    counts = web_push_deliver(user_ids=[org_a.user.pk], payload={"title": "t", "body": "b"})
    assert counts == {"sent": 1, "expired": 1, "failed": 1}
    assert sorted(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        f"{web_push.origin}/broken/1",
        f"{web_push.origin}/ok/1",
    ]
    ok = next(r for r in web_push.received if r["path"] == "/ok/1")
    assert browsers["ok"].decrypt(ok["body"]) == {"title": "t", "body": "b"}


@pytest.mark.django_db
def test_other_users_subscriptions_are_not_pushed_and_no_key_sends_nothing(org_a, org_b, settings, web_push):
    browser = Browser()
    push_subscription_save(
        user=org_b.user, endpoint=f"{web_push.origin}/push/bob", p256dh=browser.p256dh, auth=b64url(browser.auth)
    )
    assert web_push_deliver(user_ids=[org_a.user.pk], payload={"title": "t"})["sent"] == 0
    settings.WEB_PUSH_VAPID_KEY_FILE = "/nonexistent/vapid.pem"
    assert vapid_public_key() == ""
    assert web_push_deliver(user_ids=[org_b.user.pk], payload={"title": "t"}) == {"sent": 0, "expired": 0, "failed": 0}
    assert web_push.received == []
    assert User.objects.filter(pk=org_b.user.pk).exists()
