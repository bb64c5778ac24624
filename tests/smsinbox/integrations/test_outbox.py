"""``smsinbox.integrations.outbox``: the outgoing events of a change, written with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.models import WebhookDelivery, WebhookEvent
from smsinbox.integrations.outbox import outbox_endpoints_read_once, outbox_record
from smsinbox.integrations.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def subscribe(org_a, *types: str):
    return webhook_endpoint_create(
        organization=org_a.organization, actor=org_a.user, url="https://example.com/hook", event_types=list(types)
    )


def endpoint_reads(queries) -> int:
    return sum(1 for q in queries.captured_queries if 'FROM "smsinbox_webhookendpoint"' in q["sql"])


def test_endpoints_are_read_once_for_many_changes_and_each_change_is_written(org_a):
    subscribe(org_a, WebhookEventType.MESSAGE_SENT)
    org = org_a.organization.pk
    with CaptureQueriesContext(connection) as each:
        for i in range(3):
            outbox_record(organization_id=org, types=[WebhookEventType.MESSAGE_SENT], data=lambda i=i: {"n": i})
    with CaptureQueriesContext(connection) as once, outbox_endpoints_read_once(organization_id=org):
        for i in range(3, 6):
            outbox_record(organization_id=org, types=[WebhookEventType.MESSAGE_SENT], data=lambda i=i: {"n": i})
    assert (endpoint_reads(each), endpoint_reads(once)) == (3, 1)
    assert sorted(e.data["n"] for e in WebhookEvent.objects.all()) == list(range(6))
    assert WebhookDelivery.objects.count() == 6


def test_another_organizations_changes_are_not_given_the_endpoints_read(org_a, org_b):
    subscribe(org_a, WebhookEventType.MESSAGE_SENT)
    with outbox_endpoints_read_once(organization_id=org_a.organization.pk):
        written = outbox_record(
            organization_id=org_b.organization.pk, types=[WebhookEventType.MESSAGE_SENT], data=lambda: {"n": 1}
        )
    assert written == []
    assert not WebhookEvent.objects.exists()
