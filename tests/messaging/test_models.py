import uuid

import pytest
from django.db import transaction

from conversations.services import contact_get_or_create, conversation_get_or_create
from messaging.models import Message, MessageEvent, MessageMedia, media_description, media_kind
from messaging.statuses import MessageStatus
from tests.db_errors import refused_by


def sid() -> str:
    return "SM" + uuid.uuid4().hex


def message(conversation, **fields):
    values = {
        "organization": conversation.organization,
        "conversation": conversation,
        "direction": "out",
        "from_number": "+14155550001",
        "to_number": "+14155550101",
        "status": MessageStatus.PENDING,
    }
    values.update(fields)
    return Message.objects.create(**values)


def test_duplicate_twilio_sid_is_rejected(conversation_a):
    same = sid()
    message(conversation_a, twilio_sid=same)
    with refused_by("message_unique_twilio_sid"), transaction.atomic():
        message(conversation_a, twilio_sid=same, direction="in", status="received")


def test_many_messages_may_wait_without_a_sid(conversation_a):
    message(conversation_a)
    message(conversation_a)
    assert Message.objects.filter(twilio_sid__isnull=True).count() == 2


def test_idempotency_key_is_unique_per_organization(conversation_a, org_b):
    message(conversation_a, idempotency_key="click-1")
    with refused_by("message_unique_org_idempotency_key"), transaction.atomic():
        message(conversation_a, idempotency_key="click-1")
    org = org_b.organization
    contact, _ = contact_get_or_create(organization=org, e164="+14155550101")
    other, _ = conversation_get_or_create(organization=org, contact=contact, phone_number=org.phone_numbers.get())
    message(other, idempotency_key="click-1")  # another organization may use the same key


def test_inbound_message_needs_a_sid_and_no_sender(conversation_a, org_a):
    with refused_by("message_inbound_has_sid"), transaction.atomic():
        message(conversation_a, direction="in", status="received")
    with refused_by("message_inbound_no_sender"), transaction.atomic():
        message(conversation_a, direction="in", status="received", twilio_sid=sid(), sent_by=org_a.user)


def test_unknown_status_is_rejected_by_the_database(conversation_a):
    with refused_by("message_status_valid"), transaction.atomic():
        message(conversation_a, status="teleported")


def test_status_rank_is_derived_by_the_database(conversation_a):
    msg = message(conversation_a)
    Message.objects.filter(pk=msg.pk).update(status=MessageStatus.SENT)
    assert Message.objects.get(pk=msg.pk).status_rank == 30


@pytest.mark.parametrize(
    ("start", "path"),
    [
        ("pending", ["queued", "sending", "sent", "delivered", "read"]),
        ("scheduled", ["canceled"]),  # Twilio's scheduled (a Messaging Service's): it has a SID
        ("scheduled", ["queued", "sent"]),
        ("pending", ["failed"]),
    ],
)
def test_database_allows_forward_moves(conversation_a, start, path):
    msg = message(conversation_a, status=start, **({"twilio_sid": sid()} if start == "scheduled" else {}))
    for status in path:
        Message.objects.filter(pk=msg.pk).update(status=status)
    assert Message.objects.get(pk=msg.pk).status == path[-1]


@pytest.mark.parametrize(
    ("start", "regression"),
    [("delivered", "sent"), ("sent", "queued"), ("delivered", "failed"), ("canceled", "read"), ("read", "delivered")],
)
def test_database_refuses_backward_and_sideways_moves(conversation_a, start, regression):
    msg = message(conversation_a, status=start)
    with refused_by("messaging_message_status_forward_only"), transaction.atomic():
        Message.objects.filter(pk=msg.pk).update(status=regression)
    assert Message.objects.get(pk=msg.pk).status == start


def test_rewriting_the_same_status_is_allowed(conversation_a):
    msg = message(conversation_a, status="sent")
    Message.objects.filter(pk=msg.pk).update(status="sent", error_message="")
    msg.save()  # a full save writes the unchanged status again


def test_media_position_is_unique_per_message(conversation_a):
    msg = message(conversation_a)
    MessageMedia.objects.create(message=msg, position=0, url="https://example.com/a.jpg", content_type="image/jpeg")
    with refused_by("media_unique_message_position"), transaction.atomic():
        MessageMedia.objects.create(message=msg, position=0, url="https://example.com/b.jpg")


def test_event_dedupe_key_is_unique_per_message(conversation_a):
    msg = message(conversation_a)
    MessageEvent.objects.create(message=msg, event_type="status_callback", status="sent", dedupe_key="status:sent")
    with refused_by("event_unique_dedupe"), transaction.atomic():
        MessageEvent.objects.create(message=msg, event_type="status_callback", status="sent", dedupe_key="status:sent")
    MessageEvent.objects.create(message=msg, event_type="send_attempt")
    MessageEvent.objects.create(message=msg, event_type="send_attempt")
    assert msg.events.count() == 3


def test_empty_strings_are_not_a_sid_or_a_key(conversation_a):
    with refused_by("message_sid_not_empty"), transaction.atomic():
        message(conversation_a, twilio_sid="")
    with refused_by("message_idempotency_key_not_empty"), transaction.atomic():
        message(conversation_a, idempotency_key="")


@pytest.mark.parametrize("number", ["hello", "4155550101", "+0123456789", "+1415555010123456", ""])
def test_numbers_must_be_e164(conversation_a, number):
    with refused_by("message_numbers_e164"), transaction.atomic():
        message(conversation_a, to_number=number)


@pytest.mark.parametrize(("direction", "status"), [("in", "queued"), ("in", "delivered"), ("out", "received")])
def test_status_matches_direction(conversation_a, direction, status):
    with refused_by("message_status_matches_direction"), transaction.atomic():
        message(conversation_a, direction=direction, status=status, twilio_sid=sid())


# Our own scheduled state (scheduled, no SID; messaging.services.schedule): only inserted, left for pending,
# canceled or failed only.


def ours_scheduled(conversation):
    from datetime import timedelta

    from django.utils import timezone

    return message(conversation, status="scheduled", send_at=timezone.now() + timedelta(hours=1))


@pytest.mark.parametrize("leaves_for", ["pending", "canceled", "failed"])
def test_our_scheduled_message_may_leave_for_pending_canceled_or_failed(conversation_a, leaves_for):
    msg = ours_scheduled(conversation_a)
    Message.objects.filter(pk=msg.pk).update(status=leaves_for)
    assert Message.objects.get(pk=msg.pk).status == leaves_for


@pytest.mark.parametrize("skips_to", ["queued", "sending", "sent", "delivered", "read"])
def test_our_scheduled_message_cannot_skip_the_send_pipeline(conversation_a, skips_to):
    msg = ours_scheduled(conversation_a)
    with refused_by("messaging_message_status_forward_only"), transaction.atomic():
        Message.objects.filter(pk=msg.pk).update(status=skips_to)
    assert Message.objects.get(pk=msg.pk).status == "scheduled"


@pytest.mark.parametrize("start", ["pending", "canceled", "failed", "accepted"])
def test_nothing_moves_back_into_our_scheduled_state(conversation_a, start):
    from datetime import timedelta

    from django.utils import timezone

    msg = message(conversation_a, status=start, send_at=timezone.now() + timedelta(hours=1))
    with refused_by("messaging_message_status_forward_only"), transaction.atomic():
        Message.objects.filter(pk=msg.pk).update(status="scheduled")
    assert Message.objects.get(pk=msg.pk).status == start


def test_released_then_back_is_refused(conversation_a):
    msg = ours_scheduled(conversation_a)
    Message.objects.filter(pk=msg.pk).update(status="pending")
    with refused_by("messaging_message_status_forward_only"), transaction.atomic():
        Message.objects.filter(pk=msg.pk).update(status="scheduled")


def test_twilios_scheduled_message_does_not_move_down_to_pending(conversation_a):
    msg = message(conversation_a, status="scheduled", twilio_sid=sid())
    with refused_by("messaging_message_status_forward_only"), transaction.atomic():
        Message.objects.filter(pk=msg.pk).update(status="pending")


def test_our_scheduled_message_needs_its_time(conversation_a):
    with refused_by("message_scheduled_has_send_at"), transaction.atomic():
        message(conversation_a, status="scheduled")


@pytest.mark.parametrize(
    ("content_type", "kind", "description"),
    [
        ("image/jpeg", "image", "Image"),
        ("IMAGE/PNG; name=a.png", "image", "Image"),
        ("", "image", "File"),  # a media URL staff attached by hand: shown as the picture it always was
        ("image/tiff", "file", "Image"),  # no browser draws it: a link
        ("audio/mpeg", "audio", "Audio"),
        ("audio/amr", "file", "Audio"),  # no browser plays it: a link
        ("video/mp4", "file", "Video"),
        ("application/pdf", "file", "PDF document"),
        ("text/x-vcard", "file", "Contact card"),
        ("text/calendar", "file", "Calendar event"),
        ("application/octet-stream", "file", "File"),
    ],
)
def test_a_media_items_kind_and_description_follow_its_type(content_type, kind, description):
    assert media_kind(content_type) == kind
    assert media_description(content_type) == description
