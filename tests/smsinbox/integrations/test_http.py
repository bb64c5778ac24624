"""The SSRF guard: refused before any connection for unsafe URLs and for names resolving to unsafe addresses
(the resolver is mocked: DNS is the outside world); connections go to the address that was checked."""

from __future__ import annotations

import socket

import pytest

from smsinbox.errors import ServiceError
from smsinbox.integrations import http
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.models import WebhookDelivery
from smsinbox.integrations.services import webhook_endpoint_create
from tests.pipeline import drain_tasks
from tests.smsinbox.integrations.receiver import Receiver
from tests.twilio_posts import post_inbound

UNSAFE = [
    "http://127.0.0.1/hook",
    "http://localhost:8000/hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]/hook",
    "http://[fd00:ec2::254]/hook",  # AWS metadata over IPv6
    "http://100.100.100.200/hook",  # shared address space (another cloud's metadata)
    "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook",
]


@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_literal_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert http.url_problem(url)
    result = http.post(url, body=b"{}", headers={}, timeout=1)
    assert result.status is None
    assert result.error


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x", "https://u:p@example.com/"])
def test_only_plain_http_and_https_urls(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert http.url_problem(url)


def _resolving_to(monkeypatch, address: str) -> None:
    def fake(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
def test_a_name_resolving_to_an_unsafe_address_is_refused_before_connecting(monkeypatch, settings, address):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    receiver = Receiver().start()
    try:
        port = receiver.server.server_address[1]
        _resolving_to(monkeypatch, address)
        assert http.url_problem(f"http://hooks.example.com:{port}/in") is None  # a name: checked at delivery
        result = http.post(f"http://hooks.example.com:{port}/in", body=b'{"id":"x","type":"t"}', headers={}, timeout=2)
        assert result.status is None
        assert "resolves to" in result.error
        assert not receiver.heard, "no connection was made"
    finally:
        receiver.stop()


def test_the_connection_goes_to_the_checked_address_with_the_urls_host(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # on-premises receivers (here: this machine)
    receiver = Receiver().start()
    try:
        port = receiver.server.server_address[1]
        _resolving_to(monkeypatch, "127.0.0.1")
        result = http.post(f"http://hooks.example.com:{port}/in", body=b'{"id":"x","type":"t"}', headers={}, timeout=2)
        assert result.status == 200
        assert receiver.heard[0].headers["host"] == f"hooks.example.com:{port}"
    finally:
        receiver.stop()


@pytest.mark.django_db(transaction=True)  # the real db_worker delivers, on its own connection
def test_every_delivery_is_checked_after_resolution(client, org_a, monkeypatch, settings):
    """An endpoint saved while its name was public, resolving to the metadata address at delivery time."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_RETRY_FOR_SECONDS = 0  # one attempt, then failed
    webhook_endpoint_create(
        organization=org_a.organization,
        actor=org_a.user,
        url="https://hooks.example.com/in",
        event_types=[WebhookEventType.MESSAGE_RECEIVED],
    )
    _resolving_to(monkeypatch, "169.254.169.254")
    post_inbound(client, to="+14155550001", body="hello")
    drain_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.response_status is None
    assert "169.254.169.254" in delivery.error
    assert "link-local" in delivery.error


def test_endpoints_with_unsafe_urls_cannot_be_saved(org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ServiceError, match="loopback"):
        webhook_endpoint_create(
            organization=org_a.organization,
            actor=org_a.user,
            url="http://127.0.0.1:9000/",
            event_types=[WebhookEventType.MESSAGE_RECEIVED],
        )
