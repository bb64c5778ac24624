"""A broadcast's message due within the contact's quiet hours waits, scheduled, for their window to open
(``messaging.broadcasts.sending`` with ``messaging.hours.quiet``)."""

from __future__ import annotations

import zoneinfo
from datetime import time

import pytest
from django.utils import timezone

from conversations.services import contact_create
from messaging.broadcasts.sending import broadcast_run
from messaging.broadcasts.services import broadcast_create
from messaging.hours.quiet import quiet_hours_update
from messaging.models import Message

pytestmark = pytest.mark.django_db

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")  # a +1 415 number's zone


def test_a_recipient_in_quiet_hours_is_scheduled_for_their_window(org_a):
    local = timezone.now().astimezone(LOS_ANGELES)
    # A one-hour window that does not contain the contact's present local time.
    opens = time(13) if local.hour < 12 else time(1)
    quiet_hours_update(
        organization=org_a.organization, actor=org_a.user, enabled=True, opens=opens, closes=time(opens.hour + 1)
    )
    contact = contact_create(organization=org_a.organization, phone="+14155550141", first_name="Ana")
    broadcast = broadcast_create(
        organization=org_a.organization, user=org_a.user, body="Hi {{contact.first_name}}", contact_ids=[contact.pk]
    )
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    (message,) = Message.objects.filter(conversation__contact=contact)
    assert message.status == "scheduled"
    held = message.send_at.astimezone(LOS_ANGELES)
    assert message.send_at > timezone.now()
    assert (held.hour, held.minute) == (opens.hour, 0)


def test_quiet_hours_off_send_at_once(org_a):
    contact = contact_create(organization=org_a.organization, phone="+14155550142")
    broadcast = broadcast_create(
        organization=org_a.organization, user=org_a.user, body="We are open", contact_ids=[contact.pk]
    )
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    (message,) = Message.objects.filter(conversation__contact=contact)
    assert (message.status, message.send_at) == ("pending", None)
