"""Twilio's own rules, as the emulator applies them: how a body is encoded and split, how long it may be,
and which replies are opt-out keywords.

Written from Twilio's documentation (the shared REFERENCE §5 and §7, Twilio's glossary pages on
GSM-7 / UCS-2 and message length, error 21617, the opt-out keyword support article, and Twilio's
Message Segment Calculator), not from the product's ``messaging.segments`` / ``messaging.optout``:
the emulator must be able to disagree with the product.

Encoding. A body is GSM-7 when every character is in the GSM 03.38 default alphabet or its
extension table; one character outside both makes the whole message UCS-2.

Segments. A segment carries 140 octets: 160 septets or 70 UTF-16 code units on its own, 153 or 67
once a concatenation header (6 octets) is needed. Twilio fills segments character by character and
never splits a character: an extension character (escape + septet) or a surrogate pair (an emoji,
two code units) that does not fit in what is left of a segment opens the next one, and the unused
septet or code unit is lost. So 152 digits + ``€`` + 152 digits (306 septets) takes 3 segments, not 2.

Length. ``Body`` may hold 1,600 characters (error 21617 past that); Twilio counts an emoji as more
than one character, i.e. in UTF-16 code units, the unit its UCS-2 segments are measured in.

Keywords. A reply is a keyword only when the whole body, trimmed, is the keyword, in any letter case
(``sToP`` counts, ``stop please`` does not). The keywords are ASCII words; other scripts' case
mappings that happen to produce them (``ſtop``, long s) do not make a keyword.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]
Keyword = Literal["STOP", "START", "HELP"]  # the values of Twilio's ``OptOutType``

# --- GSM-7 (3GPP TS 23.038, "GSM 03.38") ----------------------------------------------------------

ESCAPE = "\x1b"  # 0x1B: announces an extension-table septet; not a character of the text
# The default alphabet in septet order, 0x00 to 0x7F (row by row, 16 a row).
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" + ESCAPE + "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each of these is sent as ESCAPE + one septet, so it costs two.
EXTENSION_TABLE = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
SEPTETS: dict[str, int] = {
    **{char: 1 for char in DEFAULT_ALPHABET if char != ESCAPE},
    **dict.fromkeys(EXTENSION_TABLE, 2),
}

# --- segment capacities -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    """How many units one segment holds, alone and in a concatenated message."""

    unit: str
    alone: int
    concatenated: int


CAPACITY: dict[Encoding, Capacity] = {
    "GSM-7": Capacity("septet", alone=160, concatenated=153),
    "UCS-2": Capacity("UTF-16 code unit", alone=70, concatenated=67),
}

MAX_BODY_LENGTH = 1600  # Twilio's limit on Body, in UTF-16 code units (error 21617 past it)


def utf16_units(char: str) -> int:
    """UTF-16 code units of one code point: two for a character outside the Basic Multilingual Plane."""
    return 2 if ord(char) > 0xFFFF else 1


def body_length(body: str) -> int:
    """The length Twilio holds against its 1,600-character limit (an emoji counts two)."""
    return sum(utf16_units(char) for char in body)


def body_too_long(body: str) -> bool:
    return body_length(body) > MAX_BODY_LENGTH


# --- segmentation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segmentation:
    """A body as Twilio sends it: its encoding, the text of each segment, and its size in units."""

    encoding: Encoding
    parts: tuple[str, ...]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2) of the whole body, headers excluded

    @property
    def count(self) -> int:
        return len(self.parts)


def encoding_of(body: str) -> Encoding:
    return "GSM-7" if all(char in SEPTETS for char in body) else "UCS-2"


def _costs(body: str, encoding: Encoding) -> list[int]:
    return [SEPTETS[char] for char in body] if encoding == "GSM-7" else [utf16_units(char) for char in body]


def segment(body: str) -> Segmentation:
    """Encode and split ``body`` the way Twilio bills it. An empty body (media only) is one segment."""
    encoding = encoding_of(body)
    costs = _costs(body, encoding)
    capacity = CAPACITY[encoding]
    total = sum(costs)
    if total <= capacity.alone:
        return Segmentation(encoding, (body,), total)
    parts: list[str] = []
    start, free = 0, capacity.concatenated
    for index, cost in enumerate(costs):
        if cost > free:  # a character is never split: it opens the next segment
            parts.append(body[start:index])
            start, free = index, capacity.concatenated
        free -= cost
    parts.append(body[start:])
    return Segmentation(encoding, tuple(parts), total)


def segment_count(body: str) -> int:
    """``num_segments`` / ``NumSegments`` of a message with this body."""
    return segment(body).count


# --- opt-out, opt-in and help keywords --------------------------------------------------------------

KEYWORDS: dict[Keyword, tuple[str, ...]] = {
    "STOP": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
    "START": ("START", "YES", "UNSTOP"),
    "HELP": ("HELP", "INFO"),
}
_KIND_OF_WORD: dict[str, Keyword] = {word: kind for kind, words in KEYWORDS.items() for word in words}


def keyword_of(body: str) -> Keyword | None:
    """``"STOP"``, ``"START"`` or ``"HELP"`` when the whole trimmed body is such a keyword (any case), else None."""
    word = body.strip()
    if not word.isascii():
        return None
    return _KIND_OF_WORD.get(word.upper())
