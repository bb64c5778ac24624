"""Fixtures shared by the messaging tests."""

import pytest

from messaging.models import Message
from tests.twilio_posts import new_sid


@pytest.fixture
def sent_message(org_a, conversation_a):
    """An outbound message Twilio has accepted (queued, SID known)."""
    return Message.objects.create(
        organization=org_a.organization,
        conversation=conversation_a,
        direction="out",
        twilio_sid=new_sid(),
        from_number="+14155550001",
        to_number="+14155550101",
        body="Hi",
        status="queued",
        sent_by=org_a.user,
    )
