"""The Integrations page: admins add endpoints (unsafe URLs refused with the reason), see the deliveries log, send
a test event, redeliver, pause and resume; create API keys (the secret shown once) and revoke them. Agents are
refused; another organization's rows are not found."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from smsinbox.integrations.services import webhook_endpoint_create
from smsinbox.models import Membership, User
from tests.pipeline import drain_tasks


@pytest.fixture
def admin(org_a) -> Client:
    browser = Client()
    browser.force_login(org_a.user)
    return browser


def add_endpoint(browser: Client, url: str, *types: str):
    return browser.post(
        reverse("integrations"),
        {"form": "endpoint", "endpoint-url": url, "endpoint-description": "CRM", "endpoint-event_types": list(types)},
    )


def test_an_admin_adds_an_endpoint_sends_a_test_and_reads_the_log(admin, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = add_endpoint(admin, "https://hooks.example.com/in", "message.received", "contact.created")
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["message.received", "contact.created"]
    page = admin.get(response["Location"]).content.decode()
    assert "https://hooks.example.com/in" in page
    assert endpoint.secret in page  # in its "Signing secret" disclosure
    admin.post(reverse("integrations-endpoint-test", args=[endpoint.pk]))
    delivery = WebhookDelivery.objects.get()
    assert delivery.event.type == "webhook.test"
    page = admin.get(reverse("integrations") + f"?endpoint={endpoint.pk}").content.decode()
    assert "webhook.test" in page
    assert str(delivery.event_id) in page


def test_an_unsafe_url_is_refused_with_its_reason(admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = add_endpoint(admin, "http://169.254.169.254/latest", "message.received")
    assert response.status_code == 400
    assert "link-local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    response = add_endpoint(admin, "https://hooks.example.com/in")
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the real db_worker delivers, on its own connection
def test_pause_resume_redeliver_delete(admin, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_FOR_SECONDS = 0
    endpoint = webhook_endpoint_create(
        organization=org_a.organization, actor=org_a.user, url="http://127.0.0.1:9/", event_types=["note.created"]
    )
    admin.post(reverse("integrations-endpoint-test", args=[endpoint.pk]))
    drain_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"  # nothing listens on port 9
    page = admin.get(reverse("integrations")).content.decode()
    assert "Redeliver" in page
    assert "No answer" in page
    admin.post(reverse("integrations-delivery-redeliver", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    admin.post(reverse("integrations-endpoint-pause", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.get().active
    admin.post(reverse("integrations-endpoint-resume", args=[endpoint.pk]))
    assert WebhookEndpoint.objects.get().active
    admin.post(reverse("integrations-endpoint-delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


def test_a_key_is_shown_once_and_can_be_revoked(admin, org_a):
    response = admin.post(
        reverse("integrations"),
        {"form": "key", "key-name": "Practice system", "key-scopes": ["messages:send", "contacts:read"]},
    )
    assert response.status_code == 302
    first = admin.get(reverse("integrations")).content.decode()
    key = ApiKey.objects.get()
    assert "Copy this key now" in first
    secret = first.split('<code class="secret">')[-1].split("</code>")[0]
    assert secret.startswith("smsk_")
    assert secret[:12] == key.prefix
    again = admin.get(reverse("integrations")).content.decode()
    assert secret not in again, "shown once"
    assert "Practice system" in again
    assert "Never" in again
    admin.post(reverse("integrations-key-revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked" in admin.get(reverse("integrations")).content.decode()


def test_agents_are_refused_and_other_organizations_rows_are_not_found(org_a, org_b, admin):
    agent = User.objects.create_user(username="agent-a", password="pw-agent-1")
    Membership.objects.create(user=agent, organization=org_a.organization, role=Membership.Role.AGENT)
    browser = Client()
    browser.force_login(agent)
    assert browser.get(reverse("integrations")).status_code == 403
    theirs = webhook_endpoint_create(
        organization=org_b.organization, actor=org_b.user, url="https://b.example.com/", event_types=["note.created"]
    )
    assert admin.post(reverse("integrations-endpoint-pause", args=[theirs.pk])).status_code == 404
    assert WebhookEndpoint.objects.get(pk=theirs.pk).active


def test_an_admin_edits_an_endpoint_and_an_unsafe_url_is_refused(admin, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    endpoint = webhook_endpoint_create(
        organization=org_a.organization, actor=org_a.user, url="https://a.example.com/", event_types=["note.created"]
    )
    url = reverse("integrations-endpoint-edit", args=[endpoint.pk])
    page = admin.get(url).content.decode()
    assert 'value="https://a.example.com/"' in page
    form = {"endpoint-url": "http://10.0.0.8/", "endpoint-description": "", "endpoint-event_types": ["note.created"]}
    refused = admin.post(url, form)
    assert refused.status_code == 400
    assert "private address" in refused.content.decode()
    form["endpoint-url"] = "https://b.example.com/hooks"
    form["endpoint-event_types"] = ["message.received", "contact.opted_out"]
    assert admin.post(url, form).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "https://b.example.com/hooks"
    assert endpoint.event_types == ["message.received", "contact.opted_out"]
    assert "Only Acme Dental's admins" not in admin.get(reverse("integrations")).content.decode()


def test_an_agent_is_told_who_manages_integrations(org_a):
    agent = User.objects.create_user(username="agent-a", password="pw-agent-1")
    Membership.objects.create(user=agent, organization=org_a.organization, role=Membership.Role.AGENT)
    browser = Client()
    browser.force_login(agent)
    response = browser.get(reverse("integrations"))
    assert response.status_code == 403
    assert "Only Acme Dental's admins manage webhooks and API keys" in response.content.decode()
