"""The demo organization that `make run` seeds for a newcomer (embedded default only)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Contact, Conversation
from conversations.services import (
    contact_create,
    contact_get_or_create,
    conversation_get_or_create,
)
from messaging.inputs import IncomingMessage
from messaging.models import Direction, Encoding, Message
from messaging.segments import segment_info
from messaging.services import message_receive
from messaging.statuses import MessageStatus
from smsinbox.models import Organization
from smsinbox.services import organization_setup

DEMO_ORG = "Demo Clinic"
DEMO_NUMBER = "+15005550006"  # Twilio's magic test "From" number: sends succeed with test credentials
DEMO_USERNAME = "demo"

# (first name, last name, number, [(direction, body, status)], unread)
_THREADS = [
    (
        "Maria",
        "Garcia",
        "+14155550101",
        [
            ("in", "Hi, can I move my appointment to Thursday?", MessageStatus.RECEIVED),
            ("out", "Sure, Thursday at 3pm works. See you then!", MessageStatus.DELIVERED),
            ("in", "Perfect, thanks!", MessageStatus.RECEIVED),
        ],
        1,
    ),
    (
        "James",
        "Chen",
        "+12025550143",
        [
            ("out", "Reminder: your cleaning is tomorrow at 9am. Reply C to confirm.", MessageStatus.DELIVERED),
            ("in", "C", MessageStatus.RECEIVED),
        ],
        0,
    ),
    (
        "",
        "",
        "+447700900123",
        [
            ("in", "Hello from London, do you take international patients? 🇬🇧", MessageStatus.RECEIVED),
        ],
        1,
    ),
    (
        "",
        "",
        "+17700900123",
        [
            ("in", "Is parking available near the clinic?", MessageStatus.RECEIVED),
        ],
        1,
    ),
]


@dataclass
class DemoLogin:
    username: str
    password: str
    created_data: bool


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


@transaction.atomic
def demo_seed() -> DemoLogin:
    """Create the demo organization, a demo admin with a fresh password and a few threads (once)."""
    password = secrets.token_urlsafe(9)
    result = organization_setup(name=DEMO_ORG, numbers=[DEMO_NUMBER], username=DEMO_USERNAME, password=password)
    org: Organization = result.organization
    if Contact.objects.filter(organization=org).exists():
        return DemoLogin(username=DEMO_USERNAME, password=password, created_data=False)
    number = org.phone_numbers.get(number=DEMO_NUMBER)
    for first, last, phone, messages, unread in _THREADS:
        if first or last:
            contact = contact_create(organization=org, phone=phone, first_name=first, last_name=last)
        else:  # as an inbound text from a stranger creates it: exact E.164, no name
            contact, _ = contact_get_or_create(organization=org, e164=phone)
        conversation, _ = conversation_get_or_create(organization=org, contact=contact, phone_number=number)
        for direction, body, status in messages:
            inbound = direction == Direction.INBOUND
            if inbound:  # through the same service as a real webhook
                message_receive(
                    sms=IncomingMessage(
                        message_sid=_sid(),
                        account_sid=settings.TWILIO_ACCOUNT_SID,
                        from_e164=str(contact.phone),
                        to_e164=DEMO_NUMBER,
                        body=body,
                        num_segments=segment_info(body).segments,
                    )
                )
                continue
            Message.objects.create(
                organization=org,
                conversation=conversation,
                direction=direction,
                twilio_sid=_sid(),
                from_number=str(contact.phone) if inbound else DEMO_NUMBER,
                to_number=DEMO_NUMBER if inbound else str(contact.phone),
                body=body,
                status=status,
                encoding=Encoding.GSM7 if body.isascii() else Encoding.UCS2,
                sent_by=None if inbound else result.user,
                sent_at=None if inbound else timezone.now(),
                delivered_at=timezone.now() if status == MessageStatus.DELIVERED else None,
            )
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=unread)
    return DemoLogin(username=DEMO_USERNAME, password=password, created_data=True)
