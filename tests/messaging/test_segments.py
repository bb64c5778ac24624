from hypothesis import given
from hypothesis import strategies as st

from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, segment_info


def test_twilio_calculator_vectors():
    assert segment_info("1" * 160).segments == 1
    assert segment_info("1" * 161).segments == 2
    assert segment_info("1" * 307).segments == 3
    assert segment_info("😀" + "1" * 68).segments == 1
    assert segment_info("😀" + "1" * 69).segments == 2


def test_encoding():
    assert segment_info("Hello £5 à bientôt").encoding == "UCS-2"  # ô is not GSM-7
    assert segment_info("Hello £5 à demain").encoding == "GSM-7"
    assert segment_info("`").encoding == "UCS-2"
    assert segment_info("ç").encoding == "UCS-2"
    assert segment_info("Ç").encoding == "GSM-7"


def test_extension_characters_cost_two():
    assert segment_info("€" * 80).segments == 1
    assert segment_info("€" * 81).segments == 2
    assert segment_info("{" * 80).units == 160


def test_empty_body_is_one_segment():
    info = segment_info("")
    assert (info.segments, info.encoding, info.characters) == (1, "GSM-7", 0)


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=1600)


@given(gsm_text)
def test_gsm_segments_fit_the_septets(body):
    info = segment_info(body)
    assert info.encoding == "GSM-7"
    assert info.units >= info.characters
    if info.segments == 1:
        assert info.units <= 160
    else:
        assert (info.segments - 1) * 153 < info.units <= info.segments * 153


@given(st.text(min_size=1, max_size=1600).filter(lambda t: any(c not in GSM7_BASIC | GSM7_EXTENSION for c in t)))
def test_ucs2_segments_fit_the_code_units(body):
    info = segment_info(body)
    assert info.encoding == "UCS-2"
    assert info.units == len(body.encode("utf-16-le")) // 2
    if info.segments == 1:
        assert info.units <= 70
    else:
        assert (info.segments - 1) * 67 < info.units <= info.segments * 67


@given(gsm_text, st.text(alphabet=sorted(GSM7_BASIC), min_size=1, max_size=20))
def test_adding_text_never_reduces_segments(body, more):
    assert segment_info(body + more).segments >= segment_info(body).segments
