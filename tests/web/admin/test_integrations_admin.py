"""Integrations in Django admin: endpoints written through their services (unsafe URLs refused on the form),
deliveries redelivered and keys revoked by actions, every list scoped to the admin's organizations."""

from __future__ import annotations

from django.urls import reverse

from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from smsinbox.integrations.services import api_key_create, webhook_endpoint_create, webhook_endpoint_send_test


def test_an_org_admin_adds_and_changes_an_endpoint_through_the_services(client, org_a, org_b, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    webhook_endpoint_create(
        organization=org_b.organization, actor=org_b.user, url="https://b.example.com/", event_types=["note.created"]
    )
    client.force_login(org_a.user)
    add = reverse("admin:smsinbox_webhookendpoint_add")
    values = {"organization": org_a.organization.pk, "url": "http://169.254.169.254/", "description": "",
              "event_types": ["message.received"], "active": "on"}  # fmt: skip
    refused = client.post(add, values)
    assert refused.status_code == 200
    assert "link-local" in refused.content.decode()
    values["url"] = "https://a.example.com/in"
    assert client.post(add, values).status_code == 302
    endpoint = WebhookEndpoint.objects.get(organization=org_a.organization)
    assert endpoint.secret.startswith("whsec_")
    change = reverse("admin:smsinbox_webhookendpoint_change", args=[endpoint.pk])
    values = {**values, "event_types": ["message.received", "note.created"]}
    values.pop("active")  # unchecked: paused
    assert client.post(change, values).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["message.received", "note.created"]
    assert not endpoint.active
    assert client.get(reverse("admin:smsinbox_webhookendpoint_changelist")).context["cl"].result_count == 1


def test_redeliver_and_revoke_actions(client, org_a):
    endpoint = webhook_endpoint_create(
        organization=org_a.organization, actor=org_a.user, url="https://a.example.com/", event_types=["note.created"]
    )
    delivery = webhook_endpoint_send_test(endpoint=endpoint, actor=org_a.user)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    key, _ = api_key_create(organization=org_a.organization, actor=org_a.user, name="CRM", scopes=["contacts:read"])
    client.force_login(org_a.user)
    client.post(
        reverse("admin:smsinbox_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"
    client.post(reverse("admin:smsinbox_apikey_changelist"), {"action": "revoke", "_selected_action": [key.pk]})
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
