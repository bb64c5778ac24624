"""How many SMS segments a body costs, in which encoding, and how much one message may carry. Pure; no Django.

GSM-7: 160 characters in one segment, 153 per segment when split; the extension characters
``^ { } [ ] ~ \\ | €`` and form feed cost two septets each. One character outside the GSM-7
sets makes the whole message UCS-2: 70 code units in one segment, 67 per segment when split,
counted in UTF-16 code units (an emoji costs two). A character is never split across two
segments: an escape pair or a surrogate pair that does not fit in what is left of a segment
starts the next one (Twilio's segment calculator), so ``{`` × 153 is three segments, not two.

The 1,600 limit counts UTF-16 code units too (an emoji counts two, as Twilio's 21617 does and
as a browser's ``maxlength`` does). The inbox composer counts with the same rules:
``static/js/segments.js`` is handed these tables and sizes (``segment_rules``), and a browser test
compares the two on the same texts.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC_CHARACTERS = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION_CHARACTERS = "\f^{}\\[~]|€"
GSM7_BASIC = frozenset(GSM7_BASIC_CHARACTERS)
GSM7_EXTENSION = frozenset(GSM7_EXTENSION_CHARACTERS)
# Capacity of one segment alone, and of each segment of a split message.
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# What one message may carry, as Twilio takes it: the send service, the API and the webhook parser
# all read these (the local emulator keeps its own copy, on purpose).
MAX_BODY_CHARACTERS = 1600
MAX_MEDIA = 10  # media URLs (images) of one MMS


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # as people count them (code points)
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int  # capacity of each segment at this length


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def body_length(body: str) -> int:
    """The length the 1,600 limit counts: UTF-16 code units (an emoji is two)."""
    return len(body.encode("utf-16-le")) // 2


def is_too_long(body: str) -> bool:
    return body_length(body) > MAX_BODY_CHARACTERS


def segment_info(body: str) -> SegmentInfo:
    """Return encoding, length and segment count of ``body`` as Twilio will bill it."""
    if is_gsm7(body):
        encoding, costs = "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in body]
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        encoding, costs = "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in body]
        single, multi = UCS2_SINGLE, UCS2_MULTI
    units = sum(costs)
    if units <= single:
        return SegmentInfo(encoding, len(body), units, 1, single)
    segments, used = 1, 0
    for cost in costs:  # fill each segment; a character that does not fit starts the next one
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return SegmentInfo(encoding, len(body), units, segments, multi)


def segment_rules() -> dict[str, object]:
    """These rules as data, for the composer's counter (``static/js/segments.js``)."""
    return {
        "gsm7_basic": GSM7_BASIC_CHARACTERS,
        "gsm7_extension": GSM7_EXTENSION_CHARACTERS,
        "gsm7": {"single": GSM7_SINGLE, "multi": GSM7_MULTI},
        "ucs2": {"single": UCS2_SINGLE, "multi": UCS2_MULTI},
    }
