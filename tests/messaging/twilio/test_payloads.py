"""Parsing Twilio's form posts: anything malformed is a MalformedWebhook, never another error."""

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.twilio.payloads import MalformedWebhook, parse_inbound, parse_status_callback
from tests.twilio_posts import inbound_params, new_sid, status_params


def test_real_shaped_inbound():
    sms = parse_inbound(inbound_params(to="+14155550001", from_="+1 (415) 555-0101", body="Hi", NumSegments="3"))
    assert (sms.to_e164, sms.from_e164, sms.body, sms.num_segments) == ("+14155550001", "+14155550101", "Hi", 3)
    assert sms.geo["ToState"] == "CA"


def test_legacy_sid_fields_are_accepted():
    params = inbound_params(to="+14155550001")
    sid = params.pop("MessageSid")
    assert parse_inbound(params).message_sid == sid


@pytest.mark.parametrize("segments", ["", "abc", "-1", "0", "99999999999"])
def test_odd_num_segments_fall_back_to_a_sane_value(segments):
    assert 1 <= parse_inbound(inbound_params(to="+14155550001", NumSegments=segments)).num_segments <= 255


def test_media_gaps_and_extra_fields():
    params = inbound_params(to="+14155550001", NumMedia="1")
    params.update(
        {"MediaUrl0": "https://a.example/0", "MediaUrl3": "https://a.example/3", "MediaContentType3": "image/gif"}
    )
    media = parse_inbound(params).media
    assert [(m.position, m.content_type) for m in media] == [(0, ""), (3, "image/gif")]


def test_at_most_ten_media():
    params = inbound_params(to="+14155550001")
    params.update({f"MediaUrl{i}": f"https://a.example/{i}" for i in range(15)})
    assert len(parse_inbound(params).media) == 10


def test_invalid_messaging_service_sid_is_ignored():
    assert parse_inbound(inbound_params(to="+14155550001", MessagingServiceSid="MGnope")).messaging_service_sid == ""


def test_status_callback_fields():
    callback = parse_status_callback(
        status_params(sid=new_sid(), status="Undelivered", ErrorCode="30003"), QueryDict("m=42")
    )
    assert (callback.status, callback.error_code, callback.our_message_id) == ("undelivered", 30003, 42)


@pytest.mark.parametrize("m", ["", "x", "-3", "1" * 30])
def test_status_callback_ignores_a_bad_our_id(m):
    assert (
        parse_status_callback(status_params(sid=new_sid(), status="sent"), QueryDict(f"m={m}")).our_message_id is None
    )


field_names = st.sampled_from(
    [
        "MessageSid",
        "From",
        "To",
        "Body",
        "NumMedia",
        "NumSegments",
        "MediaUrl0",
        "MediaContentType0",
        "MediaUrl7",
        "MessagingServiceSid",
        "OptOutType",
        "MessageStatus",
        "ErrorCode",
        "AccountSid",
        "FromCity",
        "Junk",
    ]
)


@settings(max_examples=300)
@given(st.dictionaries(field_names, st.text(max_size=60)), st.booleans())
def test_arbitrary_fields_parse_or_raise_malformed(fields, valid_sid):
    if valid_sid:
        fields["MessageSid"] = new_sid()
    for parse in (parse_inbound, lambda f: parse_status_callback(f, {})):
        try:
            parsed = parse(fields)
        except MalformedWebhook:
            continue
        assert "\x00" not in str(parsed.raw)
