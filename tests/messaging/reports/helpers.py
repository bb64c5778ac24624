"""Building report fixtures through the real services, at chosen instants (a settable clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import ConversationEvent
from conversations.services import contact_get_or_create
from messaging.inputs import IncomingMessage, MessageReport
from messaging.models import Message
from messaging.services.inbound import message_receive
from messaging.services.outbound import message_send
from messaging.services.status import message_status_update
from tests.twilio_posts import new_sid


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """``timezone.now()`` (and the activity log's default time) is what the test says."""
    now = Clock()
    monkeypatch.setattr(timezone, "now", now)
    monkeypatch.setattr(ConversationEvent._meta.get_field("created_at"), "_get_default", now)  # default=now, cached
    return now


def receive(setup, customer: str, body: str = "Hello?") -> Message:
    ours = setup.organization.phone_numbers.first().number
    sms = IncomingMessage(
        message_sid=new_sid(), account_sid="AC1", from_e164=customer, to_e164=ours, body=body, num_segments=1
    )
    return message_receive(sms=sms).message


def send(setup, customer: str, body: str = "On it", *, sender=None) -> Message:
    contact, _ = contact_get_or_create(organization=setup.organization, e164=customer)
    return message_send(
        organization=setup.organization, sender=sender or setup.user, contact=contact, body=body
    ).message


def callback(message: Message, status: str, *, code: int | None = None, price: str | None = None, segments=None):
    """Twilio's status callback for ``message`` (given a SID first, as the create answer would)."""
    if message.twilio_sid is None:
        Message.objects.filter(pk=message.pk).update(twilio_sid=new_sid())
        message.refresh_from_db()
    report = MessageReport(
        sid=message.twilio_sid,
        status=status,
        error_code=code,
        price=Decimal(price) if price else None,
        price_unit="USD" if price else "",
        num_segments=segments,
    )
    return message_status_update(report=report)
