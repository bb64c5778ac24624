"""messages_retry: a failed send resent as a new message (text and media), by the code's rule, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.services import contact_create, contact_opt_out_by_staff, conversation_start
from messaging.attachments.models import Attachment, attachments_storage
from messaging.attachments.services import PublicFetch, attachment_public_fetch
from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.services.retry import messages_retry
from smsinbox.errors import ServiceError
from tests.messaging.attachments.helpers import upload
from tests.pipeline import drain_tasks, running_emulator, wait_for

pytestmark = pytest.mark.django_db

MEDIA = ["https://example.com/menu.png", "https://example.com/map.jpg"]


def failed_send(setup, phone="+14155550101", *, code=30003, body="See you at 3", media=(), status="failed"):
    organization = setup.organization
    contact = organization.contacts.filter(phone=phone).first() or contact_create(
        organization=organization, phone=phone
    )
    sent = message_send(
        organization=organization, sender=setup.user, contact=contact, body=body, media_urls=list(media)
    ).message
    Message.objects.filter(pk=sent.pk).update(status=status, error_code=code)
    return sent


def test_a_retryable_failure_is_resent_as_a_new_message_with_its_text_and_media(org_a):
    original = failed_send(org_a, media=MEDIA)
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert result.skipped == []
    [retried] = result.retried
    new = Message.objects.get(pk=retried.new_id)
    assert (retried.id, new.retry_of_id, new.status, new.body) == (original.pk, original.pk, "pending", "See you at 3")
    assert [m.url for m in new.media.all()] == MEDIA
    assert new.num_media == 2
    assert new.idempotency_key == f"retry:{original.pk}:1"
    assert new.sent_by == org_a.user
    event = original.events.get(event_type=MessageEvent.Type.RETRIED)
    assert event.payload == {"retry_id": new.pk, "retry_number": 1, "by": org_a.user.pk}


def test_a_retried_mms_sends_fresh_copies_of_its_attached_files_after_the_originals_url_ended(org_a, settings):
    settings.PUBLIC_BASE_URL = "https://inbox.example.net"
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    conversation = conversation_start(organization=org_a.organization, contact=contact)
    letter = upload(org_a, conversation, name="letter.pdf", content_type="application/pdf", data=b"%PDF-1.4 ok")
    original = message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="Your referral",
        media_urls=["https://example.com/map.png"], attachment_ids=[letter.pk],
    ).message  # fmt: skip
    fetched = timezone.now()
    assert attachment_public_fetch(token=letter.token, now=fetched)[0] is PublicFetch.SERVED  # Twilio fetched it
    Message.objects.filter(pk=original.pk).update(status="undelivered", error_code=30003)
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    new = Message.objects.get(pk=result.retried[0].new_id)
    media = list(new.media.order_by("position"))
    copy = Attachment.objects.get(message=new)
    assert [m.url for m in media] == [
        "https://example.com/map.png",
        f"{settings.PUBLIC_BASE_URL}/m/{copy.token}/letter.pdf",
    ]
    assert [m.content_type for m in media] == ["", "application/pdf"]
    assert copy.token != letter.token
    assert copy.file.name != letter.file.name
    later = fetched + timedelta(minutes=30)  # the original's URL is over; the copy's is not
    assert attachment_public_fetch(token=letter.token, now=later)[0] is PublicFetch.GONE
    served, attachment = attachment_public_fetch(token=copy.token, now=later)
    assert served is PublicFetch.SERVED
    with attachment.file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 ok"


def failed_mms(setup):
    """A picture sent through an upload (``PUBLIC_BASE_URL`` set by the caller), then failed: (message, upload)."""
    contact = contact_create(organization=setup.organization, phone="+14155550101")
    photo = upload(setup, conversation_start(organization=setup.organization, contact=contact))
    original = message_send(
        organization=setup.organization, sender=setup.user, contact=contact, body="", attachment_ids=[photo.pk]
    ).message
    Message.objects.filter(pk=original.pk).update(status="failed", error_code=30003)
    return original, photo


def test_a_retry_whose_attached_file_is_gone_is_refused_and_stores_nothing(org_a, settings):
    settings.PUBLIC_BASE_URL = "https://inbox.example.net"
    original, photo = failed_mms(org_a)
    photo.file.storage.delete(photo.file.name)
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert result.retried == []
    assert "no longer stored" in result.skipped[0].message
    assert Attachment.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_refused_retry_leaves_no_copy_of_its_files_in_storage(org_a, settings):
    settings.PUBLIC_BASE_URL = "https://inbox.example.net"
    original, photo = failed_mms(org_a)
    storage, folder = attachments_storage(), photo.file.name.split("/", 1)[0]

    def stored() -> list[str]:
        return [name for sub in storage.listdir(folder)[0] for name in storage.listdir(f"{folder}/{sub}")[1]]

    before = sorted(stored())  # this organization's stored files (earlier tests' too: storage outlives them)
    settings.PUBLIC_BASE_URL = ""  # message_send refuses attachments then: after the copy was stored
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert "PUBLIC_BASE_URL" in result.skipped[0].message
    assert sorted(stored()) == before  # the copy's file is deleted with its rolled-back row
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        (21610, "failed", "not_retryable"),
        (21211, "failed", "not_retryable"),
        (21614, "failed", "not_retryable"),
        (30006, "undelivered", "not_retryable"),
        (30007, "undelivered", "not_retryable"),
        (30034, "failed", "not_retryable"),
        (None, "failed", "not_retryable"),
    ],
)
def test_a_permanent_refusal_is_skipped_with_its_meaning(org_a, code, status, reason):
    original = failed_send(org_a, code=code, status=status)
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert result.retried == []
    [skip] = result.skipped
    assert (skip.id, skip.reason, skip.code) == (original.pk, reason, code)
    assert skip.message.startswith("Not retried")
    assert Message.objects.count() == 1


def test_an_opted_out_contact_is_never_retried_even_for_a_retryable_code(org_a):
    original = failed_send(org_a, code=30003)
    contact_opt_out_by_staff(contact=original.conversation.contact)
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert [(s.reason, s.code) for s in result.skipped] == [("opted_out", 30003)]
    assert Message.objects.count() == 1


def test_a_message_that_did_not_fail_or_was_received_is_skipped(org_a):
    sent = message_send(
        organization=org_a.organization,
        sender=org_a.user,
        contact=contact_create(organization=org_a.organization, phone="+14155550102"),
        body="on its way",
    ).message
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[sent.pk])
    assert [s.reason for s in result.skipped] == ["not_failed"]


def test_retrying_twice_texts_once_until_the_retry_itself_fails(org_a):
    original = failed_send(org_a)
    first = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk, original.pk])
    assert len(first.retried) == 1  # the same id twice in one request: once
    again = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert [s.reason for s in again.skipped] == ["already_retried"]  # a double click: the retry is on its way
    assert Message.objects.filter(retry_of=original).count() == 1
    assert original.events.filter(event_type=MessageEvent.Type.RETRIED).count() == 1
    Message.objects.filter(pk=first.retried[0].new_id).update(status="failed", error_code=30003)
    third = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk])
    assert Message.objects.get(pk=third.retried[0].new_id).idempotency_key == f"retry:{original.pk}:2"


def test_another_organizations_messages_are_skipped_as_not_found_and_left_alone(org_a, org_b):
    theirs = failed_send(org_b, "+14155550101")
    result = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[theirs.pk, 999_999])
    assert [(s.id, s.reason, s.code) for s in result.skipped] == [
        (theirs.pk, "not_found", None),
        (999_999, "not_found", None),
    ]
    assert all(s.message == "No such message." for s in result.skipped)
    assert Message.objects.count() == 1
    assert not theirs.events.filter(event_type=MessageEvent.Type.RETRIED).exists()


@pytest.mark.parametrize("ids", [[], ["1"], [True], [0], list(range(1, 102))])
def test_unusable_ids_are_refused(org_a, ids):
    with pytest.raises(ServiceError):
        messages_retry(organization=org_a.organization, user=org_a.user, message_ids=ids)


@pytest.mark.django_db(transaction=True)
def test_the_retry_reaches_twilio_with_the_original_media(settings, live_server, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    original = failed_send(org_a, media=MEDIA)
    with running_emulator(settings, numbers=["+14155550001"]) as emulator:
        drain_tasks()  # the original's own delivery task finds it already failed and sends nothing
        assert emulator.messages() == []
        [retried] = messages_retry(organization=org_a.organization, user=org_a.user, message_ids=[original.pk]).retried
        drain_tasks()
        new = Message.objects.get(pk=retried.new_id)
        wait_for(lambda: Message.objects.get(pk=new.pk).twilio_sid)
        [sent] = emulator.messages()
        assert (sent["to"], sent["body"], sent["num_media"]) == ("+14155550101", "See you at 3", "2")
        assert [m.source_url for m in emulator.state._get(sent["sid"]).media] == MEDIA
