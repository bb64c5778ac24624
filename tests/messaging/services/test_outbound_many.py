"""``message_send_many``: each text as ``message_send`` would store it, set-based."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.models import Contact, Conversation, ConversationEvent
from conversations.services import contact_create, contact_opt_out, conversation_set_status, conversation_start
from conversations.snooze import conversation_snooze
from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.services.outbound_many import Outgoing, message_send_many
from tests.twilio_posts import collect_live_events


def people(org_a, n: int, start: int = 101) -> list[Contact]:
    return [contact_create(organization=org_a.organization, phone=f"+1415555{i:04d}") for i in range(start, start + n)]


def deliveries() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="message_deliver_task").count()


@pytest.mark.django_db
def test_each_text_lands_as_message_send_would_store_it(org_a):
    """One text through each path, to two contacts in the same state: the same row but for its own fields."""
    one, other = people(org_a, 2)
    single = message_send(
        organization=org_a.organization, sender=None, contact=one, body="Hi 🌷 there", idempotency_key="k-1",
        confirm=True,
    ).message  # fmt: skip
    (many,) = message_send_many(
        organization=org_a.organization, outgoing=[Outgoing(contact=other, body="Hi 🌷 there", idempotency_key="k-2")]
    )
    assert many.created
    assert many.refusal is None
    fields = ("direction", "from_number", "body", "status", "num_segments", "encoding", "num_media", "automatic",
              "send_at", "sent_by_id")  # fmt: skip
    stored = Message.objects.get(pk=many.message.pk)
    assert [getattr(stored, f) for f in fields] == [getattr(single, f) for f in fields]
    assert (stored.to_number, stored.encoding) == ("+14155550102", "UCS-2")
    assert stored.conversation.contact_id == other.pk
    events = [MessageEvent.objects.get(message=m, event_type="created") for m in (single, stored)]
    assert events[0].payload == events[1].payload
    assert deliveries() == 2
    conversation = Conversation.objects.get(contact=other)
    assert (conversation.last_message_preview, conversation.status) == ("Hi 🌷 there", "open")


@pytest.mark.django_db
def test_a_batch_is_a_few_statements_not_a_few_per_text(org_a):
    contacts = people(org_a, 30)
    for contact in contacts[:10]:
        conversation_start(organization=org_a.organization, contact=contact)  # some have a conversation already
    outgoing = [Outgoing(contact=c, body=f"Hello {i}", idempotency_key=f"q-{i}") for i, c in enumerate(contacts)]
    with CaptureQueriesContext(connection) as queries:
        sent = message_send_many(organization=org_a.organization, outgoing=outgoing)
    assert all(s.created for s in sent)
    assert Message.objects.count() == 30
    assert Conversation.objects.count() == 30
    tasks = sum(1 for q in queries.captured_queries if "django_tasks_database_dbtaskresult" in q["sql"])
    assert tasks == 30  # one task row a text (django-tasks' API enqueues one at a time)
    assert len(queries.captured_queries) - tasks <= 20, [q["sql"][:90] for q in queries.captured_queries]
    previews = dict(Conversation.objects.values_list("contact_id", "last_message_preview"))
    assert [previews[c.pk] for c in contacts] == [f"Hello {i}" for i in range(30)]


@pytest.mark.django_db
def test_refusals_store_nothing_for_that_text_and_the_rest_is_sent(org_a, org_b):
    ok, opted, landline, long_one, placeholder = people(org_a, 5)
    contact_opt_out(contact=opted, method=Contact.OptOutMethod.KEYWORD, keyword="STOP")
    Contact.objects.filter(pk=landline.pk).update(
        line_type=Contact.LineType.LANDLINE, line_type_checked_at=timezone.now()
    )
    stranger = contact_create(organization=org_b.organization, phone="+14155550199")
    foreign_number = org_b.organization.phone_numbers.get()
    outgoing = [
        Outgoing(contact=ok, body="Hi", idempotency_key="r-1"),
        Outgoing(contact=opted, body="Hi", idempotency_key="r-2"),
        Outgoing(contact=landline, body="Hi", idempotency_key="r-3"),
        Outgoing(contact=long_one, body="x" * 1601, idempotency_key="r-4"),
        Outgoing(contact=placeholder, body="See you at [[time]]", idempotency_key="r-5"),
        Outgoing(contact=stranger, body="Hi", idempotency_key="r-6"),
        Outgoing(contact=ok, body="Hi", idempotency_key="r-7", from_number=foreign_number),
    ]
    sent = message_send_many(organization=org_a.organization, outgoing=outgoing)
    assert [s.refusal.code if s.refusal else "sent" for s in sent] == [
        "sent", "opted_out", "landline", "invalid", "placeholder", "not_found", "not_found",
    ]  # fmt: skip
    assert "opted out" in sent[1].refusal.message
    assert Message.objects.count() == 1
    assert deliveries() == 1
    assert not Conversation.objects.filter(contact=stranger).exists()
    # A refused text starts no conversation (message_send's refusal rolls its start back).
    assert list(Conversation.objects.values_list("contact_id", flat=True)) == [ok.pk]


@pytest.mark.django_db
def test_a_repeated_key_answers_the_first_message_and_texts_nobody_again(org_a):
    (contact,) = people(org_a, 1)
    first = message_send_many(organization=org_a.organization, outgoing=[Outgoing(contact, "Hi", "same")])[0]
    contact_opt_out(contact=contact, method=Contact.OptOutMethod.KEYWORD, keyword="STOP")  # a repeat comes first
    again = message_send_many(organization=org_a.organization, outgoing=[Outgoing(contact, "Hi", "same")])[0]
    assert (again.message.pk, again.created, again.refusal) == (first.message.pk, False, None)
    assert Message.objects.count() == 1
    assert deliveries() == 1


@pytest.mark.django_db
def test_a_closed_thread_reopens_and_a_snoozed_one_stays_snoozed(org_a):
    closed, snoozed = people(org_a, 2)
    for contact in (closed, snoozed):
        message_send(organization=org_a.organization, sender=None, contact=contact, body="First", confirm=True)
    conversation_set_status(conversation=Conversation.objects.get(contact=closed), status="closed")
    conversation_snooze(
        conversation=Conversation.objects.get(contact=snoozed), user=org_a.user,
        until=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    versions = dict(Conversation.objects.values_list("contact_id", "version"))
    message_send_many(
        organization=org_a.organization,
        outgoing=[Outgoing(closed, "Again", "c-1"), Outgoing(snoozed, "Again", "c-2")],
    )
    rows = {c.contact_id: c for c in Conversation.objects.all()}
    assert (rows[closed.pk].status, rows[snoozed.pk].status) == ("open", "snoozed")
    assert all(rows[pk].version == versions[pk] + 1 for pk in versions)  # one UPDATE each
    assert ConversationEvent.objects.filter(conversation=rows[closed.pk], kind="reopened").count() == 1


@pytest.mark.django_db
def test_a_later_text_is_stored_scheduled_and_not_enqueued(org_a):
    (contact,) = people(org_a, 1)
    at = timezone.now() + timedelta(hours=3)
    (sent,) = message_send_many(organization=org_a.organization, outgoing=[Outgoing(contact, "Later", "s-1", at)])
    assert (sent.message.status, sent.message.send_at) == ("scheduled", at)
    assert deliveries() == 0


@pytest.mark.django_db
def test_open_inboxes_hear_each_message_and_its_conversation_row(org_a, django_capture_on_commit_callbacks):
    contacts = people(org_a, 3)

    def committed() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            message_send_many(
                organization=org_a.organization,
                outgoing=[Outgoing(c, f"Hi {i}", f"e-{i}") for i, c in enumerate(contacts)],
            )

    heard = collect_live_events(org_a.organization.pk, committed, quiet=0.2)
    created = [e["payload"] for e in heard if e["type"] == "message.created"]
    rows = [e["payload"] for e in heard if e["type"] == "conversation.updated"]
    assert sorted(p["body"] for p in created) == ["Hi 0", "Hi 1", "Hi 2"]
    assert all(p["media"] == [] for p in created)
    versions = dict(Conversation.objects.values_list("pk", "version"))
    assert sorted((r["id"], r["version"], r["lastMessagePreview"]) for r in rows) == sorted(
        (c.pk, versions[c.pk], f"Hi {i}") for i, c in enumerate(Conversation.objects.order_by("contact_id"))
    )


@pytest.mark.django_db
def test_a_time_already_come_goes_at_once(org_a):
    """The caller computed it a moment ago (a quiet-hours window that opened meanwhile): not refused as past."""
    (contact,) = people(org_a, 1)
    came = timezone.now() - timedelta(seconds=1)
    (sent,) = message_send_many(organization=org_a.organization, outgoing=[Outgoing(contact, "Now", "t-1", came)])
    assert (sent.message.status, sent.message.send_at) == ("pending", None)
    assert deliveries() == 1
