"""The retry rule per Twilio error code, the expected values written from Twilio's own descriptions
(../shared/twilio/REFERENCE.md §6, §12, §13), not read from messaging/error_codes.py."""

import pytest

from messaging.error_codes import TWILIO_ERRORS, error_action, error_is_retryable, error_meaning, resend_may_succeed

# code: (may a new send get through?, why, from Twilio's description)
RULES = {
    30003: (True, "unreachable handset: switched off or out of coverage, passing"),
    30008: (True, "unknown error: may pass next time"),
    30001: (True, "sender queue overflow: passing"),
    20429: (True, "REST rate limit: retry with backoff"),
    21611: (True, "sender queue full: passing"),
    30005: (False, "unknown handset: the number is not in service"),
    30006: (False, "landline or unreachable carrier: landlines cannot receive SMS"),
    30007: (False, "carrier filtering: the same text is filtered again"),
    30034: (False, "unregistered 10DLC sender: refused until registered"),
    30004: (False, "blocked"),
    21610: (False, "recipient replied STOP"),
    21211: (False, "invalid To number"),
    21612: (False, "To not reachable via SMS"),
    21614: (False, "To is not a mobile number"),
    21408: (False, "no permission to send to the region"),
    21606: (False, "From cannot send"),
    None: (False, "no code: nothing says a resend may pass"),
    99999: (False, "a code we do not know"),
}


@pytest.mark.parametrize("code", list(RULES))
def test_a_code_is_retryable_only_when_the_failure_may_pass(code):
    expected, why = RULES[code]
    assert error_is_retryable(code) is expected, why
    assert resend_may_succeed(code) is expected  # the bubble's name of the same rule


@pytest.mark.parametrize("code", [30003, 30005, 30006, 30007, 30008, 30034, 21610, 21211, 21612, 21614, 21408])
def test_the_common_codes_say_what_they_mean_and_what_to_do(code):
    assert error_meaning(code)
    assert not error_meaning(code).startswith("Twilio error")
    assert error_action(code)


def test_an_unknown_code_points_to_twilios_documentation_and_has_no_advice():
    assert "twilio.com/docs/api/errors/12345" in error_meaning(12345)
    assert error_action(12345) == ""
    assert error_action(None) == ""


def test_an_opt_out_code_is_never_retryable():
    assert all(not error_is_retryable(e.code) for e in TWILIO_ERRORS.values() if e.opts_out)
