"""ICAO Doc 9303 check digits (Part 3, section 4.9), our own code.

Weights 7, 3, 1 repeating; digits count as their value, A..Z as 10..35 and
the filler `<` as 0; the check digit is the weighted sum modulo 10.
"""
from __future__ import annotations

MRZ_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_WEIGHTS = (7, 3, 1)


def char_value(ch: str) -> int:
    """Numeric value of one MRZ character; ValueError outside the MRZ alphabet."""
    if ch.isdigit() and ch.isascii():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise ValueError(f"not an MRZ character: {ch!r}")


def check_digit(data: str) -> str:
    """The check digit ('0'..'9') ICAO 9303 computes for `data`."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data))
    return str(total % 10)


def is_valid(data: str, printed: str) -> bool:
    """True when `printed` is the check digit of `data`.

    A filler `<` as check digit is accepted only where ICAO allows it: for an
    optional field that is entirely filler (value 0 would also be accepted).
    Characters outside the MRZ alphabet make the check fail, never raise.
    """
    try:
        expected = check_digit(data)
    except ValueError:
        return False
    if printed == "<":
        return set(data) <= {"<"}
    return printed == expected
