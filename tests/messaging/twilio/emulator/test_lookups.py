"""Lookup v2 as the emulator answers it, through the Twilio SDK: Twilio's shape, the magic numbers, a 503, auth."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from messaging.twilio.emulator.lookups import FIXED_VOIP, LANDLINE, NON_FIXED_VOIP, TOLL_FREE, UNAVAILABLE

from .helpers import ACCOUNT_SID, sdk_client


@pytest.fixture
def lookups(emulator):
    client = sdk_client(emulator)
    client.lookups.base_url = emulator.base_url
    return client.lookups.v2


@pytest.mark.parametrize(
    ("number", "kind"),
    [(LANDLINE, "landline"), (NON_FIXED_VOIP, "nonFixedVoip"), (FIXED_VOIP, "fixedVoip"), (TOLL_FREE, "tollFree"),
     ("+14155550101", "mobile")],
)  # fmt: skip
def test_line_type_intelligence_of_the_magic_numbers(emulator, lookups, number, kind):
    found = lookups.phone_numbers(number).fetch(fields="line_type_intelligence")
    assert (found.phone_number, found.valid, found.calling_country_code) == (number, True, "1")
    assert found.line_type_intelligence["type"] == kind
    assert set(found.line_type_intelligence) == {
        "mobile_country_code", "mobile_network_code", "carrier_name", "type", "error_code",
    }  # fmt: skip
    assert emulator.lookups.requests[-1] == number


def test_without_the_field_there_is_no_line_type(lookups):
    assert lookups.phone_numbers("+14155550101").fetch().line_type_intelligence is None


def test_not_a_number_is_invalid_with_no_line_type(lookups):
    found = lookups.phone_numbers("12").fetch(fields="line_type_intelligence")
    assert (found.valid, found.line_type_intelligence) == (False, None)


def test_the_unavailable_number_answers_503(lookups):
    with pytest.raises(TwilioRestException) as refused:
        lookups.phone_numbers(UNAVAILABLE).fetch(fields="line_type_intelligence")
    assert (refused.value.status, refused.value.code) == (503, 20503)


def test_a_wrong_password_is_401(emulator):
    from twilio.rest import Client

    client = Client(ACCOUNT_SID, "wrong-token")
    client.lookups.base_url = emulator.base_url
    with pytest.raises(TwilioRestException) as refused:
        client.lookups.v2.phone_numbers(LANDLINE).fetch(fields="line_type_intelligence")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert emulator.lookups.requests == []
