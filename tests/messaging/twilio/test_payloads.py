"""Parsing Twilio's form posts: anything malformed is a MalformedWebhook, never another error."""

from urllib.parse import urlencode

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


@pytest.mark.parametrize("twin", ["MediaUrl07", "MediaUrl\u0667", "MediaUrl７", "MediaUrl7\n", " MediaUrl7"])
def test_only_twilios_own_field_names_are_media(twin):
    """A twin naming position 7 again would be a second row at one position: an IntegrityError, a 503."""
    params = inbound_params(to="+14155550001", MediaUrl7="https://a.example/7")
    params[twin] = "https://a.example/twin"
    assert [(m.position, m.url) for m in parse_inbound(params).media] == [(7, "https://a.example/7")]


def test_an_invalid_ipv6_media_url_is_skipped():
    params = inbound_params(to="+14155550001", MediaUrl0="http://[x/a.jpg", MediaUrl1="https://a.example/1")
    assert [(m.position, m.url) for m in parse_inbound(params).media] == [(1, "https://a.example/1")]


def test_field_names_are_cleaned_like_values():
    """PostgreSQL's jsonb refuses \\u0000 anywhere, names included; two names that clean alike keep both values."""
    params = {**inbound_params(to="+14155550001"), "Add\x00Ons": "x\x00", "AddOns": "y"}
    raw = parse_inbound(params).raw
    assert raw["AddOns"] == ["x", "y"]
    assert "\x00" not in str(raw)


@pytest.mark.parametrize("digits", ["²", "\u0663", "１"])
def test_digits_that_are_not_ascii_are_not_numbers(digits):
    """'²'.isdigit() is true but int('²') raises; int('٣') is 3: neither is read as a number."""
    assert parse_inbound(inbound_params(to="+14155550001", NumSegments=digits)).num_segments == 1
    callback = parse_status_callback(
        status_params(sid=new_sid(), status="failed", ErrorCode=digits), QueryDict(urlencode({"m": digits}))
    )
    assert (callback.error_code, callback.our_message_id) == (None, None)


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
