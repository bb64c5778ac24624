"""``segment_info`` against an oracle written here from the standard, not from the code under test.

The GSM 03.38 default alphabet and its extension table are written out by septet value (3GPP TS 23.038,
6.2.1), and the oracle encodes a body for real — septets (an extension character is ESC + its code) or
UTF-16 code units — then cuts the stream into segments the way a phone's user data headers do: 153
septets or 67 code units each when split, never cutting an ESC pair or a surrogate pair. Twilio's
published calculator examples pin both ends.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, segment_info

ESC = 0x1B
# Rows of 16 septets, 0x00–0x7F; ESC (0x1B) is written as None.
_ROWS = [
    ["@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å"],
    ["Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", None, "Æ", "æ", "ß", "É"],
    [" ", "!", '"', "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/"],
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?"],
    ["¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O"],
    ["P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§"],
    ["¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"],
    ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à"],
]
DEFAULT = {ch: row * 16 + col for row, chars in enumerate(_ROWS) for col, ch in enumerate(chars) if ch is not None}
EXTENSION = {
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


def septets(body: str) -> list[int] | None:
    out: list[int] = []
    for ch in body:
        if ch in DEFAULT:
            out.append(DEFAULT[ch])
        elif ch in EXTENSION:
            out += [ESC, EXTENSION[ch]]
        else:
            return None
    return out


def code_units(body: str) -> list[int]:
    raw = body.encode("utf-16-be")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def cut(stream: list[int], single: int, multi: int, joined: Callable[[int, int], bool]) -> int:
    """Segments for ``stream``; ``joined(a, b)`` says two adjacent units must stay in one segment."""
    if len(stream) <= single:
        return 1
    segments, start = 0, 0
    while start < len(stream):
        end = min(start + multi, len(stream))
        if end < len(stream) and joined(stream[end - 1], stream[end]):
            end -= 1
        segments, start = segments + 1, end
    return segments


def oracle(body: str) -> tuple[str, int, int]:
    encoded = septets(body)
    if encoded is not None:
        return "GSM-7", len(encoded), cut(encoded, 160, 153, lambda a, b: a == ESC)
    units = code_units(body)
    return "UCS-2", len(units), cut(units, 70, 67, lambda a, b: 0xD800 <= a <= 0xDBFF)


def test_the_code_has_exactly_the_standards_alphabet():
    assert len(DEFAULT) == 127  # 128 septets, one of them ESC
    assert set(DEFAULT) == GSM7_BASIC
    assert set(EXTENSION) == GSM7_EXTENSION


def test_twilios_calculator_examples():
    assert oracle("1" * 160)[2] == 1
    assert oracle("1" * 161)[2] == 2
    assert oracle("😀" + "1" * 68)[2] == 1
    assert oracle("😀" + "1" * 69)[2] == 2
    assert oracle("{" * 153)[2] == 3  # an ESC pair never straddles two segments


edge = st.sampled_from(["{", "€", "😀", "é", "ç", "a", "\f", " "])
anything = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400)
gsm = st.text(alphabet=sorted(set(DEFAULT) | set(EXTENSION)), max_size=1600)
repeated = st.sampled_from(["1", "{", "😀", "é"])
near_the_edges = st.builds(lambda a, b, n: a * n + b, repeated, edge, st.integers(60, 320))


@given(st.one_of(anything, gsm, near_the_edges))
def test_segment_info_agrees_with_the_oracle(body):
    info = segment_info(body)
    assert (info.encoding, info.units, info.segments) == oracle(body)
