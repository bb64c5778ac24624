"""Fixtures shared by the messaging tests."""

from collections.abc import Callable

import pytest

from messaging.models import Message
from tests.twilio_posts import new_sid


@pytest.fixture
def outbound_message(org_a, conversation_a) -> Callable[..., Message]:
    """Makes an outbound message of ``conversation_a`` in ``status`` (with a new SID unless ``sid=None``)."""

    def make(status: str, *, sid: str | None = "new", **extra: object) -> Message:
        return Message.objects.create(
            organization=org_a.organization,
            conversation=conversation_a,
            direction="out",
            twilio_sid=new_sid() if sid == "new" else sid,
            from_number="+14155550001",
            to_number="+14155550101",
            status=status,
            **extra,
        )

    return make


@pytest.fixture
def sent_message(org_a, outbound_message) -> Message:
    """An outbound message Twilio has accepted (queued, SID known)."""
    return outbound_message("queued", body="Hi", sent_by=org_a.user)
