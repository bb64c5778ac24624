import pytest

from smsinbox.phones import InvalidPhoneNumber, e164_or_none, format_for_people, to_e164


@pytest.mark.parametrize(
    "typed",
    [
        "(415) 555-0101",
        "415-555-0101",
        "415.555.0101",
        "+1 415 555 0101",
        "1 (415) 555-0101",
        "+14155550101",
        " 4155550101 ",
    ],
)
def test_common_ways_of_typing_a_us_number_give_one_e164(typed):
    assert to_e164(typed) == "+14155550101"


def test_international_numbers_keep_their_country():
    assert to_e164("+44 7911 123456") == "+447911123456"
    assert e164_or_none("+44 7700 900123") == "+447700900123"
    assert e164_or_none("+1 770 090 0123") == "+17700900123"


@pytest.mark.parametrize("typed", ["", "hello", "123", "+1 415 555", "+99 12345"])
def test_malformed_numbers_raise_a_clear_error(typed):
    with pytest.raises(InvalidPhoneNumber) as exc:
        to_e164(typed)
    assert str(exc.value)


def test_strict_parsing_rejects_unassigned_ranges_that_lenient_parsing_accepts():
    with pytest.raises(InvalidPhoneNumber, match="not a valid phone number"):
        to_e164("(555) 123-4567")
    assert e164_or_none("(555) 123-4567") == "+15551234567"


def test_format_for_people_is_national_at_home_and_international_abroad():
    assert format_for_people("+14155550101") == "(415) 555-0101"
    assert format_for_people("+447911123456") == "+44 7911 123456"
    assert format_for_people("") == ""
