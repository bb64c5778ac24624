"""Attachments' routes: the composer's upload, the staff preview, the public URL Twilio fetches, the thread's
media route, and ``attachmentIds`` on the send routes (API and page)."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from messaging.attachments.models import Attachment
from messaging.models import Message, MessageMedia
from messaging.services.outbound import message_send
from tests.messaging.attachments.helpers import PNG, upload

pytestmark = pytest.mark.django_db

BASE = "https://inbox.example.net"


@pytest.fixture(autouse=True)
def public_base(settings):
    settings.PUBLIC_BASE_URL = BASE


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_upload_answers_the_chip_and_previews_for_the_organization_only(client, org_a, org_b, conversation_a):
    client.force_login(org_a.user)
    url = reverse("attachment-upload", args=[conversation_a.pk])
    response = client.post(url, {"file": SimpleUploadedFile("cat.png", PNG, content_type="image/png")})
    assert response.status_code == 201
    data = response.json()
    attachment = Attachment.objects.get()
    assert data == {
        "id": attachment.pk,
        "name": "cat.png",
        "size": len(PNG),
        "contentType": "image/png",
        "thumbnailUrl": reverse("attachment-preview", args=[attachment.pk]),
    }
    preview = client.get(data["thumbnailUrl"])
    assert preview.status_code == 200
    assert body_of(preview) == PNG
    assert preview["X-Content-Type-Options"] == "nosniff"
    other = Client()
    other.force_login(org_b.user)
    assert other.get(data["thumbnailUrl"]).status_code == 404
    assert other.post(url, {"file": SimpleUploadedFile("x.png", PNG, content_type="image/png")}).status_code == 404


def test_upload_refusals_are_clear_400s(client, org_a, conversation_a):
    client.force_login(org_a.user)
    url = reverse("attachment-upload", args=[conversation_a.pk])
    assert client.post(url, {}).json() == {"error": "Choose a file to attach.", "code": "invalid"}
    response = client.post(url, {"file": SimpleUploadedFile("x.html", b"<p>", content_type="text/html")})
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_type"
    assert "text/html" in response.json()["error"]
    assert not Attachment.objects.exists()


def test_upload_needs_a_session_and_csrf(org_a, conversation_a):
    url = reverse("attachment-upload", args=[conversation_a.pk])
    assert Client().post(url, {}).status_code == 302  # to the login page
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org_a.user)
    assert strict.post(url, {"file": SimpleUploadedFile("c.png", PNG, content_type="image/png")}).status_code == 403


def test_the_public_url_serves_then_is_gone_and_a_bad_token_is_404(org_a, conversation_a):
    attachment = upload(org_a, conversation_a)
    message_send(
        organization=org_a.organization,
        sender=org_a.user,
        contact=conversation_a.contact,
        body="",
        attachment_ids=[attachment.pk],
    )
    media = MessageMedia.objects.get()
    path = media.url.removeprefix(BASE)
    anonymous = Client()
    assert anonymous.get(path.removesuffix("photo.png") + "other.png").status_code == 404
    attachment.refresh_from_db()
    assert attachment.first_fetched_at is None  # a wrong name starts no countdown
    served = anonymous.get(path)
    assert served.status_code == 200
    assert body_of(served) == PNG
    assert served["Content-Type"] == "image/png"
    assert served["Cache-Control"] == "no-store"
    assert anonymous.get(path.replace(attachment.token, "A" * len(attachment.token))).status_code == 404
    assert anonymous.get(path.removesuffix("photo.png") + "other.png").status_code == 404
    attachment.refresh_from_db()
    Attachment.objects.filter(pk=attachment.pk).update(expires_at=attachment.first_fetched_at - timedelta(seconds=1))
    assert anonymous.get(path).status_code == 410


def test_staff_see_a_sent_attachment_through_the_authenticated_media_route(client, org_a, org_b, conversation_a):
    attachment = upload(org_a, conversation_a)
    message = message_send(
        organization=org_a.organization,
        sender=org_a.user,
        contact=conversation_a.contact,
        body="",
        attachment_ids=[attachment.pk],
    ).message
    route = reverse("message-media", args=[message.pk, 0])
    client.force_login(org_a.user)
    response = client.get(route)
    assert response.status_code == 200
    assert body_of(response) == PNG
    attachment.refresh_from_db()
    assert attachment.first_fetched_at is None  # staff viewing it does not start the public URL's countdown
    page = client.get(reverse("inbox-thread", args=[conversation_a.pk])).content.decode()
    assert route in page
    assert attachment.token not in page
    other = Client()
    other.force_login(org_b.user)
    assert other.get(route).status_code == 404


@pytest.mark.parametrize("route", ["send", "reply"])
def test_the_api_sends_attachment_ids(org_a, conversation_a, route):
    attachment = upload(org_a, conversation_a)
    token = Token.objects.create(user=org_a.user)
    api = Client(headers={"Authorization": f"Token {token.key}"})
    path, extra = (
        ("/api/sms/send", {"contactId": conversation_a.contact_id})
        if route == "send"
        else (f"/api/conversations/{conversation_a.pk}/messages", {})
    )
    response = api.post(
        path, json.dumps({**extra, "message": "", "attachmentIds": [attachment.pk]}), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert message.num_media == 1
    again = api.post(path, json.dumps({**extra, "attachmentIds": [attachment.pk]}), content_type="application/json")
    assert again.status_code == 400
    assert again.json()["code"] == "already_sent"
    bad = api.post(path, json.dumps({**extra, "attachmentIds": ["x"]}), content_type="application/json")
    assert bad.status_code == 400


def test_the_page_send_takes_attachment_ids(client, org_a, conversation_a):
    attachment = upload(org_a, conversation_a)
    client.force_login(org_a.user)
    client.post(reverse("inbox-send", args=[conversation_a.pk]), {"body": "", "attachment_ids": [str(attachment.pk)]})
    assert Message.objects.get().num_media == 1
