"""The emulator's own copy of Twilio's rules (segments, body length, keywords), checked against Twilio's
documentation, and compared with the product's copy so that a regression in either shows up.

Sources: REFERENCE §5 and §7; Twilio's glossary (GSM-7, UCS-2, "How long can a message be?"); error
21617; "Twilio support for opt-out keywords"; the vectors of Twilio's Message Segment Calculator.
"""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from messaging.optout import keyword_intent
from messaging.segments import is_too_long, segment_info
from messaging.twilio.emulator import rules
from messaging.twilio.emulator.rules import body_length, body_too_long, keyword_of, segment

from .helpers import CUSTOMER, NUMBER

EMOJI = "😀"  # U+1F600: outside the BMP, a surrogate pair in UTF-16

# --- encoding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("Hello £5 à demain", "GSM-7"),
        ("Hello £5 à bientôt", "UCS-2"),  # ô is in neither GSM-7 table
        ("Ç", "GSM-7"),  # 0x09 is the capital
        ("ç", "UCS-2"),
        ("`", "UCS-2"),  # the backtick is not GSM-7
        ("ΔΦΓΛΩΠΨΣΘΞ", "GSM-7"),
        ("ω", "UCS-2"),  # only these Greek capitals are
        ("[\\]^{|}~€\f", "GSM-7"),  # the extension table
        ("\x1b", "UCS-2"),  # the escape septet is not a character of the text
        ("it’s", "UCS-2"),  # a smart quote
        ("a\u00a0b", "UCS-2"),  # a no-break space
        ("line\r\nbreak", "GSM-7"),
        ("", "GSM-7"),
    ],
)
def test_encoding(body, encoding):
    assert segment(body).encoding == encoding


def test_one_non_gsm_character_makes_the_whole_message_ucs2():
    body = "x" * 159 + EMOJI
    assert segment("x" * 159).encoding == "GSM-7"
    assert (segment(body).encoding, segment(body).units) == ("UCS-2", 161)


# --- GSM-7 segments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("digits", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_160_alone_153_concatenated(digits, segments):
    assert segment("1" * digits).count == segments


def test_an_extension_character_costs_two_septets():
    assert segment("{").units == 2
    assert segment("€" * 80).units == 160
    assert segment("€" * 80).count == 1
    assert segment("€" * 81).count == 2
    # The calculator's vectors: "{" and 158 more characters is 160 septets; one more is two segments.
    assert segment("{" + "2" * 158).count == 1
    assert segment("{" + "2" * 159).count == 2


def test_an_extension_character_never_splits_across_segments():
    split = segment("a" * 152 + "€" + "a" * 7)  # 161 septets: concatenated; 1 septet left after 152 a's
    assert split.parts == ("a" * 152, "€" + "a" * 7)

    lost = segment("a" * 152 + "€" + "a" * 152)  # 306 septets, which would fill exactly 2 × 153
    assert lost.units == 306
    assert lost.count == 3
    assert lost.parts == ("a" * 152, "€" + "a" * 151, "a")

    assert segment("{" * 153).count == 3  # 76 per concatenated segment, never 76.5


# --- UCS-2 segments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_70_alone_67_concatenated(length, segments):
    assert segment("ж" * length).count == segments


def test_a_surrogate_pair_counts_two_code_units():
    assert (segment(EMOJI).encoding, segment(EMOJI).units) == ("UCS-2", 2)
    # The calculator's vectors: an emoji and 68 digits fit one segment; 69 digits do not.
    assert segment(EMOJI + "1" * 68).count == 1
    assert segment(EMOJI + "1" * 69).count == 2
    assert segment(EMOJI * 35).count == 1
    assert segment(EMOJI * 36).count == 2


def test_a_surrogate_pair_never_splits_across_segments():
    split = segment("1" * 66 + EMOJI + "1" * 3)  # 71 units: concatenated; 1 unit left after 66 digits
    assert split.parts == ("1" * 66, EMOJI + "111")
    assert segment(EMOJI * 67).parts == (EMOJI * 33, EMOJI * 33, EMOJI)  # 134 units, yet 3 segments


def test_segments_hold_the_whole_body_in_order():
    for body in ["x" * 500, "€x" * 200, (EMOJI + "ab") * 120, "ж" * 300 + EMOJI, "", "{" * 153]:
        info = segment(body)
        assert "".join(info.parts) == body
        assert info.count == len(info.parts) >= 1


def test_an_empty_body_is_one_segment():
    assert (segment("").count, segment("").units) == (1, 0)


# --- body length ------------------------------------------------------------------------------------


def test_the_1600_character_limit_counts_utf16_code_units():
    assert rules.MAX_BODY_LENGTH == 1600
    assert not body_too_long("x" * 1600)
    assert body_too_long("x" * 1601)
    assert not body_too_long("é" * 1600)  # one unit each, GSM-7 or not
    assert not body_too_long("ж" * 1600)
    assert body_length(EMOJI * 800) == 1600
    assert not body_too_long(EMOJI * 800)
    assert body_too_long(EMOJI * 800 + "x")  # 801 characters as people count them, 1601 as Twilio does


def test_the_api_refuses_a_body_over_1600_code_units(client):
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=NUMBER, body=EMOJI * 801)
    assert (raised.value.status, raised.value.code) == (400, 21617)
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body=EMOJI * 800).num_segments == "25"  # 33 a segment


def test_num_segments_follow_twilio_split(client, emulator, receiver):
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body=EMOJI * 67).num_segments == "3"
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="a" * 152 + "€" + "a" * 152)
    assert receiver.wait_for(1)[0].form["NumSegments"] == "3"


# --- keywords ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"])
def test_opt_out_keywords(word):
    assert keyword_of(word) == "STOP"
    assert keyword_of(word.lower()) == "STOP"


@pytest.mark.parametrize(("word", "kind"), [("START", "START"), ("YES", "START"), ("UNSTOP", "START")])
def test_opt_in_keywords(word, kind):
    assert keyword_of(word) == kind


@pytest.mark.parametrize("word", ["HELP", "INFO", "help", "Info"])
def test_help_keywords(word):
    assert keyword_of(word) == "HELP"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("stop", "STOP"),
        (" Stop ", "STOP"),
        ("sToP", "STOP"),
        ("\tunstop\n", "START"),
        ("stop please", None),
        ("please stop", None),
        ("STOP.", None),
        ("st op", None),
        ("stopp", None),
        ("", None),
        ("   ", None),
        ("ſtop", None),  # "ſ".upper() == "S", but the long s is not a letter of STOP
    ],
)
def test_a_keyword_is_the_whole_trimmed_body_in_any_case(body, kind):
    assert keyword_of(body) == kind


def test_inbound_keywords_drive_the_opt_out(client, emulator):
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="stop please")
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="still here").status == "queued"
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="optout")
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=NUMBER, body="are you there?")
    assert raised.value.code == 21610
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="HELP")  # answered by Twilio, changes nothing
    with pytest.raises(TwilioRestException):
        client.messages.create(to=CUSTOMER, from_=NUMBER, body="are you there?")
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body=" Yes ")
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="welcome back").status == "queued"


# --- the emulator and the product, side by side -----------------------------------------------------

# (body, Twilio's segment count): vectors from Twilio's calculator and the boundaries around them.
TRICKY = [
    pytest.param("", 1, id="empty"),
    pytest.param("1" * 160, 1, id="160-digits"),
    pytest.param("1" * 161, 2, id="161-digits"),
    pytest.param("1" * 306, 2, id="306-digits"),
    pytest.param("1" * 307, 3, id="307-digits"),
    pytest.param("€" * 80, 1, id="80-euros"),
    pytest.param("€" * 81, 2, id="81-euros"),
    pytest.param("a" * 152 + "€", 1, id="euro-at-160"),
    pytest.param("a" * 159 + "€", 2, id="euro-at-161"),
    pytest.param("{" + "2" * 158, 1, id="calculator-brace-1"),
    pytest.param("{" + "2" * 159, 2, id="calculator-brace-2"),
    pytest.param("Ç" * 161, 2, id="capital-c-cedilla"),
    pytest.param("ç" * 70, 1, id="small-c-cedilla"),
    pytest.param("`" + "1" * 69, 1, id="backtick-70"),
    pytest.param("`" + "1" * 70, 2, id="backtick-71"),
    pytest.param("\r\n" * 80, 1, id="crlf"),
    pytest.param("\f" * 80, 1, id="form-feed"),
    pytest.param(EMOJI + "1" * 68, 1, id="calculator-emoji-1"),
    pytest.param(EMOJI + "1" * 69, 2, id="calculator-emoji-2"),
    pytest.param(EMOJI * 35, 1, id="35-emoji"),
    pytest.param(EMOJI * 36, 2, id="36-emoji"),
    pytest.param("ж" * 134, 2, id="134-cyrillic"),
    pytest.param("ж" * 135, 3, id="135-cyrillic"),
    pytest.param("👍🏽" * 17, 1, id="skin-tone-68-units"),
    pytest.param("it’s " * 14, 1, id="smart-quotes-70"),
    pytest.param("x" * 1600, 11, id="1600-digits"),
    pytest.param("a" * 152 + "€" + "a" * 152, 3, id="euro-straddles-153"),
    pytest.param("{" * 153, 3, id="153-braces"),
    pytest.param("1" * 66 + EMOJI + "1" * 66, 3, id="emoji-straddles-67"),
    pytest.param(EMOJI * 67, 3, id="67-emoji"),
]


@pytest.mark.parametrize(("body", "twilio"), TRICKY)
def test_the_emulator_counts_as_twilio_documents(body, twilio):
    assert segment(body).count == twilio


@pytest.mark.parametrize(("body", "twilio"), TRICKY)
def test_the_product_counts_segments_like_the_emulator(body, twilio):
    ours, theirs = segment(body), segment_info(body)
    assert (theirs.encoding, theirs.units) == (ours.encoding, ours.units)
    assert theirs.segments == ours.count


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        " Stop ",
        "stop please",
        "STOP.",
        "revoke",
        "OptOut",
        "yes",
        "unstop",
        "info",
        "",
        "ſtop",  # long s: Unicode upper-casing makes it STOP; Twilio's keywords are ASCII words
        "ﬆop",
    ],
)
def test_the_product_reads_keywords_like_the_emulator(body):
    assert keyword_intent(body=body)[0] == keyword_of(body)


@pytest.mark.parametrize(
    "body",
    ["x" * 1600, "x" * 1601, EMOJI * 800, EMOJI * 801, "x" * 1599 + EMOJI, "ж" * 1600, "€" * 1600],
)
def test_the_product_applies_the_1600_limit_like_the_emulator(body):
    assert is_too_long(body) == body_too_long(body)
