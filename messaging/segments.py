"""How many SMS segments a body costs, in which encoding, and how much one message may carry. Pure; no Django.

GSM-7: 160 characters in one segment, 153 per segment when split; the extension characters
``^ { } [ ] ~ \\ | €`` and form feed cost two septets each. One character outside the GSM-7
sets makes the whole message UCS-2: 70 code units in one segment, 67 per segment when split,
counted in UTF-16 code units (an emoji costs two). The inbox composer mirrors these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

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


def segment_info(body: str) -> SegmentInfo:
    """Return encoding, length and segment count of ``body`` as Twilio will bill it."""
    if is_gsm7(body):
        encoding, units, single, multi = "GSM-7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in body), 160, 153
    else:
        encoding, units, single, multi = "UCS-2", len(body.encode("utf-16-le")) // 2, 70, 67
    if units <= single:
        return SegmentInfo(encoding, len(body), units, 1, single)
    return SegmentInfo(encoding, len(body), units, -(-units // multi), multi)
