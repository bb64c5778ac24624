"""The one table of Twilio error codes the inbox explains to people, and how sending treats them.

Each code has its meaning, what staff can do about it (``action``, shown on the Failed page and beside a
failed bubble) and whether a new send may get through (``error_is_retryable``: the Failed page's and the
bubble's "Retry" follow it). Retryable: a passing failure (a queue, a handset switched off, a carrier's unknown
error). Never retryable: a refusal that a resend meets again: the recipient opted out (21610), the number is
invalid, not mobile, a landline or unknown (21211, 21612, 21614, 30005, 30006), the region is not allowed
(21408), the carrier filters the text or the sender is unregistered (30007, 30034: fix the content or the
registration first), the message was blocked (30004). An unknown code is not retryable.
"""

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
    action: str = ""  # what staff can do about it


_ERRORS = [
    TwilioError(20429, "Twilio's API rate limit was hit; the send is retried.", transient=True),
    TwilioError(
        21211,
        "The 'To' number is not a valid phone number.",
        action="Correct the contact's number; a resend to this number fails again.",
    ),
    TwilioError(
        21408,
        "This account has no permission to send to that country or region.",
        action="An admin enables the region in Twilio's geographic permissions, then send again.",
    ),
    TwilioError(21606, "The 'From' number cannot send messages on this Twilio account."),
    TwilioError(
        21610,
        "The recipient replied STOP and has unsubscribed from this number.",
        opts_out=True,
        action="Do not text them; they can reply START to opt back in.",
    ),
    TwilioError(21611, "This sender's queue at Twilio is full; the send is retried.", transient=True),
    TwilioError(
        21612,
        "The 'To' number cannot receive SMS from this sender.",
        action="Reach the contact another way, or check that the number can receive texts.",
    ),
    TwilioError(
        21614,
        "The 'To' number is not a mobile number.",
        action="Ask the contact for a mobile number; landlines cannot receive texts.",
    ),
    TwilioError(21617, "The message is longer than 1600 characters."),
    TwilioError(21619, "The message needs a body, media or content."),
    TwilioError(
        30001,
        "This sender's queue at Twilio overflowed.",
        resend_may_succeed=True,
        action="Retry later, when fewer messages are queued.",
    ),
    TwilioError(
        30003,
        "The handset is unreachable (switched off or out of coverage).",
        resend_may_succeed=True,
        action="Retry later; the phone may be switched off or out of coverage.",
    ),
    TwilioError(30004, "The message was blocked (the recipient or their carrier blocks it)."),
    TwilioError(
        30005,
        "The number is unknown to the carrier or no longer in service.",
        action="Check the number with the contact; it may no longer be in service.",
    ),
    TwilioError(
        30006,
        "The number is a landline or its carrier cannot be reached.",
        action="Ask the contact for a mobile number; landlines cannot receive texts.",
    ),
    TwilioError(
        30007,
        "The carrier filtered the message as spam or unregistered traffic.",
        action="Rephrase the message (avoid link shorteners and spam-like wording) and check the sender's "
        "registration; a resend of the same text is filtered again.",
    ),
    TwilioError(
        30008,
        "The carrier reported an unknown error.",
        resend_may_succeed=True,
        action="Retry; if it keeps failing, contact Twilio support.",
    ),
    TwilioError(
        30034,
        "The sender is an unregistered US 10DLC number.",
        action="An admin registers the number with an A2P 10DLC campaign; sends fail until then.",
    ),
]
TWILIO_ERRORS: dict[int, TwilioError] = {e.code: e for e in _ERRORS}


def error_meaning(code: int | None) -> str:
    """A sentence a staff member understands, for any Twilio error code."""
    if code is None:
        return ""
    known = TWILIO_ERRORS.get(code)
    return known.meaning if known else f"Twilio error {code} (see twilio.com/docs/api/errors/{code})."


def error_action(code: int | None) -> str:
    """What staff can do about a failure with this code ("" when we have no advice)."""
    known = TWILIO_ERRORS.get(code) if code is not None else None
    return known.action if known else ""


def error_is_retryable(code: int | None) -> bool:
    """Whether a new send of a failed message may get through: the failure was passing (a queue, a
    handset out of coverage, a carrier's unknown error), not a refusal of the number or the sender
    (the module's docstring lists the decision per code)."""
    known = TWILIO_ERRORS.get(code) if code is not None else None
    return known is not None and (known.transient or known.resend_may_succeed)


resend_may_succeed = error_is_retryable  # the name the bubble's rule had before


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
