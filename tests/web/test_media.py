"""MMS media through our authenticated proxy: fetched from Twilio with credentials, cached, never linked raw."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from conversations.models import Conversation
from messaging.models import MessageMedia
from tests.pipeline import running_emulator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mms(settings, live_server, org_a):
    """An inbound MMS whose media lives at the (emulated) Twilio, delivered through our real webhook."""
    settings.PUBLIC_BASE_URL = live_server.url
    caches["media"].clear()
    with running_emulator(settings, numbers=["+14155550001"]) as emulator:
        result = emulator.send_inbound(from_="+14155550101", to="+14155550001", body="look", media_urls=["emulator"])
        assert result["status_code"] == 200
        yield emulator


def test_media_is_proxied_with_credentials_and_cached(client, mms, org_a):
    media = MessageMedia.objects.get()
    assert media.url.startswith(mms.base_url)
    client.force_login(org_a.user)
    conversation = Conversation.objects.get()
    page = client.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    proxied = reverse("message-media", args=[media.message_id, media.position])
    assert proxied in page
    assert media.url not in page
    response = client.get(proxied)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\x89PNG")
    mms.stop()  # Twilio gone: the cached copy still serves
    again = client.get(proxied)
    assert again.status_code == 200


def test_another_organization_cannot_see_the_media(client, mms, org_b):
    media = MessageMedia.objects.get()
    client.force_login(org_b.user)
    assert client.get(reverse("message-media", args=[media.message_id, media.position])).status_code == 404


def test_anonymous_is_sent_to_login(client, mms):
    media = MessageMedia.objects.get()
    response = client.get(reverse("message-media", args=[media.message_id, media.position]))
    assert response.status_code == 302


def test_media_staff_attached_is_redirected_to_never_fetched_with_our_credentials(client, mms, org_a):
    """A staff member attaching a Twilio API URL must not get our credentials' answer back."""
    from conversations.models import Contact
    from messaging.services.outbound import message_send

    contact = Contact.objects.get()
    attack = f"{mms.base_url}/2010-04-01/Accounts/{org_a.organization.pk}/../Accounts.json"
    sent = message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="", media_urls=[attack]
    ).message
    client.force_login(org_a.user)
    response = client.get(reverse("message-media", args=[sent.pk, 0]))
    assert (response.status_code, response["Location"]) == (302, attack)


def test_inbound_media_with_an_unexpected_url_is_not_fetched(client, mms, org_a):
    media = MessageMedia.objects.get()
    MessageMedia.objects.filter(pk=media.pk).update(url=f"{mms.base_url}/2010-04-01/Accounts.json")
    client.force_login(org_a.user)
    assert client.get(reverse("message-media", args=[media.message_id, media.position])).status_code == 404


def test_only_images_audio_and_video_are_served_inline(client, mms, org_a):
    media = MessageMedia.objects.get()
    client.force_login(org_a.user)
    response = client.get(reverse("message-media", args=[media.message_id, media.position]))
    assert response["Content-Disposition"] == "inline"
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_api_token_can_fetch_media_too(client, mms, org_a, org_b):
    from rest_framework.authtoken.models import Token

    media = MessageMedia.objects.get()
    url = reverse("message-media", args=[media.message_id, media.position])
    own = Token.objects.create(user=org_a.user)
    assert client.get(url, headers={"Authorization": f"Token {own.key}"}).status_code == 200
    foreign = Token.objects.create(user=org_b.user)
    assert client.get(url, headers={"Authorization": f"Token {foreign.key}"}).status_code == 404
    assert client.get(url, headers={"Authorization": "Token nope"}).status_code == 401
