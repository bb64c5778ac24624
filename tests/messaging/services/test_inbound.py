"""message_receive, through signed webhook posts (the way Twilio reaches it) and directly."""

import pytest

from conversations.models import Contact, Conversation
from conversations.services import contact_create, contact_get_or_create, conversation_get_or_create
from messaging.models import Message, MessageEvent, MessageMedia
from messaging.services import message_receive
from messaging.twilio.payloads import parse_inbound
from smsinbox import events
from tests.twilio_posts import collect_live_events, inbound_params, new_sid, post_inbound

TO = "+14155550001"


def test_new_number_creates_an_unnamed_contact_and_an_open_conversation(client, org_a):
    post_inbound(client, to=TO, from_="+447911123456", body="Hello from London")
    contact = Contact.objects.get()
    assert str(contact.phone) == "+447911123456"
    assert contact.display_name == "+44 7911 123456"
    conversation = Conversation.objects.get()
    assert (conversation.contact_id, conversation.status, conversation.unread_count) == (contact.pk, "open", 1)
    assert conversation.last_message_preview == "Hello from London"
    assert conversation.phone_number.organization_id == org_a.organization.pk


def test_number_typed_differently_by_twilio_finds_the_same_contact(client, org_a):
    saved = contact_create(organization=org_a.organization, phone="(415) 555-0101", first_name="Maria")
    post_inbound(client, to=TO, from_="+14155550101")
    assert Contact.objects.get() == saved
    assert Message.objects.get().conversation.contact == saved


def test_numbers_sharing_ten_digits_stay_two_contacts(client, org_a):
    post_inbound(client, to=TO, from_="+447700900123")
    post_inbound(client, to=TO, from_="+17700900123")
    assert Contact.objects.count() == 2
    assert Conversation.objects.count() == 2


def test_closed_conversation_is_reopened_and_unread_counts_up(client, org_a):
    post_inbound(client, to=TO, body="one")
    Conversation.objects.update(status="closed", unread_count=0)
    post_inbound(client, to=TO, body="two")
    post_inbound(client, to=TO, body="three")
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.unread_count, conversation.last_message_preview) == ("open", 2, "three")


def test_message_fields_geo_segments_and_raw_payload(client, org_a):
    params = inbound_params(to=TO, body="Olá 😀", NumSegments="2")
    post_inbound(client, to=TO, body="Olá 😀", sid=params["MessageSid"], NumSegments="2")
    message = Message.objects.get()
    assert message.num_segments == 2
    assert message.encoding == "UCS-2"
    assert message.geo["FromCity"] == "SAN FRANCISCO"
    assert (message.from_number, message.to_number) == ("+14155550101", TO)
    received = message.events.get(event_type="received")
    assert received.payload["MessageSid"] == message.twilio_sid


def test_media_rows_follow_the_fields_present_not_num_media(client, org_a):
    media = [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2", "image/png"),
    ]
    post_inbound(client, to=TO, body="", media=media, NumMedia="5")
    message = Message.objects.get()
    assert message.num_media == 2
    assert list(message.media.values_list("position", "content_type")) == [(0, "image/jpeg"), (1, "image/png")]
    assert Conversation.objects.get().last_message_preview == "[Media]"


def test_media_url_that_is_not_http_is_skipped(client, org_a):
    post_inbound(client, to=TO, media=[("javascript:alert(1)", "image/jpeg")])
    assert Message.objects.get().num_media == 0
    assert not MessageMedia.objects.exists()


def test_nul_bytes_are_removed(client, org_a):
    post_inbound(client, to=TO, body="a\x00b")
    assert Message.objects.get().body == "ab"


def test_messaging_service_finds_the_organization(client, org_a):
    number = org_a.organization.phone_numbers.get()
    number.messaging_service_sid = "MG" + "a" * 32
    number.save()
    post_inbound(client, to="+14155559999", MessagingServiceSid="MG" + "a" * 32)
    assert Message.objects.get().organization_id == org_a.organization.pk


@pytest.mark.parametrize("body", ["STOP", "sToP", "  unsubscribe \n", "Quit", "OPTOUT"])
def test_opt_out_keywords(client, org_a, body):
    post_inbound(client, to=TO, body=body)
    contact = Contact.objects.get()
    message = Message.objects.get()
    assert contact.is_opted_out
    assert (contact.opt_out_method, contact.opt_out_keyword, contact.opt_out_message_id) == (
        "keyword",
        body.strip().upper(),
        message.pk,
    )
    assert message.events.filter(event_type="opt_out").count() == 1


@pytest.mark.parametrize("body", ["stop please", "STOP!", "don't stop", ""])
def test_text_that_is_not_only_a_keyword_changes_nothing(client, org_a, body):
    post_inbound(client, to=TO, body=body)
    assert not Contact.objects.get().is_opted_out
    assert not MessageEvent.objects.filter(event_type__in=["opt_out", "opt_in", "help"]).exists()


def test_start_opts_back_in_and_help_is_recorded(client, org_a):
    post_inbound(client, to=TO, body="STOP")
    post_inbound(client, to=TO, body="STOP")  # already out: no second change
    assert MessageEvent.objects.filter(event_type="opt_out").count() == 1
    post_inbound(client, to=TO, body="start")
    assert not Contact.objects.get().is_opted_out
    assert MessageEvent.objects.filter(event_type="opt_in").count() == 1
    post_inbound(client, to=TO, body="help")
    assert MessageEvent.objects.filter(event_type="help").count() == 1


# Twilio's default opt-in keywords (../shared/twilio/REFERENCE.md), written out here, not read from the code.
@pytest.mark.parametrize("keyword", ["START", "yes", " Unstop\n"])
def test_every_opt_in_keyword_opts_back_in(client, org_a, keyword):
    post_inbound(client, to=TO, body="STOP")
    assert Contact.objects.get().is_opted_out
    post_inbound(client, to=TO, body=keyword)
    contact = Contact.objects.get()
    assert not contact.is_opted_out
    assert MessageEvent.objects.filter(event_type="opt_in").count() == 1


@pytest.mark.parametrize("body", ["yes please", "START NOW", "unstopped"])
def test_text_that_only_contains_an_opt_in_keyword_keeps_the_opt_out(client, org_a, body):
    post_inbound(client, to=TO, body="STOP")
    post_inbound(client, to=TO, body=body)
    assert Contact.objects.get().is_opted_out
    assert not MessageEvent.objects.filter(event_type="opt_in").exists()


def test_twilio_opt_out_type_counts_for_custom_keywords(client, org_a):
    post_inbound(client, to=TO, body="BASTA", OptOutType="STOP")
    contact = Contact.objects.get()
    assert contact.is_opted_out
    assert contact.opt_out_keyword == "BASTA"


def test_new_message_publishes_one_message_and_one_conversation_event(
    client, org_a, django_capture_on_commit_callbacks
):
    def deliver():
        with django_capture_on_commit_callbacks(execute=True):
            post_inbound(client, to=TO, body="live!")

    received = collect_live_events(org_a.organization.pk, deliver)
    assert [e["type"] for e in received] == [events.Event.MESSAGE_CREATED, events.Event.CONVERSATION_UPDATED]
    assert received[0]["payload"]["body"] == "live!"
    assert received[1]["payload"]["unreadCount"] == 1


def test_duplicate_publishes_nothing(client, org_a, django_capture_on_commit_callbacks):
    sid = new_sid()
    post_inbound(client, to=TO, sid=sid)

    def deliver_again():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_inbound(client, to=TO, sid=sid)
        assert callbacks == []

    assert collect_live_events(org_a.organization.pk, deliver_again) == []


def test_other_organizations_hear_nothing(client, org_a, org_b, django_capture_on_commit_callbacks):
    def deliver():
        with django_capture_on_commit_callbacks(execute=True):
            post_inbound(client, to=TO)

    assert collect_live_events(org_b.organization.pk, deliver) == []


def test_inbound_path_runs_a_bounded_number_of_queries(org_a, django_assert_max_num_queries):
    org = org_a.organization
    number = org.phone_numbers.get()
    for i in range(2000):
        contact, _ = contact_get_or_create(organization=org, e164=f"+1415556{i:04d}")
        if i % 10 == 0:
            conversation_get_or_create(organization=org, contact=contact, phone_number=number)
    sms_new = parse_inbound(inbound_params(to=TO, from_="+14155559999"))
    # Counts include the markers of the savepoint the test's own transaction turns ``atomic`` into.
    # 11 statements (the conversation's labels, for its live row; who is notified, smsinbox.notifications)
    # + 2 (the organization's webhook endpoints, for contact.created and message.received: none, nothing written)
    # + 6 savepoint markers (contact, conversation)
    # + 1 (the organization's auto-reply settings, messaging.services.autoreply: none)
    # + 2 savepoint markers of the auto-reply (a savepoint inside a caller's transaction: here the test's)
    with django_assert_max_num_queries(22):
        message_receive(sms=sms_new)
    sms_known = parse_inbound(inbound_params(to=TO, from_="+14155561990"))
    # route, lock, message, event, conversation, its labels, recipients, webhook endpoints, auto-reply settings
    # (+ 2 markers, + 2 of the auto-reply's savepoint)
    with django_assert_max_num_queries(13):
        message_receive(sms=sms_known)
    with django_assert_max_num_queries(4):  # route, then the stored message (+ 2 markers)
        assert not message_receive(sms=sms_known).created
