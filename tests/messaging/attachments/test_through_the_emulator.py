"""An attachment sent through the real pipeline: Twilio (the emulator) fetches its public URL from our server."""

import pytest

from messaging.attachments.models import Attachment
from messaging.models import Message
from messaging.services.outbound import message_send
from tests.messaging.attachments.helpers import PNG, upload
from tests.pipeline import drain_tasks, running_emulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(message):
    message.refresh_from_db()
    return message.status


def test_the_emulator_fetches_the_public_url_once_and_it_then_expires(settings, live_server, org_a, conversation_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    with running_emulator(settings, numbers=["+14155550001"]) as emulator:
        attachment = upload(org_a, conversation_a)
        message = message_send(
            organization=org_a.organization,
            sender=org_a.user,
            contact=conversation_a.contact,
            body="Your x-ray",
            attachment_ids=[attachment.pk],
        ).message
        drain_tasks()
        wait_for(lambda: status_of(message) == "delivered")
        url = f"{live_server.url}/m/{attachment.token}/photo.png"
        assert emulator.media_fetches == [
            {"sid": message.twilio_sid, "url": url, "status": "fetched", "size": len(PNG)}
        ]
        media = emulator.state.media_resources(message.twilio_sid)
        assert [m["content_type"] for m in media] == ["image/png"]
        attachment.refresh_from_db()
        assert attachment.first_fetched_at is not None


def test_a_link_that_expired_before_twilio_fetched_it_fails_the_message_with_11200(
    settings, live_server, org_a, conversation_a
):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    with running_emulator(settings, numbers=["+14155550001"]):
        attachment = upload(org_a, conversation_a)
        message = message_send(
            organization=org_a.organization,
            sender=org_a.user,
            contact=conversation_a.contact,
            body="",
            attachment_ids=[attachment.pk],
        ).message
        Attachment.objects.filter(pk=attachment.pk).update(expires_at=attachment.created_at)
        drain_tasks()
        wait_for(lambda: status_of(message) == "failed")
        assert Message.objects.get(pk=message.pk).error_code == 11200
