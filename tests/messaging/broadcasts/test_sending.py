"""Sending a broadcast: each recipient once, in their own conversation, surviving a crash
(``messaging.broadcasts.sending``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.models import Contact, Conversation
from conversations.services import contact_create, contact_opt_out
from messaging.broadcasts import sending
from messaging.broadcasts.models import Broadcast, BroadcastRecipient
from messaging.broadcasts.sending import broadcast_run, broadcasts_kick, idempotency_key
from messaging.broadcasts.services import broadcast_create, broadcast_pause
from messaging.models import Message
from messaging.services.outbound import message_send
from tests.pipeline import drain_tasks, running_emulator, wait_for

FROM = "+14155550001"


def people(org_a, n: int) -> list[Contact]:
    return [
        contact_create(organization=org_a.organization, phone=f"+1415555{i:04d}", first_name=f"P{i}" if i % 2 else "")
        for i in range(101, 101 + n)
    ]


def create(org_a, contacts, body="Hi {{contact.first_name|there}}, we open at 9.") -> Broadcast:
    return broadcast_create(
        organization=org_a.organization, user=org_a.user, body=body, contact_ids=[c.pk for c in contacts]
    )


@pytest.mark.django_db
def test_each_recipient_gets_one_message_in_their_own_conversation(org_a):
    contacts = people(org_a, 3)
    broadcast = create(org_a, contacts)
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    broadcast.refresh_from_db()
    assert broadcast.state == "done"
    assert broadcast.finished_at
    assert broadcast.started_at
    for contact in contacts:
        (message,) = Message.objects.filter(conversation__contact=contact)
        assert message.body == f"Hi {contact.first_name or 'there'}, we open at 9."
        assert Conversation.objects.filter(contact=contact).count() == 1
        row = BroadcastRecipient.objects.get(broadcast=broadcast, contact=contact)
        assert (row.status, row.message_id) == ("sent", message.pk)
        assert message.idempotency_key == idempotency_key(broadcast_id=broadcast.pk, recipient_id=row.pk)
    assert broadcast_run(broadcast_id=broadcast.pk) == "not sending"
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_a_crash_mid_way_then_a_restart_texts_nobody_twice_and_nobody_is_lost(org_a, monkeypatch):
    contacts = people(org_a, 7)
    broadcast = create(org_a, contacts)
    # A run before the crash stored the first recipient's message (as a killed worker's committed work does).
    first = BroadcastRecipient.objects.filter(broadcast=broadcast).order_by("id").first()
    message_send(
        organization=org_a.organization, sender=None, contact=first.contact, body="Hi",
        idempotency_key=idempotency_key(broadcast_id=broadcast.pk, recipient_id=first.pk), confirm=True,
    )  # fmt: skip
    monkeypatch.setattr(sending, "BATCH", 2)
    calls = {"n": 0}
    real = sending.message_send_many

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            real(**kwargs)  # the second batch's messages are stored, its rows not marked yet:
            raise SystemExit("SIGKILL")  # the worker dies in the middle of the batch
        return real(**kwargs)

    monkeypatch.setattr(sending, "message_send_many", dying)
    with pytest.raises(SystemExit):
        broadcast_run(broadcast_id=broadcast.pk)
    # The first batch (two) committed; the second died with its transaction: nothing of it is left.
    assert BroadcastRecipient.objects.filter(broadcast=broadcast, status="sent").count() == 2
    assert Message.objects.count() == 2
    monkeypatch.setattr(sending, "message_send_many", real)
    assert broadcasts_kick() == 0  # its heartbeat is fresh
    assert broadcasts_kick(now=timezone.now() + timedelta(minutes=5)) == 1  # stale: restarted
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    for contact in contacts:
        assert Message.objects.filter(conversation__contact=contact).count() == 1
    assert BroadcastRecipient.objects.filter(broadcast=broadcast, status="sent").count() == 7
    first.refresh_from_db()
    assert first.message.body == "Hi"  # the message stored before the crash, not a second one


@pytest.mark.django_db
def test_a_contact_who_opts_out_after_queueing_is_excluded_not_texted(org_a):
    a, b = people(org_a, 2)
    broadcast = create(org_a, [a, b])
    contact_opt_out(contact=b, method=Contact.OptOutMethod.KEYWORD, keyword="STOP")
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    row = BroadcastRecipient.objects.get(broadcast=broadcast, contact=b)
    assert (row.status, row.reason, row.message_id) == ("excluded", "opted_out", None)
    assert "opted out" in row.detail
    assert not Message.objects.filter(conversation__contact=b).exists()


@pytest.mark.django_db
def test_a_paused_broadcast_sends_nothing_more(org_a):
    contacts = people(org_a, 2)
    broadcast = create(org_a, contacts)
    broadcast_pause(broadcast=broadcast, user=org_a.user)
    assert broadcast_run(broadcast_id=broadcast.pk) == "not sending"
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_run_ahead_of_the_numbers_pace_defers_itself(org_a, settings):
    settings.BROADCAST_LEAD_SECONDS = 0.5
    contacts = people(org_a, 3)
    broadcast = create(org_a, contacts)
    number = org_a.organization.phone_numbers.get()
    number.send_slot_at = timezone.now() + timedelta(seconds=30)  # other sends booked the next 30 s
    number.save(update_fields=["send_slot_at"])
    DBTaskResult.objects.all().delete()
    assert broadcast_run(broadcast_id=broadcast.pk) == "continues"
    (task,) = DBTaskResult.objects.filter(task_path__endswith="broadcast_run_task")
    assert task.run_after > timezone.now() + timedelta(seconds=25)


@pytest.mark.django_db
def test_a_scheduled_broadcast_waits_for_its_time(org_a):
    (a,) = people(org_a, 1)
    broadcast = broadcast_create(
        organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[a.pk],
        send_at=timezone.now() + timedelta(minutes=10),
    )  # fmt: skip
    assert not DBTaskResult.objects.filter(task_path__endswith="broadcast_run_task").exists()
    assert broadcast_run(broadcast_id=broadcast.pk) == "not sending"
    assert broadcasts_kick() == 0
    assert broadcasts_kick(now=timezone.now() + timedelta(minutes=11)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_broadcast_reaches_the_emulator_once_per_recipient(settings, live_server, org_a):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SEND_RATE_LIMIT = False
    contacts = people(org_a, 4)
    with running_emulator(settings, numbers=[FROM]) as twilio:
        broadcast = create(org_a, contacts, body="Hello {{contact.first_name|friend}}")
        drain_tasks()
        wait_for(lambda: Message.objects.filter(status="delivered").count() == 4)
        assert sorted((m["to"], m["body"]) for m in twilio.messages()) == sorted(
            (str(c.phone), f"Hello {c.first_name or 'friend'}") for c in contacts
        )
    assert Broadcast.objects.get(pk=broadcast.pk).state == "done"


@pytest.mark.django_db
def test_a_broadcast_from_a_chosen_number_texts_from_it_and_moves_the_threads_on_another(org_a):
    from conversations.models import ConversationEvent
    from smsinbox.services import phone_number_create

    second = phone_number_create(organization=org_a.organization, number="+14155550002", friendly_name="Uptown")
    on_first, new = people(org_a, 2)
    message_send(organization=org_a.organization, sender=None, contact=on_first, body="Earlier", confirm=True)
    broadcast = broadcast_create(
        organization=org_a.organization, user=org_a.user, body="Uptown opens at 9", contact_ids=[on_first.pk, new.pk],
        phone_number_id=second.pk,
    )  # fmt: skip
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    texts = Message.objects.filter(body="Uptown opens at 9")
    assert sorted(texts.values_list("from_number", flat=True)) == ["+14155550002", "+14155550002"]
    assert set(Conversation.objects.values_list("phone_number_id", flat=True)) == {second.pk}
    moved = ConversationEvent.objects.filter(kind="sender_changed")
    assert [e.conversation.contact_id for e in moved] == [on_first.pk]  # the new thread started on it
    assert moved.get().data == {"number_id": second.pk, "number_label": "+14155550002 (Uptown)",
                                "broadcast_id": broadcast.pk, "by": "alice"}  # fmt: skip
    from conversations.activity import activity_text

    assert activity_text(moved.get()) == "alice's broadcast texted from +14155550002 (Uptown): replies go from it now"


@pytest.mark.django_db
def test_without_a_chosen_number_each_text_goes_from_its_conversations_own(org_a):
    from smsinbox.services import phone_number_create

    second = phone_number_create(organization=org_a.organization, number="+14155550002")
    on_second, new = people(org_a, 2)
    message_send(organization=org_a.organization, sender=None, contact=on_second, body="Earlier", confirm=True,
                 from_number_id=second.pk)  # fmt: skip
    broadcast = create(org_a, [on_second, new], body="We open at 9")
    assert broadcast_run(broadcast_id=broadcast.pk) == "done"
    sent = dict(Message.objects.filter(body="We open at 9").values_list("conversation__contact_id", "from_number"))
    assert sent == {on_second.pk: "+14155550002", new.pk: "+14155550001"}
    assert Conversation.objects.get(contact=on_second).phone_number_id == second.pk  # not moved
