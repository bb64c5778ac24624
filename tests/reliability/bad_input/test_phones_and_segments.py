"""Phone normalization and segment counting: any text is a valid E.164 number or a clear error, and every
body is counted consistently with what is stored."""

from __future__ import annotations

import re
from typing import Any

import hypothesis
import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from conversations.models import Contact
from conversations.services import contact_create
from messaging.models import Message
from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, segment_info
from smsinbox.parsing import clean_text
from smsinbox.phones import InvalidPhoneNumber, e164_or_none, format_for_people, phone_query, to_e164
from tests.api_client import ApiClient
from tests.reliability.bad_input.helpers import E164, FUZZ, PURE, any_text, phoneish_text, rolled_back

# --- Phone normalization ------------------------------------------------------------------------


@PURE
@given(
    text=st.one_of(phoneish_text, any_text, st.from_regex(r"\+?[0-9 ().\-]{3,20}", fullmatch=True)),
    strict=st.booleans(),
)
def test_any_text_is_valid_e164_or_invalid_phone_number_and_normalizing_is_idempotent(text: str, strict: bool):
    error = ""
    try:
        e164 = to_e164(text, strict=strict)
    except InvalidPhoneNumber as exc:  # the only error it may raise, with a message for people
        error = str(exc)
    if error:
        assert strict or e164_or_none(text) is None
        return
    assert E164.fullmatch(e164), e164
    number = phonenumbers.parse(e164)
    assert phonenumbers.is_possible_number(number)
    assert not strict or phonenumbers.is_valid_number(number)
    assert to_e164(e164, strict=strict) == e164  # idempotent
    assert e164_or_none(text) == e164 == e164_or_none(e164)
    if strict:  # what the inbox shows reads back as the same number
        assert to_e164(format_for_people(e164)) == e164


@PURE
@given(value=st.one_of(any_text, phoneish_text, st.none(), st.integers()))
def test_format_for_people_never_raises(value: Any):
    assert isinstance(format_for_people(value), str)


REGIONS = ["US", "CA", "GB", "DE", "FR", "ES", "IT", "MX", "BR", "IN", "AU", "JP", "NG", "ZA", "JM"]


@st.composite
def valid_numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    """A number libphonenumber calls valid: a region's example number with its last digits redrawn."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    number = phonenumbers.parse(e164[:-3] + tail)
    hypothesis.assume(phonenumbers.is_valid_number(number))
    return number


def typed_forms(number: phonenumbers.PhoneNumber) -> list[tuple[str, str | None]]:
    """The ways people type ``number``, with the region they type it in (``None``: the default, US)."""
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    region = phonenumbers.region_code_for_number(number)
    digits = international.lstrip("+")
    forms = [
        (phonenumbers.format_number(number, PhoneNumberFormat.E164), None),
        (international, None),
        (international.replace(" ", "-"), None),
        (international.replace(" ", "."), None),
        (f"  {international}\t", None),
        (phonenumbers.format_number(number, PhoneNumberFormat.RFC3966), None),
        (f"011 {digits}", None),  # dialled from the US
        (f"00 {digits}", "GB"),  # dialled from Europe: "001 415 555 0101"
        (f"00{re.sub(r'[^0-9]', '', digits)}", "DE"),
        (phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL), region),
    ]
    if region == "US":
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)  # (415) 555-0101
        plain = str(number.national_number)
        forms += [
            (national, None),
            (f"1 {national}", None),
            (f"{plain[:3]}.{plain[3:6]}.{plain[6:]}", None),
            (f"1-{plain[:3]}-{plain[3:6]}-{plain[6:]}", None),
            (plain, None),
        ]
    return forms


@PURE
@given(number=valid_numbers())
def test_every_way_of_typing_a_number_normalizes_to_the_same_e164(number: phonenumbers.PhoneNumber):
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    for typed, region in typed_forms(number):
        assert to_e164(typed, region=region) == e164, (typed, region)
        assert to_e164(typed, region=region, strict=False) == e164, (typed, region)
    assert to_e164(format_for_people(e164)) == e164


def test_double_zero_is_not_an_international_prefix_from_the_us():
    """'00 1 415 …' is how Europe dials out; typed in the default region (US) it is not a number."""
    with pytest.raises(InvalidPhoneNumber):
        to_e164("001 415 555 0101")
    assert to_e164("001 415 555 0101", region="GB") == "+14155550101"
    assert to_e164("011 1 415 555 0101") == "+14155550101"


@FUZZ
@given(text=st.one_of(any_text, phoneish_text), number=valid_numbers())
def test_phone_query_never_fails_and_finds_a_number_typed_any_way(org_a, text: str, number):
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    with rolled_back():
        contact = contact_create(organization=org_a.organization, phone=e164)
        contacts = Contact.objects.filter(organization=org_a.organization)
        condition = phone_query("phone", text)
        if condition is not None:
            list(contacts.filter(condition))  # a valid query on this database, whatever was typed
        for typed, region in typed_forms(number):
            if region is None:
                condition = phone_query("phone", typed)
                assert condition is not None, typed
                assert contact in contacts.filter(condition), typed


# --- Segment counting ---------------------------------------------------------------------------

everything = st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=400)


@PURE
@given(text=everything)
def test_segment_counting_of_any_cleaned_text_is_consistent(text: str):
    """Every body is counted after ``clean_text`` (webhooks and sends both clean first): NUL and lone
    surrogates included, counting never fails and the count fits the units."""
    body = clean_text(text)
    info = segment_info(body)
    assert info.encoding in {"GSM-7", "UCS-2"}
    assert info.characters == len(body)
    assert info.segments >= 1
    if info.encoding == "GSM-7":
        assert all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body)
        capacity = 160 if info.segments == 1 else 153 * info.segments
    else:
        assert info.units == len(body.encode("utf-16-le")) // 2
        capacity = 70 if info.segments == 1 else 67 * info.segments
    assert info.units <= capacity
    assert info.segments == 1 or info.units > capacity - (153 if info.encoding == "GSM-7" else 67)


@FUZZ
@given(
    text=st.text(
        alphabet=st.one_of(st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), st.characters()), max_size=1700
    )
)
def test_a_sent_message_stores_the_segments_of_its_stored_body(org_a, conversation_a, text: str):
    api = ApiClient(org_a.user)
    with rolled_back():
        response = api.post("/api/sms/send", {"contactId": conversation_a.contact.pk, "message": text})
        assert response.status_code in {201, 400}, response.content
        if response.status_code == 400:
            assert not Message.objects.exists()
            return
        message = Message.objects.get()
        info = segment_info(message.body)
        assert (message.num_segments, message.encoding) == (info.segments, info.encoding)
        assert "\x00" not in message.body
        assert len(message.body) <= 1600
