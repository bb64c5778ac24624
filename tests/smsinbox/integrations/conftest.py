from __future__ import annotations

from collections.abc import Iterator

import pytest

from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.services import webhook_endpoint_create
from tests.smsinbox.integrations.receiver import Receiver


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A local receiver; private addresses allowed (it listens on 127.0.0.1), fast retries."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def endpoint(org_a, receiver):
    """Organization A's endpoint at the receiver, subscribed to every event."""
    created = webhook_endpoint_create(
        organization=org_a.organization,
        actor=org_a.user,
        url=receiver.url,
        event_types=[t.value for t in WebhookEventType],
        description="Practice system",
    )
    receiver.secret = created.secret
    return created
