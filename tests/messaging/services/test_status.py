"""message_status_update through signed status callbacks."""


from conversations.models import Contact
from messaging.models import Message, MessageEvent
from smsinbox import events
from tests.twilio_posts import collect_live_events, new_sid, post_status


def statuses(message):
    message.refresh_from_db()
    return message.status


def test_callbacks_move_the_status_forward_and_stamp_times(client, sent_message):
    post_status(client, sid=sent_message.twilio_sid, status="sending")
    post_status(client, sid=sent_message.twilio_sid, status="sent")
    assert statuses(sent_message) == "sent"
    assert sent_message.sent_at is not None
    assert sent_message.delivered_at is None
    post_status(client, sid=sent_message.twilio_sid, status="delivered")
    assert statuses(sent_message) == "delivered"
    assert sent_message.delivered_at is not None


def test_late_sent_after_delivered_is_recorded_and_changes_nothing(client, sent_message):
    post_status(client, sid=sent_message.twilio_sid, status="delivered")
    delivered_at = Message.objects.get(pk=sent_message.pk).delivered_at
    post_status(client, sid=sent_message.twilio_sid, status="sent")
    post_status(client, sid=sent_message.twilio_sid, status="sending")
    assert statuses(sent_message) == "delivered"
    assert sent_message.delivered_at == delivered_at
    assert sent_message.sent_at is not None  # delivered implies it was sent
    assert list(sent_message.events.values_list("status", flat=True)) == ["delivered", "sent", "sending"]


def test_unknown_status_is_recorded_and_changes_nothing(client, sent_message):
    response = post_status(client, sid=sent_message.twilio_sid, status="teleported")
    assert response.status_code == 200
    assert statuses(sent_message) == "queued"
    assert sent_message.events.get().status == "teleported"


def test_exact_duplicate_is_recorded_once_and_publishes_nothing(
    client, sent_message, django_capture_on_commit_callbacks
):
    post_status(client, sid=sent_message.twilio_sid, status="sent")

    def again():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_status(client, sid=sent_message.twilio_sid, status="sent")
        assert callbacks == []

    assert collect_live_events(sent_message.organization_id, again) == []
    assert sent_message.events.count() == 1


def test_a_real_change_publishes_one_status_event(client, sent_message, django_capture_on_commit_callbacks):
    def deliver():
        with django_capture_on_commit_callbacks(execute=True):
            post_status(client, sid=sent_message.twilio_sid, status="delivered")
            post_status(client, sid=sent_message.twilio_sid, status="sent")  # late: no event

    received = collect_live_events(sent_message.organization_id, deliver)
    assert [e["type"] for e in received] == [events.Event.MESSAGE_STATUS_CHANGED]
    assert received[0]["payload"]["status"] == "delivered"


def test_failure_stores_the_code_and_a_readable_meaning(client, sent_message):
    post_status(client, sid=sent_message.twilio_sid, status="undelivered", ErrorCode="30003")
    sent_message.refresh_from_db()
    assert (sent_message.status, sent_message.error_code) == ("undelivered", 30003)
    assert "unreachable" in sent_message.error_message


def test_error_message_from_twilio_is_kept_when_sent(client, sent_message):
    post_status(client, sid=sent_message.twilio_sid, status="failed", ErrorCode="30999", ErrorMessage="Odd failure")
    sent_message.refresh_from_db()
    assert (sent_message.error_code, sent_message.error_message) == (30999, "Odd failure")


def test_21610_opts_the_contact_out(client, sent_message):
    post_status(client, sid=sent_message.twilio_sid, status="failed", ErrorCode="21610")
    contact = Contact.objects.get()
    assert contact.is_opted_out
    assert (contact.opt_out_method, contact.opt_out_message_id) == ("error_21610", sent_message.pk)


def test_canceled_is_terminal(client, outbound_message):
    scheduled = outbound_message("scheduled")
    post_status(client, sid=scheduled.twilio_sid, status="canceled")
    post_status(client, sid=scheduled.twilio_sid, status="read")
    assert statuses(scheduled) == "canceled"


def test_our_id_binds_the_sid_when_it_is_not_recorded_yet(client, outbound_message):
    pending = outbound_message("pending", sid=None)
    sid = new_sid()
    post_status(client, sid=sid, status="sent", message_id=pending.pk)
    pending.refresh_from_db()
    assert (pending.twilio_sid, pending.status) == (sid, "sent")
    post_status(client, sid=sid, status="delivered", message_id=pending.pk)
    assert statuses(pending) == "delivered"


def test_our_id_cannot_hijack_a_message_that_has_another_sid(client, sent_message):
    response = post_status(client, sid=new_sid(), status="failed", message_id=sent_message.pk)
    assert response.status_code == 200
    assert statuses(sent_message) == "queued"
    assert not MessageEvent.objects.exists()
