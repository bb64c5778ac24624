"""contact_erase: nothing of the contact left in any table, its cached media gone, Twilio's copies deleted
through the emulator, and an audit row that names nobody."""

from collections import defaultdict

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import models
from django.db.models.functions import Cast

from conversations.label_rows import contact_labels_replace, conversation_labels_change
from conversations.labels import label_create
from conversations.merge import contact_merge, referencing_fields
from conversations.models import Contact, ContactErasure, Conversation
from conversations.services import contact_create, contact_update, note_create
from messaging.media import media_content
from messaging.models import MessageMedia
from messaging.services.erase import contact_erase, erasure_twilio_delete
from messaging.services.outbound import message_send
from messaging.twilio.emulator import MediaFile
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.models import WebhookEvent
from smsinbox.integrations.services import webhook_endpoint_create
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from tests.pipeline import drain_tasks, running_emulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

OURS = "+14155550001"
MOBILE, WORK, OTHER = "+14155550101", "+14155550202", "+14155550303"
NAME = "Zebediah"  # in no other row of the test database


@pytest.fixture
def twilio(settings, live_server, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    caches["media"].clear()
    with running_emulator(settings, numbers=[OURS]) as emulator:
        yield emulator


def the_whole_person(twilio, setup):
    """A contact with everything a contact can have: texts both ways with media (cached), a merged number,
    notes with mentions, labels on the thread and the contact, outgoing webhook events naming them."""
    organization, user = setup.organization, setup.user
    contact = contact_create(organization=organization, phone=MOBILE, first_name=NAME)
    twilio.send_inbound(from_=MOBILE, to=OURS, body="Here is my x-ray", media_urls=[MediaFile("image/jpeg", b"xray")])
    twilio.send_inbound(from_=WORK, to=OURS, body=f"{NAME} from work")
    contact_merge(organization=organization, user=user, keep=contact, merge=Contact.objects.get(phone=WORK))
    message_send(organization=organization, sender=user, contact=contact, body="Thanks, got it")
    drain_tasks()
    assert twilio.wait_idle(10)  # the status callbacks are in
    for media in MessageMedia.objects.all():
        media_content(media=media)  # fetched and cached on disk
    thread = Conversation.objects.get(contact=contact)
    webhook_endpoint_create(  # its deliveries are not run here (they would go to the internet)
        organization=organization,
        actor=user,
        url="https://hooks.example.com/in",
        event_types=[t for t in WebhookEventType if t != WebhookEventType.CONTACT_ERASED],  # see the test of that one
    )
    contact_update(contact=contact, last_name="Quux")
    note_create(conversation=thread, author=user, body=f"{NAME} is nervous, @alice")
    vip = label_create(organization=organization, name="VIP")
    conversation_labels_change(conversation=thread, add=[vip])
    contact_labels_replace(contact=contact, labels=[vip])
    return Contact.objects.get(pk=contact.pk)


def reachable(model, pks):
    """Every row that references these rows, and the rows that reference those, …: by the schema, so a model
    added later is checked too."""
    found: dict = defaultdict(set)
    queue = [(model, set(pks))]
    while queue:
        model, pks = queue.pop()
        new = pks - found[model]
        if not new:
            continue
        found[model] |= new
        for field in referencing_fields(model):
            rows = set(field.model._base_manager.filter(**{f"{field.name}__in": new}).values_list("pk", flat=True))
            if rows:
                queue.append((field.model, rows))
    return found


def rows_mentioning(text):
    """Every row of every table with a text or JSON column containing ``text``."""
    hits = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                found = model._base_manager.annotate(_t=Cast(field.name, models.TextField())).filter(_t__contains=text)
                hits += [f"{model._meta.label}.{field.name}"] * found.count()
    return hits


def test_nothing_of_the_contact_is_left_in_any_table(twilio, org_a):
    contact = the_whole_person(twilio, org_a)
    before = reachable(Contact, {contact.pk})
    labels = {m._meta.label for m, pks in before.items() if pks}
    assert {
        "conversations.Contact",
        "conversations.Conversation",
        "conversations.ContactAlias",
        "conversations.ContactMerge",
        "conversations.ContactLabel",
        "conversations.ConversationLabel",
        "conversations.Note",
        "conversations.NoteMention",
        "messaging.Message",
        "messaging.MessageMedia",
        "messaging.MessageEvent",
    } <= labels  # the test's person has a row in every kind of table there is
    assert rows_mentioning(MOBILE)
    assert rows_mentioning(NAME)
    assert WebhookEvent.objects.exists()

    erasure = contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)

    left = {m._meta.label: m._base_manager.filter(pk__in=pks).count() for m, pks in before.items()}
    assert set(left.values()) == {0}, left
    for number in (MOBILE, WORK):
        assert rows_mentioning(number) == []
    assert rows_mentioning(NAME) == []
    assert not WebhookEvent.objects.exists()
    assert erasure.removed["messaging.Message"] == 3
    assert erasure.removed["conversations.Contact"] == 1
    assert erasure.webhook_events_removed > 0


def test_integrations_are_told_the_erased_id_and_nothing_else(org_a):
    contact = contact_create(organization=org_a.organization, phone=MOBILE, first_name=NAME)
    webhook_endpoint_create(
        organization=org_a.organization, actor=org_a.user, url="https://hooks.example.com/in",
        event_types=list(WebhookEventType),
    )  # fmt: skip
    contact_update(contact=contact, last_name="Quux")  # a contact.updated naming them
    erasure = contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)
    (told,) = WebhookEvent.objects.all()  # the events naming them are gone; this one says only who went
    assert (told.type, told.data) == ("contact.erased", {"contactId": contact.pk, "erasedAt": told.data["erasedAt"]})
    assert told.data["erasedAt"].startswith(erasure.erased_at.strftime("%Y-%m-%dT%H:%M"))


def test_cached_media_files_are_deleted(twilio, org_a):
    contact = the_whole_person(twilio, org_a)
    [media] = MessageMedia.objects.all()
    assert caches["media"].get(f"media:{media.pk}") is not None
    erasure = contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)
    assert caches["media"].get(f"media:{media.pk}") is None
    assert erasure.media_files_removed == 1


def test_twilios_copies_are_deleted_and_the_outcome_recorded(twilio, org_a):
    contact = the_whole_person(twilio, org_a)
    assert len(twilio.messages()) == 3
    erasure = contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)
    assert (erasure.twilio_status, len(erasure.twilio_pending)) == ("pending", 3)
    drain_tasks()
    wait_for(lambda: ContactErasure.objects.get().twilio_status == "done")
    assert twilio.messages() == []
    erasure.refresh_from_db()
    assert (erasure.twilio_deleted, erasure.twilio_failed, erasure.twilio_pending) == (3, 0, [])
    assert erasure.twilio_finished_at is not None


def test_a_transient_twilio_failure_is_retried(twilio, org_a, settings):
    contact = the_whole_person(twilio, org_a)
    erasure = contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)
    reachable_at = settings.TWILIO_API_BASE_URL
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    assert erasure_twilio_delete(erasure_id=erasure.pk) == "3 to retry"
    erasure.refresh_from_db()
    assert (erasure.twilio_status, erasure.twilio_attempts, len(erasure.twilio_pending)) == ("pending", 1, 3)
    assert "could not be reached" in erasure.twilio_error
    settings.TWILIO_API_BASE_URL = reachable_at
    assert erasure_twilio_delete(erasure_id=erasure.pk) == "done"
    assert twilio.messages() == []


def test_the_audit_row_names_nobody(twilio, org_a):
    contact = the_whole_person(twilio, org_a)
    erasure = contact_erase(organization=org_a.organization, user=org_a.user, contact=contact)
    drain_tasks()
    erasure.refresh_from_db()
    assert (erasure.erased_by, erasure.erased_contact_id, erasure.organization) == (
        org_a.user,
        contact.pk,
        org_a.organization,
    )
    stored = str({f.attname: getattr(erasure, f.attname) for f in ContactErasure._meta.concrete_fields})
    for content in (MOBILE, WORK, "4155550101", NAME, "x-ray", "Thanks"):
        assert content not in stored


def test_only_admins_erase(twilio, org_a):
    contact = the_whole_person(twilio, org_a)
    agent = User.objects.create_user("agent", password="pw-agent-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    with pytest.raises(ServiceError) as refused:
        contact_erase(organization=org_a.organization, user=agent, contact=contact)
    assert refused.value.code == "forbidden"
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_contact_of_another_organization_is_not_found(org_a, org_b):
    theirs = contact_create(organization=org_b.organization, phone=OTHER)
    with pytest.raises(ServiceError) as refused:
        contact_erase(organization=org_a.organization, user=org_a.user, contact=theirs)
    assert refused.value.code == "not_found"
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_attached_files_are_deleted_sent_or_not(org_a, conversation_a, settings):
    from messaging.attachments.models import Attachment, attachments_storage
    from tests.messaging.attachments.helpers import upload

    settings.PUBLIC_BASE_URL = "https://inbox.example.net"
    sent, unsent = upload(org_a, conversation_a), upload(org_a, conversation_a)
    message_send(
        organization=org_a.organization,
        sender=org_a.user,
        contact=conversation_a.contact,
        body="",
        attachment_ids=[sent.pk],
    )
    storage = attachments_storage()
    assert storage.exists(sent.file.name)
    assert storage.exists(unsent.file.name)
    contact_erase(organization=org_a.organization, user=org_a.user, contact=conversation_a.contact)
    assert not Attachment.objects.exists()
    assert not storage.exists(sent.file.name)
    assert not storage.exists(unsent.file.name)
