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


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["500", "5005", "500555", "(500) 555", "555-01", "500 555 0123", "+1 500 555 0123"])
def test_digits_typed_with_or_without_formatting_match_a_numbers_digits(typed, org_a):
    from conversations.models import Contact
    from conversations.services import contact_create
    from smsinbox.phones import phone_query

    wanted = contact_create(organization=org_a.organization, phone="+15005550123", first_name="Wanted")
    contact_create(organization=org_a.organization, phone="+14155559876", first_name="Other")
    found = Contact.objects.filter(phone_query("phone", typed))
    assert list(found) == [wanted]


@pytest.mark.parametrize("typed", ["", "50", "5-0", "abc500", "room 500"])
def test_too_few_digits_or_words_are_not_a_number_search(typed):
    from smsinbox.phones import phone_query

    assert phone_query("phone", typed) is None


def test_one_format_for_people_in_pages_payloads_and_the_api():
    """Templates (``Contact.display_name_number``), payloads and the API all call ``format_for_people``."""
    from conversations.models import Contact
    from smsinbox.web.api.conversations import _PeoplePhoneField

    people = format_for_people("+15005550123")
    assert people == "(500) 555-0123"
    assert Contact(phone="+15005550123").display_name_number == people
    assert _PeoplePhoneField().to_representation("+15005550123") == people
    assert format_for_people("+447911123456") == "+44 7911 123456"  # another country: international
