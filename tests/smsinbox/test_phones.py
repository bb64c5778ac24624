import pytest

from smsinbox.phones import InvalidPhoneNumber, e164_or_none, format_for_people, to_e164
from tests.db_errors import refused_by


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
    from smsinbox.web.api.conversations import ContactSerializer

    people = format_for_people("+15005550123")
    assert people == "(500) 555-0123"
    assert Contact(phone="+15005550123").display_name_number == people
    assert ContactSerializer().fields["phone_display"].source == "display_name_number"
    assert format_for_people("+447911123456") == "+44 7911 123456"  # another country: international


# --- the organization's region -------------------------------------------------------------------------------


@pytest.fixture
def london(db):
    from smsinbox.services import organization_setup, organization_update

    setup = organization_setup(name="Harley Clinic", numbers=["+442079460000"], username="lena", password="pw-lena-1")
    organization_update(organization=setup.organization, phone_region=" gb ")
    return setup


def test_an_organization_in_another_country_reads_and_shows_its_own_numbers_nationally(client, london):
    from conversations.models import Conversation
    from conversations.payloads import conversation_payload
    from conversations.selectors import contact_list
    from conversations.services import contact_create
    from messaging.selectors import conversation_list
    from tests.twilio_posts import post_inbound

    organization = london.organization
    assert organization.phone_region == "GB"
    local = contact_create(organization=organization, phone="020 7946 0018")  # typed as people there do
    assert str(local.phone) == "+442079460018"
    american = contact_create(organization=organization, phone="+1 415 555 0101")
    assert (local.display_name, american.display_name) == ("020 7946 0018", "+1 415-555-0101")
    post_inbound(client, to="+442079460000", from_="+442079460018", body="Can I move my appointment?")
    conversation = Conversation.objects.get(contact=local)
    assert conversation_payload(conversation)["contact_phone_display"] == "020 7946 0018"
    assert [c.pk for c in contact_list(organization=organization, q="020 7946 0018")] == [local.pk]
    client.force_login(london.user)
    page = client.get("/").content.decode()
    assert "020 7946 0018" in page
    assert client.get(f"/api/contacts/{local.pk}/").json()["phoneDisplay"] == "020 7946 0018"
    listed = conversation_list(user=london.user, organization=organization, q="020 7946 0018")
    assert [c.pk for c in listed] == [conversation.pk]


def test_the_default_region_stays_for_an_organization_without_one(org_a):
    from conversations.services import contact_create

    assert org_a.organization.phone_region == ""
    assert contact_create(organization=org_a.organization, phone="(415) 555-0199").display_name == "(415) 555-0199"


@pytest.mark.parametrize("typed", ["XX", "GBR", "1", "uk"])
def test_a_region_phonenumbers_does_not_know_is_refused_with_its_reason(org_a, typed):
    from smsinbox.errors import ServiceError
    from smsinbox.models import Organization
    from smsinbox.services import organization_update

    with pytest.raises(ServiceError) as refused:
        organization_update(organization=org_a.organization, phone_region=typed)
    assert "is not a country code" in refused.value.message
    assert Organization.objects.get(pk=org_a.organization.pk).phone_region == ""


def test_the_database_refuses_a_region_that_is_not_two_capitals(org_a):
    from django.db import DataError, connection, transaction

    from smsinbox.models import Organization

    for bad in ("gb", "G"):
        with refused_by("organization_phone_region_code"), transaction.atomic():
            Organization.objects.filter(pk=org_a.organization.pk).update(phone_region=bad)
    # Three letters: PostgreSQL's varchar(2) refuses them before the check; SQLite has no length, the check does.
    if connection.vendor == "postgresql":
        too_long = pytest.raises(DataError, match="value too long for type character varying\\(2\\)")
    else:
        too_long = refused_by("organization_phone_region_code")
    with too_long, transaction.atomic():
        Organization.objects.filter(pk=org_a.organization.pk).update(phone_region="GBR")


def test_another_process_sees_a_region_change_within_region_seconds(org_a, monkeypatch):
    """A process that did not save the change keeps the region it read for REGION_SECONDS, then reads it again."""
    from conversations.services import contact_create
    from smsinbox import phones
    from smsinbox.models import Organization

    contact = contact_create(organization=org_a.organization, phone="+442079460018")
    assert contact.display_name == "+44 20 7946 0018"
    Organization.objects.filter(pk=org_a.organization.pk).update(phone_region="GB")  # saved elsewhere
    assert contact.display_name == "+44 20 7946 0018"
    later = phones.time.monotonic() + phones.REGION_SECONDS + 1
    monkeypatch.setattr(phones.time, "monotonic", lambda: later)
    assert contact.display_name == "020 7946 0018"
