"""contact_merge: two contacts of one person become one contact with one conversation."""

import pytest
from django.db import transaction

from conversations.imports import contacts_import_run
from conversations.label_rows import contact_labels_replace, conversation_labels_change
from conversations.labels import label_create
from conversations.merge import contact_merge, referencing_fields
from conversations.models import Contact, ContactAlias, ContactLabel, ContactMerge, Conversation, ConversationLabel
from conversations.services import contact_create, contact_opt_out, note_create
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox import events
from smsinbox.errors import ServiceError
from smsinbox.integrations.catalog import WebhookEventType
from smsinbox.integrations.models import WebhookEvent
from smsinbox.integrations.services import webhook_endpoint_create
from tests.db_errors import refused_by
from tests.twilio_posts import collect_live_events, post_inbound

pytestmark = pytest.mark.django_db

TO = "+14155550001"
MOBILE, WORK = "+14155550101", "+14155550202"


def two_threads(client, setup):
    """The same person texting from two numbers: two contacts, two conversations, notes and labels on each."""
    organization = setup.organization
    keep = contact_create(organization=organization, phone=MOBILE, first_name="Maria")
    merge = contact_create(organization=organization, phone=WORK, last_name="Lopez")
    post_inbound(client, to=TO, from_=MOBILE, body="From my mobile")
    post_inbound(client, to=TO, from_=WORK, body="From work")
    post_inbound(client, to=TO, from_=WORK, body="Work again")
    vip, billing, urgent = (label_create(organization=organization, name=n) for n in ("VIP", "Billing", "Urgent"))
    kept_thread, merged_thread = (Conversation.objects.get(contact=c) for c in (keep, merge))
    conversation_labels_change(conversation=kept_thread, add=[vip])
    conversation_labels_change(conversation=merged_thread, add=[vip, billing])
    contact_labels_replace(contact=keep, labels=[urgent])
    contact_labels_replace(contact=merge, labels=[urgent, billing])
    note_create(conversation=merged_thread, author=setup.user, body="Called from the office, @alice")
    return keep, merge, kept_thread, merged_thread


def test_two_conversations_become_one_with_everything_moved_and_labels_deduplicated(client, org_a):
    keep, merge, kept_thread, merged_thread = two_threads(client, org_a)
    kept = contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)

    assert list(Contact.objects.all()) == [kept]
    assert (kept.first_name, kept.last_name) == ("Maria", "Lopez")  # blanks filled from the merged contact
    [thread] = Conversation.objects.all()
    assert thread.pk == kept_thread.pk
    assert sorted(Message.objects.values_list("body", flat=True)) == ["From my mobile", "From work", "Work again"]
    assert set(Message.objects.values_list("conversation_id", flat=True)) == {thread.pk}
    assert [n.body for n in thread.notes.all()] == ["Called from the office, @alice"]
    assert [n.mention_rows.count() for n in thread.notes.all()] == [1]
    assert sorted(ConversationLabel.objects.values_list("label__name", flat=True)) == ["Billing", "VIP"]
    assert sorted(ContactLabel.objects.values_list("label__name", flat=True)) == ["Billing", "Urgent"]
    assert (thread.unread_count, thread.last_message_preview) == (3, "Work again")
    assert thread.last_message_at == max(kept_thread.last_message_at, merged_thread.last_message_at)
    assert not Conversation.objects.filter(pk=merged_thread.pk).exists()


def test_the_merge_is_audited_and_the_merged_number_is_an_alias(client, org_a):
    keep, merge, *_ = two_threads(client, org_a)
    contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    audit = ContactMerge.objects.get()
    assert (audit.kept_contact_id, audit.merged_contact_id, audit.merged_by, audit.merged_phone) == (
        keep.pk,
        merge.pk,
        org_a.user,
        WORK,
    )
    assert audit.moved["messaging.Message"] == 2
    assert audit.moved["conversations.ConversationLabel (duplicates dropped)"] == 1
    assert audit.merged_at is not None
    assert list(ContactAlias.objects.values_list("phone", "contact_id")) == [(WORK, keep.pk)]


def test_integrations_are_told_of_the_merge(client, org_a):
    keep, merge, *_ = two_threads(client, org_a)
    webhook_endpoint_create(
        organization=org_a.organization, actor=org_a.user, url="https://hooks.example.com/in",
        event_types=[WebhookEventType.CONTACT_MERGED],
    )  # fmt: skip
    merged_id = merge.pk
    contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    (told,) = WebhookEvent.objects.all()
    assert told.type == "contact.merged"
    assert (told.data["id"], told.data["mergedContactId"], told.data["mergedPhone"]) == (keep.pk, merged_id, WORK)
    assert told.data["firstName"] == "Maria"


def test_inbound_from_the_merged_number_lands_in_the_kept_conversation(client, org_a):
    keep, merge, kept_thread, _ = two_threads(client, org_a)
    contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    answer = post_inbound(client, to=TO, from_=WORK, body="Still me, from work")
    assert answer.status_code == 200
    assert Contact.objects.count() == 1
    assert Conversation.objects.get().pk == kept_thread.pk
    assert Message.objects.get(body="Still me, from work").conversation_id == kept_thread.pk


def test_replies_go_to_the_number_the_person_last_texted_from(client, org_a):
    keep, merge, *_ = two_threads(client, org_a)
    kept = contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    reply = message_send(organization=org_a.organization, sender=org_a.user, contact=kept, body="Hi").message
    assert reply.to_number == WORK  # the newest text came from work
    post_inbound(client, to=TO, from_=MOBILE, body="Mobile now")
    reply = message_send(organization=org_a.organization, sender=org_a.user, contact=kept, body="Hi again").message
    assert reply.to_number == MOBILE


def test_nobody_can_save_the_merged_number_as_a_new_contact(client, org_a):
    keep, merge, *_ = two_threads(client, org_a)
    contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    with pytest.raises(ServiceError) as refused:
        contact_create(organization=org_a.organization, phone=WORK)
    assert "already saved as Maria Lopez" in refused.value.message
    with refused_by("contact_phone_not_alias"), transaction.atomic():  # the database itself refuses it
        Contact.objects.create(organization=org_a.organization, phone=WORK)


@pytest.mark.parametrize("opted_out", ["keep", "merge"])
def test_an_opt_out_of_either_contact_is_kept(client, org_a, opted_out):
    keep, merge, *_ = two_threads(client, org_a)
    contact_opt_out(contact=keep if opted_out == "keep" else merge, method=Contact.OptOutMethod.STAFF)
    kept = contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    assert kept.is_opted_out
    assert Contact.objects.get().opt_out_method == Contact.OptOutMethod.STAFF


def test_a_merge_never_opts_anyone_in(client, org_a):
    keep, merge, *_ = two_threads(client, org_a)
    post_inbound(client, to=TO, from_=WORK, body="STOP")
    kept = contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    assert kept.is_opted_out
    assert kept.opt_out_message.body == "STOP"


def test_a_contact_without_a_conversation_takes_the_other_ones(client, org_a):
    organization = org_a.organization
    keep = contact_create(organization=organization, phone=MOBILE, first_name="Maria")
    post_inbound(client, to=TO, from_=WORK, body="Work phone")
    merge = Contact.objects.get(phone=WORK)
    thread = Conversation.objects.get()
    contact_merge(organization=organization, user=org_a.user, keep=keep, merge=merge)
    assert Conversation.objects.get().pk == thread.pk
    assert Conversation.objects.get().contact_id == keep.pk


def test_open_inboxes_drop_the_merged_row_and_refresh_the_kept_one(client, org_a, django_capture_on_commit_callbacks):
    keep, merge, kept_thread, merged_thread = two_threads(client, org_a)

    def merge_them():
        with django_capture_on_commit_callbacks(execute=True):
            contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)

    heard = collect_live_events(org_a.organization.pk, merge_them, quiet=0.2)
    removed = [e["payload"] for e in heard if e["type"] == events.Event.CONVERSATION_REMOVED]
    assert removed == [
        {"organizationId": org_a.organization.pk, "id": merged_thread.pk, "reason": "merged", "into": kept_thread.pk}
    ]
    updated = [e["payload"] for e in heard if e["type"] == events.Event.CONVERSATION_UPDATED]
    assert [(u["id"], u["unreadCount"], u["contactName"]) for u in updated] == [(kept_thread.pk, 3, "Maria Lopez")]


def test_merging_a_contact_into_itself_is_a_clear_refusal(org_a):
    contact = contact_create(organization=org_a.organization, phone=MOBILE)
    with pytest.raises(ServiceError, match="cannot be merged into itself"):
        contact_merge(organization=org_a.organization, user=org_a.user, keep=contact, merge=contact)


def test_contacts_of_two_organizations_are_never_merged(org_a, org_b):
    mine = contact_create(organization=org_a.organization, phone=MOBILE)
    theirs = contact_create(organization=org_b.organization, phone=WORK)
    with pytest.raises(ServiceError, match="same organization"):
        contact_merge(organization=org_a.organization, user=org_a.user, keep=mine, merge=theirs)
    assert Contact.objects.count() == 2


def test_every_model_that_references_a_contact_or_conversation_is_moved():
    """The merge follows the schema: every foreign key to a contact or a conversation, found by Django."""
    names = {f"{f.model._meta.label}.{f.name}" for f in referencing_fields(Contact) + referencing_fields(Conversation)}
    assert {
        "conversations.Conversation.contact",
        "conversations.ContactLabel.contact",
        "conversations.ContactAlias.contact",
        "conversations.ContactMerge.kept_contact",
        "messaging.Message.conversation",
        "conversations.Note.conversation",
        "conversations.ConversationLabel.conversation",
    } <= names


def test_a_text_from_a_merged_number_of_a_contact_without_a_thread_starts_the_kept_contacts(client, org_a):
    organization = org_a.organization
    keep = contact_create(organization=organization, phone=MOBILE, first_name="Maria")
    merge = contact_create(organization=organization, phone=WORK)
    contact_merge(organization=organization, user=org_a.user, keep=keep, merge=merge)
    post_inbound(client, to=TO, from_=WORK, body="Hello")
    assert list(Contact.objects.all()) == [keep]
    assert Conversation.objects.get().contact_id == keep.pk


def test_an_import_skips_a_merged_number(client, org_a):

    keep, merge, *_ = two_threads(client, org_a)
    contact_merge(organization=org_a.organization, user=org_a.user, keep=keep, merge=merge)
    report = contacts_import_run(organization=org_a.organization, data=f"phone,first_name\n{WORK},Work\n".encode())
    assert (report.created, report.duplicates) == (0, 1)
    assert Contact.objects.count() == 1
