"""Incoming-message webhooks through the real views, signed: any post stores one well-formed message or
nothing, whatever its fields, bytes, content type, numbers or media say."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote, quote_from_bytes, urlencode, urlsplit

import hypothesis
import pytest
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from conversations.models import Contact
from messaging.models import Message, MessageEvent
from messaging.statuses import MessageStatus
from messaging.twilio.payloads import MESSAGE_SID
from messaging.twilio.webhooks import EMPTY_TWIML
from smsinbox.phones import to_e164
from tests.reliability.bad_input.helpers import (
    E164,
    FUZZ,
    INCOMING,
    ORG_NUMBER,
    SID,
    STATUS,
    any_text,
    no_text_has_nul,
    phoneish_text,
    rolled_back,
    row_counts,
)
from tests.twilio_posts import inbound_params, post_signed, sign

ORG_NUMBER_TYPED = st.sampled_from(
    ["+14155550001", "+1 415 555 0001", "(415) 555-0001", "1-415-555-0001", "tel:+1-415-555-0001", " +14155550001\t"]
)
SENDER_TYPED = st.sampled_from(
    [
        "+14155550101",
        "+1 (415) 555-0102",
        "415.555.0103",
        "+44 7911 123456",
        "+447700900123",
        "+1 415 555 0104 ext. 9",
        "011 44 7911 123457",
        "＋１ ４１５ ５５５ ０１０５",  # full-width digits
    ]
)
MEDIA_URL = st.one_of(
    SID.map(lambda sid: f"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/{sid}/Media/ME{sid[2:]}"),
    any_text.map(lambda t: "https://media.example/" + quote(t)),
    st.sampled_from(["", "ftp://media.example/a", "javascript:alert(1)", "https://", "//media.example/a", "http:x"]),
    st.sampled_from(["http://[x/a.jpg", "https://]/a", "http://[::1]/a.png", "https://media.example/[0]"]),
    any_text,
)
OTHER_FIELDS = [
    "Body",
    "NumMedia",
    "NumSegments",
    "OptOutType",
    "MessagingServiceSid",
    "FromCity",
    "ToState",
    "SmsStatus",
]
KEY_FIELDS = ["MessageSid", "SmsSid", "SmsMessageSid", "From", "To", "AccountSid"]


@st.composite
def inbound_posts(draw: st.DrawFn) -> tuple[dict[str, str], bool]:
    """A signed-to-be incoming-message post: real-shaped, then bent. Returns it and whether it must be stored."""
    sid = draw(SID)
    body = draw(st.one_of(any_text, st.text(max_size=2000), st.just("STOP")))
    params = inbound_params(to=draw(ORG_NUMBER_TYPED), from_=draw(SENDER_TYPED), body=body, sid=sid)
    unchanged = True
    dropped = draw(st.sets(st.sampled_from(sorted(params)), max_size=4))
    for key in dropped:
        del params[key]
        unchanged &= key not in KEY_FIELDS
    overrides = draw(st.dictionaries(st.sampled_from(OTHER_FIELDS + KEY_FIELDS), st.one_of(any_text, phoneish_text)))
    params.update(overrides)
    unchanged &= not set(overrides) & set(KEY_FIELDS)
    # NumMedia that lies: bigger, smaller or not a number, against the MediaUrlN actually sent.
    params["NumMedia"] = draw(st.one_of(st.integers(-3, 20).map(str), any_text))
    for position in draw(st.sets(st.integers(0, 14), max_size=12)):
        params[f"MediaUrl{position}"] = draw(MEDIA_URL)
        if draw(st.booleans()):
            params[f"MediaContentType{position}"] = draw(st.one_of(st.just("image/jpeg"), any_text))
    extra_names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12)
    params.update(draw(st.dictionaries(extra_names.map(lambda n: "X" + n), any_text, max_size=3)))
    return params, unchanged


def expected_media(params: dict[str, str]) -> list[tuple[int, str]]:
    """The media a post really carries: its http(s) ``MediaUrlN`` fields, whatever ``NumMedia`` says (at most 10)."""
    found = []
    for key, value in params.items():
        match = re.fullmatch(r"MediaUrl(0|[1-9][0-9]?)", key)  # Twilio's names: no "MediaUrl07", no "MediaUrl٧"
        url = value.replace("\x00", "").strip()
        try:
            parts = urlsplit(url)
        except ValueError:  # "http://[x": an invalid IPv6 host is no URL
            continue
        if match and parts.scheme in {"http", "https"} and parts.netloc and len(url) <= 1000:
            found.append((int(match[1]), url))
    return sorted(found)[:10]


def assert_well_formed_inbound(message: Message, params: dict[str, str]) -> None:
    """One stored inbound message, exactly as the post said (cleaned), with exactly its media."""
    assert MESSAGE_SID.fullmatch(message.twilio_sid)
    assert (message.direction, message.status) == ("in", MessageStatus.RECEIVED)
    assert message.to_number == ORG_NUMBER
    assert E164.fullmatch(message.from_number), message.from_number
    assert message.from_number == to_e164(params["From"].replace("\x00", ""), strict=False)
    assert str(message.conversation.contact.phone) == message.from_number
    assert message.body == params.get("Body", "").replace("\x00", "")
    assert 1 <= message.num_segments <= 255
    media = list(message.media.order_by("position").values_list("position", "url"))
    assert media == expected_media(params)
    assert message.num_media == len(media)
    assert MessageEvent.objects.filter(message=message, event_type="received").count() == 1
    assert "\\u0000" not in json.dumps(list(MessageEvent.objects.values_list("payload", flat=True)))
    assert no_text_has_nul()


@FUZZ
@given(post=inbound_posts())
def test_any_signed_inbound_post_stores_one_well_formed_message_or_nothing(client, org_a, post):
    params, must_store = post
    with rolled_back():
        before = row_counts()
        response = post_signed(client, INCOMING, params)
        assert response.status_code in {200, 400, 403, 413}, response.content
        messages = list(Message.objects.all())
        hypothesis.event(f"{response.status_code}, {'stored' if messages else 'nothing stored'}")
        if must_store:
            assert (response.status_code, len(messages)) == (200, 1)
        if not messages:
            assert row_counts() == before
            return
        assert response.status_code == 200
        assert response.content.decode() == EMPTY_TWIML
        (message,) = messages
        assert_well_formed_inbound(message, params)


@FUZZ
@given(raw=st.binary(max_size=120), encoded=st.booleans())
@hypothesis.example(raw=b"\xed\xa0\x80", encoded=True)  # a UTF-8-encoded lone surrogate
@hypothesis.example(raw=b"\xed\xa0\x80", encoded=False)
@hypothesis.example(raw=b"caf\xe9 \x00 \xff\xfe", encoded=True)  # Latin-1, a NUL, a UTF-16 byte-order mark
def test_body_bytes_that_are_not_utf8_are_replaced_never_a_500(client, org_a, raw: bytes, encoded: bool):
    """Twilio sends UTF-8; anything else arrives as U+FFFD (percent-encoded) or Latin-1 (raw), cleaned of NULs."""
    params = inbound_params(to=ORG_NUMBER, body="")
    other = urlencode([(k, v) for k, v in params.items() if k != "Body"]).encode()
    value = quote_from_bytes(raw, safe="") if encoded else raw.replace(b"&", b"").replace(b"=", b"").replace(b"+", b"")
    value = value if isinstance(value, bytes) else value.encode()
    body = other + b"&Body=" + value
    seen = QueryDict(body)  # what the view will read: sign exactly that, as Twilio signs what it sends
    signed = [(key, item) for key in seen for item in seen.getlist(key)]
    with rolled_back():
        response = client.generic(
            "POST",
            INCOMING,
            body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": sign(f"http://testserver{INCOMING}", signed)},
        )
        assert response.status_code == 200, response.content
        message = Message.objects.get()
        assert message.body == seen["Body"].replace("\x00", "")
        message.body.encode("utf-8")  # valid text: no lone surrogates (this would raise)
        assert no_text_has_nul()


@FUZZ
@given(raw=st.binary(max_size=300), signed=st.booleans())
def test_any_bytes_posted_to_a_webhook_are_a_4xx_or_a_logged_ignore(client, org_a, raw: bytes, signed: bool):
    """Garbage (signed over whatever Django parses out of it, or not signed) never stores anything."""
    seen = QueryDict(raw)
    headers = {
        "X-Twilio-Signature": sign(f"http://testserver{INCOMING}", [(k, v) for k in seen for v in seen.getlist(k)])
    }
    with rolled_back():
        before = row_counts()
        for path in (INCOMING, STATUS):
            response = client.generic(
                "POST", path, raw, content_type="application/x-www-form-urlencoded", headers=headers if signed else {}
            )
            assert response.status_code in {200, 400, 403}, response.content
            assert signed or response.status_code == 403
        assert row_counts() == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps(inbound_params(to=ORG_NUMBER))),
        ("text/plain", urlencode(inbound_params(to=ORG_NUMBER))),
        ("application/xml", "<Message><Body>hi</Body></Message>"),
        ("multipart/form-data; boundary=nope", "--nope\r\nbroken"),
        ("multipart/form-data", "no boundary at all"),
        ("application/x-www-form-urlencoded; charset=utf-16", urlencode(inbound_params(to=ORG_NUMBER))),
        ("", urlencode(inbound_params(to=ORG_NUMBER))),
    ],
)
@pytest.mark.parametrize("path", [INCOMING, STATUS])
def test_a_wrong_content_type_is_a_4xx_or_a_logged_ignore(client, org_a, caplog, path, content_type, body):
    """Unsigned: 403. Signed over what Django parsed (nothing, for a body it cannot read): a 4xx, or 200
    with the warning that it was ignored. Nothing is written either way."""
    before = row_counts()
    assert client.generic("POST", path, body, content_type=content_type).status_code in {400, 403}
    seen = QueryDict()  # what Django parses out of it: only a form body is parsed
    if content_type.startswith("application/x-www-form-urlencoded"):
        seen = QueryDict(body.encode(), encoding=content_type.partition("charset=")[2] or "utf-8")
    signed = [(key, value) for key in seen for value in seen.getlist(key)]
    with caplog.at_level(logging.WARNING, logger="messaging"):
        response = client.generic(
            "POST",
            path,
            body,
            content_type=content_type,
            headers={"X-Twilio-Signature": sign(f"http://testserver{path}", signed)},
        )
    assert response.status_code in {200, 400, 415}, response.content
    if response.status_code == 200:
        assert any("ignored" in record.getMessage() for record in caplog.records)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("num_media", "urls"),
    [
        ("5", ["https://media.example/0"]),  # claims more than it carries
        ("0", ["https://media.example/0", "https://media.example/1"]),  # claims fewer
        ("1", []),
        ("abc", ["https://media.example/0"]),
        ("-1", ["https://media.example/0"]),
        ("99999999999999999999", ["https://media.example/0", "https://media.example/1"]),
        ("3", ["https://media.example/0", "not a url", "ftp://media.example/2"]),
        ("12", [f"https://media.example/{i}" for i in range(12)]),  # more than Twilio's 10
    ],
)
def test_num_media_that_lies_stores_the_media_actually_sent(client, org_a, num_media, urls):
    params = inbound_params(to=ORG_NUMBER, NumMedia=num_media)
    params.update({f"MediaUrl{i}": url for i, url in enumerate(urls)})
    response = post_signed(client, INCOMING, params)
    assert response.status_code == 200
    message = Message.objects.get()
    assert_well_formed_inbound(message, params)
    assert message.num_media == min(len([u for u in urls if u.startswith("https://")]), 10)


@pytest.mark.parametrize(
    "override",
    [
        {"From": "Twilio"},  # an alphanumeric sender
        {"From": "12345"},  # a short code
        {"From": "+1 415 555 01O1"},  # letter O for zero
        {"From": "+999 1234 5678"},
        {"From": "+1" + "5" * 40},
        {"From": "\x00"},
        {"To": "+1 (415) 555-0001 ext 12"},
        {"To": "+44 20 7946 0000"},  # nobody's number
        {"To": ""},
    ],
)
def test_odd_numbers_are_stored_normalized_or_ignored_with_a_log_line(client, org_a, caplog, override):
    params = {**inbound_params(to=ORG_NUMBER), **override}
    with caplog.at_level(logging.INFO, logger="messaging"):
        response = post_signed(client, INCOMING, params)
    assert response.status_code == 200
    stored = list(Message.objects.all())
    if stored:
        assert_well_formed_inbound(stored[0], params)
    else:
        assert not Contact.objects.exists()
        assert any("ignored" in record.getMessage() for record in caplog.records)


# --- Fields Twilio never sends, that once were a 500 or a 503 -------------------------------------


def test_a_superscript_digit_in_num_segments_is_not_a_500(client, org_a):
    """'²'.isdigit() is true but int('²') raises: NumSegments is read as ASCII digits only."""
    response = post_signed(client, INCOMING, inbound_params(to=ORG_NUMBER, NumSegments="²"))
    assert response.status_code == 200
    assert Message.objects.get().num_segments == 1


def test_an_invalid_ipv6_media_url_is_skipped_not_a_500(client, org_a):
    """urlsplit('http://[x') raises ValueError: such a MediaUrl is not an http(s) URL, so it is skipped."""
    response = post_signed(client, INCOMING, inbound_params(to=ORG_NUMBER, MediaUrl0="http://[x/a.jpg"))
    assert response.status_code == 200
    assert Message.objects.get().num_media == 0


@pytest.mark.parametrize("twin", ["MediaUrl07", "MediaUrl\u0667", "MediaUrl7\n"])
def test_two_fields_naming_one_media_position_are_not_a_503(client, org_a, twin):
    """Only Twilio's own names (MediaUrl7) are media: a twin naming position 7 again is ignored, not a
    second row at one position (an IntegrityError, a 503, and Twilio retrying forever)."""
    params = inbound_params(to=ORG_NUMBER, MediaUrl7="https://media.example/7")
    params[twin] = "https://media.example/twin"
    response = post_signed(client, INCOMING, params)
    assert response.status_code == 200
    message = Message.objects.get()
    assert list(message.media.values_list("position", "url")) == [(7, "https://media.example/7")]


def test_a_nul_in_a_field_name_is_stored_cleaned_or_ignored(client, org_a):
    """Field names are cleaned like values: PostgreSQL's jsonb refuses \\u0000 (a 503, retried forever)."""
    params = inbound_params(to=ORG_NUMBER)
    params["Add\x00Ons"] = "x"
    response = post_signed(client, INCOMING, params)
    assert response.status_code == 200
    assert "\\u0000" not in json.dumps(list(MessageEvent.objects.values_list("payload", flat=True)))
