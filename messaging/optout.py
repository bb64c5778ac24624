"""Opt-out keywords as Twilio applies them: a keyword counts only as the whole trimmed body."""

from __future__ import annotations

from typing import Literal

OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

Intent = Literal["STOP", "START", "HELP"]


def keyword_intent(*, body: str, opt_out_type: str = "") -> tuple[Intent | None, str]:
    """Return what an inbound message asks for and the keyword that said so.

    Twilio's ``OptOutType`` (Advanced Opt-Out, which knows custom keywords) wins; otherwise the
    body must be exactly one keyword, trimmed and case-insensitive: ``sToP`` counts,
    ``stop please`` does not.
    """
    text = body.strip()
    if opt_out_type in {"STOP", "START", "HELP"}:
        return opt_out_type, text.upper()[:20] or opt_out_type  # type: ignore[return-value]
    # Twilio's keywords are ASCII words; Unicode upper-casing would read "ſtop" (long s) as STOP.
    word = text.upper() if text.isascii() else ""
    if word in OPT_OUT_KEYWORDS:
        return "STOP", word
    if word in OPT_IN_KEYWORDS:
        return "START", word
    if word in HELP_KEYWORDS:
        return "HELP", word
    return None, ""
