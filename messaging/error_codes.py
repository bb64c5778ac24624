"""The one table of Twilio error codes the inbox explains to people, and how sending treats them."""

from __future__ import annotations

from dataclasses import dataclass

from smsinbox.parsing import ascii_int


@dataclass(frozen=True)
class TwilioError:
    code: int
    meaning: str
    transient: bool = False  # retry the send with backoff
    opts_out: bool = False  # the recipient has unsubscribed
    resend_may_succeed: bool = False  # a new send of the same text may get through (staff are offered "Retry")


_ERRORS = [
    TwilioError(20429, "Twilio's API rate limit was hit; the send is retried.", transient=True),
    TwilioError(21211, "The 'To' number is not a valid phone number."),
    TwilioError(21408, "This account has no permission to send to that country or region."),
    TwilioError(21606, "The 'From' number cannot send messages on this Twilio account."),
    TwilioError(21610, "The recipient replied STOP and has unsubscribed from this number.", opts_out=True),
    TwilioError(21611, "This sender's queue at Twilio is full; the send is retried.", transient=True),
    TwilioError(21612, "The 'To' number cannot receive SMS from this sender."),
    TwilioError(21614, "The 'To' number is not a mobile number."),
    TwilioError(21617, "The message is longer than 1600 characters."),
    TwilioError(21619, "The message needs a body, media or content."),
    TwilioError(30001, "This sender's queue at Twilio overflowed.", resend_may_succeed=True),
    TwilioError(30003, "The handset is unreachable (switched off or out of coverage).", resend_may_succeed=True),
    TwilioError(30004, "The message was blocked (the recipient or their carrier blocks it)."),
    TwilioError(30005, "The number is unknown to the carrier or no longer in service."),
    TwilioError(30006, "The number is a landline or its carrier cannot be reached."),
    TwilioError(30007, "The carrier filtered the message as spam or unregistered traffic."),
    TwilioError(30008, "The carrier reported an unknown error.", resend_may_succeed=True),
    TwilioError(30034, "The sender is an unregistered US 10DLC number."),
]
TWILIO_ERRORS: dict[int, TwilioError] = {e.code: e for e in _ERRORS}


def error_meaning(code: int | None) -> str:
    """A sentence a staff member understands, for any Twilio error code."""
    if code is None:
        return ""
    known = TWILIO_ERRORS.get(code)
    return known.meaning if known else f"Twilio error {code} (see twilio.com/docs/api/errors/{code})."


def resend_may_succeed(code: int | None) -> bool:
    """Whether a new send of a failed message's text may get through: the failure was passing (a queue, a
    handset out of coverage, a carrier's unknown error), not a refusal of the number or the sender."""
    known = TWILIO_ERRORS.get(code) if code is not None else None
    return known is not None and (known.transient or known.resend_may_succeed)


def error_text(code: int | None, said: str = "") -> str:
    """What staff read for an error Twilio reported with ``said``: our meaning for a code we know
    (whichever way Twilio worded it, so every source of the fact shows the same), else Twilio's
    words, else the generic pointer to Twilio's documentation."""
    if code in TWILIO_ERRORS:
        return error_meaning(code)
    return said.strip() or error_meaning(code)


def parse_error_code(raw: object) -> int | None:
    """Return a Twilio error code from a webhook field, or ``None`` when absent or not a number."""
    return ascii_int(str(raw or "").strip(), max_value=999_999_999)
