"""The inbox driven end to end by the Twilio emulator where Twilio's webhooks carry more than the basics:
routing by Messaging Service, Advanced Opt-Out's ``OptOutType``, and inbound MMS media fetched through
Twilio's Media URL and its redirect to the CDN.
"""

import pytest
from django.core.cache import caches
from django.urls import reverse

from conversations.models import Contact, Conversation
from messaging.media import media_content
from messaging.models import Message, MessageEvent, MessageMedia
from messaging.twilio.emulator import MediaFile
from smsinbox.services import phone_number_update
from tests.pipeline import running_emulator

pytestmark = pytest.mark.django_db(transaction=True)

OURS = "+14155550001"  # org_a's number
POOLED = "+14155550009"  # in the same Messaging Service at Twilio, not set up in the inbox
STRAY = "+14155550008"  # in no service and not set up in the inbox
CUSTOMER = "+14155550101"
SERVICE_SID = "MG" + "5" * 32


@pytest.fixture
def twilio(settings, live_server, org_a):
    """The emulator posting to our real webhook; org_a's number is in a Messaging Service with Advanced
    Opt-Out (and a custom opt-out keyword), beside a pooled number the inbox does not know."""
    settings.PUBLIC_BASE_URL = live_server.url
    caches["media"].clear()
    phone_number_update(phone_number=org_a.organization.phone_numbers.get(), messaging_service_sid=SERVICE_SID)
    with running_emulator(settings, numbers=[OURS, POOLED, STRAY]) as emulator:
        for number in (OURS, POOLED):
            emulator.add_number(
                number, messaging_service_sid=SERVICE_SID, advanced_opt_out=True, custom_keywords={"ARRET": "STOP"}
            )
        yield emulator


def test_a_text_to_a_pooled_number_is_routed_by_its_messaging_service(twilio, org_a):
    result = twilio.send_inbound(from_=CUSTOMER, to=POOLED, body="Hi, is this the dentist?")
    assert result["status_code"] == 200
    [webhook] = twilio.webhooks()
    assert webhook["params"]["MessagingServiceSid"] == SERVICE_SID

    message = Message.objects.get()
    assert (message.twilio_sid, message.to_number, message.body) == (result["sid"], POOLED, "Hi, is this the dentist?")
    assert message.organization == org_a.organization
    assert message.conversation.phone_number.number == OURS  # the organization's number in that service


def test_a_text_to_a_number_in_no_service_we_own_is_dropped(twilio):
    assert twilio.send_inbound(from_=CUSTOMER, to=STRAY, body="hello?")["status_code"] == 200
    assert "MessagingServiceSid" not in twilio.webhooks()[0]["params"]
    assert not Message.objects.exists()


@pytest.mark.parametrize(("body", "keyword"), [("stop", "STOP"), ("Arret", "ARRET")])
def test_advanced_opt_out_type_opts_the_contact_out_and_back_in(twilio, org_a, body, keyword):
    """``ARRET`` is no keyword of the inbox's own: only Twilio's ``OptOutType`` makes it a STOP."""
    twilio.send_inbound(from_=CUSTOMER, to=OURS, body=body)
    assert twilio.webhooks()[0]["params"]["OptOutType"] == "STOP"
    contact = Contact.objects.get()
    assert contact.is_opted_out
    assert (contact.opt_out_method, contact.opt_out_keyword) == ("keyword", keyword)
    opted_out = MessageEvent.objects.get(event_type=MessageEvent.Type.OPT_OUT)
    assert opted_out.payload == {"keyword": keyword}
    assert opted_out.message.events.get(event_type=MessageEvent.Type.RECEIVED).payload["OptOutType"] == "STOP"

    twilio.send_inbound(from_=CUSTOMER, to=POOLED, body="START")  # another number of the same service
    assert twilio.webhooks()[1]["params"]["OptOutType"] == "START"
    assert not Contact.objects.get().is_opted_out


def test_help_is_recorded_from_opt_out_type(twilio):
    twilio.send_inbound(from_=CUSTOMER, to=OURS, body="info")
    assert twilio.webhooks()[0]["params"]["OptOutType"] == "HELP"
    assert MessageEvent.objects.get(event_type=MessageEvent.Type.HELP).payload == {"keyword": "INFO"}
    assert not Contact.objects.get().is_opted_out


def test_inbound_mms_media_is_fetched_through_twilios_redirect(client, twilio, org_a):
    photo = b"\xff\xd8\xff\xe0 a photo of the customer's x-ray \xff\xd9"
    result = twilio.send_inbound(
        from_=CUSTOMER,
        to=OURS,
        body="my x-ray",
        media_urls=[MediaFile("image/jpeg", photo), "https://example.com/drawing.gif"],
    )
    assert result["status_code"] == 200
    first, second = MessageMedia.objects.order_by("position")
    assert first.url.startswith(f"{twilio.base_url}/2010-04-01/Accounts/")  # Twilio's own Media resource
    assert (first.content_type, second.content_type) == ("image/jpeg", "image/gif")
    assert media_content(media=first).body == photo  # followed the 307 to the CDN, with the real bytes
    assert media_content(media=second).body.startswith(b"GIF89a")

    client.force_login(org_a.user)
    page = client.get(reverse("inbox-thread", args=[Conversation.objects.get().pk])).content.decode()
    proxied = reverse("message-media", args=[first.message_id, first.position])
    assert proxied in page
    response = client.get(proxied)
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body == photo
