"""auto_reply_maybe_send: the after-hours auto-reply and the HELP reply, through signed webhook posts and with
the clock passed in (``now``)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from conversations.models import Conversation
from messaging.hours.rules import Interval
from messaging.hours.services import business_hours_update
from messaging.models import Message
from messaging.services.autoreply import auto_reply_maybe_send
from messaging.services.outbound import message_send
from tests.twilio_posts import new_sid, post_inbound

TO = "+14155550001"
AFTER_HOURS = "Thanks! We're closed now and answer from 9am."
HELP = "Acme Dental help: call 555-0100. Reply STOP to opt out."
HALVES = ((time(0), time(12)), (time(12), time(0)))  # the second closes at midnight
ALWAYS_OPEN = [Interval(weekday=d, opens=opens, closes=closes) for d in range(7) for opens, closes in HALVES]
TUESDAY_NOON_NY = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
SATURDAY_NOON_NY = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def configure(org, *, intervals=(), enabled=True, text=AFTER_HOURS, help_text=HELP, every=12):
    business_hours_update(
        organization=org.organization, actor=org.user, time_zone="America/New_York", intervals=list(intervals),
        auto_reply_enabled=enabled, auto_reply_text=text if enabled else "", auto_reply_every_hours=every,
        help_reply_text=help_text,
    )  # fmt: skip


def automatic():
    return list(Message.objects.filter(automatic=True).order_by("id"))


def test_a_text_after_hours_is_answered_once_marked_automatic_by_nobody(client, org_a):
    configure(org_a)  # no intervals: closed all week
    post_inbound(client, to=TO, body="Are you open?")
    [reply] = automatic()
    assert (reply.direction, reply.body, reply.status, reply.sent_by_id) == ("out", AFTER_HOURS, "pending", None)
    assert (reply.to_number, reply.from_number) == ("+14155550101", TO)
    post_inbound(client, to=TO, body="Hello??")  # within the window: no second reply
    assert len(automatic()) == 1
    assert Conversation.objects.get().last_auto_reply_at is not None


def test_once_per_window_with_the_clock_passed_in(client, org_a):
    configure(org_a, every=12)
    post_inbound(client, to=TO, body="one")
    first = Conversation.objects.get().last_auto_reply_at
    later = Message.objects.filter(direction="in").get()
    assert auto_reply_maybe_send(message=later, now=first + timedelta(hours=11, minutes=59)) is None
    again = auto_reply_maybe_send(message=later, now=first + timedelta(hours=12))
    assert again is not None
    assert again.automatic
    assert auto_reply_maybe_send(message=later, now=first + timedelta(hours=13)) is None


def test_inside_hours_no_reply_and_the_hours_are_read_at_the_clock(client, org_a):
    configure(org_a, intervals=[Interval(weekday=d, opens=time(9), closes=time(17)) for d in range(5)])
    post_inbound(client, to=TO, body="hi")
    inbound = Message.objects.get(direction="in")
    assert auto_reply_maybe_send(message=inbound, now=TUESDAY_NOON_NY) is None
    assert auto_reply_maybe_send(message=inbound, now=SATURDAY_NOON_NY) is not None


def test_open_all_week_never_answers(client, org_a):
    configure(org_a, intervals=ALWAYS_OPEN)
    post_inbound(client, to=TO, body="hi")
    assert automatic() == []


def test_a_retried_webhook_answers_once(client, org_a):
    configure(org_a)
    sid = new_sid()
    for _ in range(3):
        assert post_inbound(client, to=TO, body="hi", sid=sid).status_code == 200
    assert len(automatic()) == 1
    Conversation.objects.update(last_auto_reply_at=None)  # even with the window open again
    post_inbound(client, to=TO, body="hi", sid=sid)
    assert len(automatic()) == 1


@pytest.mark.parametrize("keyword", ["STOP", "stop", "START", "UNSTOP", "Cancel"])
def test_keywords_get_no_after_hours_reply(client, org_a, keyword):
    configure(org_a)
    post_inbound(client, to=TO, body=keyword)
    assert automatic() == []


def test_an_opted_out_contact_gets_nothing(client, org_a):
    configure(org_a)
    post_inbound(client, to=TO, body="STOP")
    post_inbound(client, to=TO, body="why are you closed")
    post_inbound(client, to=TO, body="HELP")
    assert automatic() == []


def test_help_gets_the_help_reply_at_any_hour_but_not_when_twilio_answered(client, org_a):
    configure(org_a, intervals=ALWAYS_OPEN)
    post_inbound(client, to=TO, body=" help ")
    post_inbound(client, to=TO, body="INFO")
    assert [m.body for m in automatic()] == [HELP, HELP]
    post_inbound(client, to=TO, body="HELP", OptOutType="HELP")  # Advanced Opt-Out has answered it
    assert len(automatic()) == 2


def test_no_help_reply_set_no_answer_and_auto_reply_off_no_answer(client, org_a):
    configure(org_a, enabled=False, help_text="")
    post_inbound(client, to=TO, body="HELP")
    post_inbound(client, to=TO, body="hello")
    assert automatic() == []


def test_never_to_our_own_number(client, org_a):
    configure(org_a)
    post_inbound(client, to=TO, from_=TO, body="a loop")
    assert automatic() == []


def test_the_auto_reply_does_not_assign_the_conversation(client, org_a):
    configure(org_a)
    post_inbound(client, to=TO, body="hi")
    assert Conversation.objects.get().assignee_id is None
    contact = Conversation.objects.get().contact
    staff = message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="On it")
    assert not staff.message.automatic


def test_no_settings_means_no_reply_in_one_query(client, org_a, django_assert_num_queries):
    post_inbound(client, to=TO, body="hi")
    inbound = Message.objects.get()
    with django_assert_num_queries(1):
        assert auto_reply_maybe_send(message=inbound) is None
