"""Attachments' services: upload checks, tenancy, sending with attachments, the public URL's life, cleanup."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.attachments.models import Attachment, attachments_storage
from messaging.attachments.rules import MAX_TOTAL_BYTES
from messaging.attachments.services import (
    PublicFetch,
    attachment_public_fetch,
    attachments_cleanup,
)
from messaging.models import MessageMedia
from messaging.services.outbound import message_send
from smsinbox.errors import ServiceError
from tests.messaging.attachments.helpers import PNG, upload

pytestmark = pytest.mark.django_db

BASE = "https://inbox.example.net"


@pytest.fixture(autouse=True)
def public_base(settings):
    settings.PUBLIC_BASE_URL = BASE


def send(org, conversation, ids, **kwargs):
    return message_send(
        organization=org.organization,
        sender=org.user,
        contact=conversation.contact,
        body="",
        attachment_ids=ids,
        **kwargs,
    ).message


def test_an_upload_is_stored_through_the_storage_api(org_a, conversation_a):
    attachment = upload(org_a, conversation_a, name="../../etc/My Photo.png")
    assert attachment.name == "My_Photo.png"
    assert attachment.size == len(PNG)
    assert attachment.content_type == "image/png"
    assert attachment.message_id is None
    assert len(attachment.token) >= 40
    with attachments_storage().open(attachment.file.name) as stored:
        assert stored.read() == PNG


@pytest.mark.parametrize(
    ("name", "content_type", "data", "code"),
    [
        ("page.html", "text/html", b"<p>hi</p>", "unsupported_type"),
        ("run.exe", "application/octet-stream", b"MZ", "unsupported_type"),
        ("empty.png", "image/png", b"", "invalid"),
        ("huge.jpg", "image/jpeg", b"\xff" * (MAX_TOTAL_BYTES + 1), "too_large"),
    ],
)
def test_uploads_twilio_cannot_send_are_refused(org_a, conversation_a, name, content_type, data, code):
    with pytest.raises(ServiceError) as refused:
        upload(org_a, conversation_a, name=name, content_type=content_type, data=data)
    assert refused.value.code == code
    assert name.split(".")[0] in refused.value.message
    assert not Attachment.objects.exists()


def test_other_accepted_types_upload(org_a, conversation_a):
    assert upload(org_a, conversation_a, name="menu.pdf", content_type="application/pdf", data=b"%PDF-1.4").pk
    assert upload(org_a, conversation_a, name="me.vcf", content_type="text/vcard", data=b"BEGIN:VCARD").pk
    assert upload(org_a, conversation_a, name="x.jpg", content_type="image/JPG", data=b"\xff\xd8").content_type == (
        "image/jpeg"
    )


def test_an_upload_to_another_organizations_conversation_is_not_found(org_a, org_b, conversation_a):
    with pytest.raises(ServiceError) as refused:
        upload(org_b, conversation_a)
    assert refused.value.code == "not_found"


def test_a_send_hands_twilio_public_urls_and_keeps_media_rows(org_a, conversation_a):
    first, second = upload(org_a, conversation_a), upload(org_a, conversation_a, name="b.gif", content_type="image/gif")
    message = send(org_a, conversation_a, [first.pk, second.pk], media_urls=["https://example.com/pasted.png"])
    assert message.num_media == 3
    media = list(MessageMedia.objects.filter(message=message).order_by("position"))
    assert [m.url for m in media] == [
        "https://example.com/pasted.png",
        f"{BASE}/m/{first.token}/photo.png",
        f"{BASE}/m/{second.token}/b.gif",
    ]
    assert [m.content_type for m in media] == ["", "image/png", "image/gif"]
    first.refresh_from_db()
    assert (first.message_id, first.position) == (message.pk, 1)
    assert first.expires_at - first.sent_at == timedelta(hours=24)
    conversation_a.refresh_from_db()
    assert conversation_a.last_message_preview


def test_an_attachment_is_sent_once(org_a, conversation_a):
    attachment = upload(org_a, conversation_a)
    send(org_a, conversation_a, [attachment.pk])
    with pytest.raises(ServiceError) as refused:
        send(org_a, conversation_a, [attachment.pk])
    assert refused.value.code == "already_sent"


def test_attachments_of_another_conversation_or_organization_are_not_found(org_a, org_b, conversation_a):
    from conversations.services import contact_get_or_create, conversation_get_or_create

    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550199")
    other, _ = conversation_get_or_create(
        organization=org_a.organization, contact=contact, phone_number=org_a.organization.phone_numbers.get()
    )
    elsewhere = upload(org_a, other)
    with pytest.raises(ServiceError) as refused:
        send(org_a, conversation_a, [elsewhere.pk])
    assert (refused.value.code, refused.value.field) == ("not_found", "attachmentIds")
    theirs_contact, _ = contact_get_or_create(organization=org_b.organization, e164="+14155550101")
    with pytest.raises(ServiceError):
        message_send(
            organization=org_b.organization,
            sender=org_b.user,
            contact=theirs_contact,
            body="",
            attachment_ids=[elsewhere.pk],
        )
    assert not Attachment.objects.exclude(message=None).exists()


def test_more_than_5_mb_in_all_is_refused_clearly(org_a, conversation_a):
    big = b"\xff\xd8" + b"\x00" * (3 * 1024 * 1024)
    ids = [upload(org_a, conversation_a, name=f"{n}.jpg", content_type="image/jpeg", data=big).pk for n in range(2)]
    with pytest.raises(ServiceError) as refused:
        send(org_a, conversation_a, ids)
    assert refused.value.code == "too_large"
    assert "6.0 MB" in refused.value.message
    assert "5.0 MB" in refused.value.message
    assert "smaller" in refused.value.message
    assert not MessageMedia.objects.exists()


def test_the_public_url_lives_until_ten_minutes_after_the_first_fetch(org_a, conversation_a):
    attachment = upload(org_a, conversation_a)
    assert attachment_public_fetch(token=attachment.token)[0] is PublicFetch.NOT_FOUND  # unsent: never public
    send(org_a, conversation_a, [attachment.pk])
    attachment.refresh_from_db()
    fetched_at = attachment.sent_at + timedelta(seconds=5)
    assert attachment_public_fetch(token=attachment.token, now=fetched_at)[0] is PublicFetch.SERVED
    attachment.refresh_from_db()
    assert attachment.first_fetched_at == fetched_at
    assert attachment.expires_at == fetched_at + timedelta(minutes=10)
    later = fetched_at + timedelta(minutes=9)
    assert attachment_public_fetch(token=attachment.token, now=later)[0] is PublicFetch.SERVED  # a retry by Twilio
    attachment.refresh_from_db()
    assert attachment.first_fetched_at == fetched_at  # the first fetch counts, not the last
    gone = fetched_at + timedelta(minutes=10)
    assert attachment_public_fetch(token=attachment.token, now=gone)[0] is PublicFetch.GONE
    assert attachment_public_fetch(token="x" + attachment.token[1:], now=later)[0] is PublicFetch.NOT_FOUND


def test_an_unfetched_public_url_ends_24_hours_after_the_send(org_a, conversation_a):
    attachment = upload(org_a, conversation_a)
    send(org_a, conversation_a, [attachment.pk])
    attachment.refresh_from_db()
    assert attachment_public_fetch(token=attachment.token, now=attachment.sent_at + timedelta(hours=23))[0] == (
        PublicFetch.SERVED
    )
    attachment.refresh_from_db()
    assert attachment.expires_at == attachment.sent_at + timedelta(hours=23, minutes=10)
    other = upload(org_a, conversation_a)
    send(org_a, conversation_a, [other.pk])
    other.refresh_from_db()
    assert attachment_public_fetch(token=other.token, now=other.sent_at + timedelta(hours=24))[0] is PublicFetch.GONE


def test_a_scheduled_send_keeps_the_url_until_a_day_after_its_time(org_a, conversation_a):
    attachment = upload(org_a, conversation_a)
    send_at = timezone.now() + timedelta(days=2)
    send(org_a, conversation_a, [attachment.pk], send_at=send_at)
    attachment.refresh_from_db()
    assert attachment.expires_at == send_at + timedelta(hours=24)


def test_cleanup_deletes_old_unsent_uploads_and_their_files(org_a, conversation_a):
    old, fresh, sent = (upload(org_a, conversation_a) for _ in range(3))
    send(org_a, conversation_a, [sent.pk])
    Attachment.objects.filter(pk__in=[old.pk, sent.pk]).update(created_at=timezone.now() - timedelta(hours=25))
    storage = attachments_storage()
    assert storage.exists(old.file.name)
    assert attachments_cleanup() == 1
    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, sent.pk}
    assert not storage.exists(old.file.name)
    assert storage.exists(fresh.file.name)
    assert storage.exists(sent.file.name)
    assert attachments_cleanup(now=timezone.now() + timedelta(hours=25)) == 1  # fresh, a day later


@pytest.mark.django_db(transaction=True)  # the command closes its connection between sweeps
def test_the_cleanup_command_sweeps_as_of_a_given_moment(org_a, conversation_a):
    from io import StringIO

    from django.core.management import call_command

    upload(org_a, conversation_a)
    out = StringIO()
    call_command("attachments_cleanup", stdout=out)
    assert out.getvalue().strip() == "deleted 0"
    call_command("attachments_cleanup", "--now", (timezone.now() + timedelta(hours=25)).isoformat(), stdout=out)
    assert out.getvalue().split() == ["deleted", "0", "deleted", "1"]
    assert not Attachment.objects.exists()
