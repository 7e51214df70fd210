"""Parse machine readable zones (ICAO Doc 9303) into fields and check digits.

Formats: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44), MRV-A (2 x 44, first
character V) and MRV-B (2 x 36, first character V).

Repairs: where a field's alphabet is known (dates and check digits are
digits; country codes and names are letters), the usual OCR confusions are
undone (O->0, I->1 ... in digit fields, the reverse in letter fields, a
filler `<` read as K inside a run of fillers) and each change is recorded as
a `Repair`. A check digit is only ever compared, never recomputed into the
text: a wrong printed check digit stays wrong.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from identity_app.checks.document_data import CheckDigit, Repair
from identity_app.checks.icao import check_digit, is_valid
from identity_app.checks.icao_codes import is_known_country

# Alphabets of MRZ fields.
DIGITS = "digits"          # dates, check digits: 0-9 (and `<` for unknown / empty)
LETTERS = "letters"        # country codes, names: A-Z and `<`
ALNUM = "alnum"            # document number, optional data: anything, fillers repaired
SEX = "sex"                # M, F, X or <

# Confusions OCR engines make on OCR-B, by the alphabet the position needs.
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1",
            "Z": "2", "B": "8", "S": "5", "G": "6", "A": "4"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "8": "B", "5": "S", "6": "G", "4": "A"}
# Letters a digit may stand for, tried in order where a country code must be known.
LETTER_OPTIONS = {"0": "ODQ", "1": "IL", "2": "Z", "8": "BR", "5": "S", "6": "G", "4": "A"}
COUNTRY_FIELDS = ("issuing_country", "nationality")
# Characters OCR engines return for the filler `<` (PassportEye reads it as K).
FILLER_LOOKALIKES = frozenset("KCELX")

@dataclass(frozen=True)
class Segment:
    name: str
    line: int
    start: int
    end: int
    alphabet: str


@dataclass(frozen=True)
class ParsedMRZ:
    format: str
    lines: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    check_digits: tuple[CheckDigit, ...]
    repairs: tuple[Repair, ...]

    @property
    def valid(self) -> bool:
        return bool(self.check_digits) and all(c.valid for c in self.check_digits)

    @property
    def valid_count(self) -> int:
        return sum(c.valid for c in self.check_digits)

    def field(self, name: str) -> str | None:
        return dict(self.fields).get(name)

    @property
    def known_countries(self) -> int:
        """How many of the country codes are ones ICAO knows (0..2)."""
        return sum(is_known_country(self.field(f) or "") for f in COUNTRY_FIELDS)

    @property
    def plausibility(self) -> int:
        """Fields that look right beyond the check digits (0..5): known country
        codes, a sex of M/F/X, real calendar dates, a letter as document type."""
        dates = sum(_is_iso(self.field(f) or "") for f in ("date_of_birth", "expiration_date"))
        sex = int(self.lines[1][20 if self.format != "TD1" else 7] in "MFX<")
        kind = int(self.lines[0][:1].isalpha())
        return self.known_countries + dates + sex + kind

    @property
    def plausible(self) -> bool:
        return self.plausibility == 6


def _is_iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
        return True
    except ValueError:
        return False


def _two_line_layout(width: int, visa: bool) -> list[Segment]:
    """TD2/TD3/MRV line layouts share everything up to the optional data."""
    segs = [
        Segment("document_type", 0, 0, 2, LETTERS),
        Segment("issuing_country", 0, 2, 5, LETTERS),
        Segment("names", 0, 5, width, LETTERS),
        Segment("document_number", 1, 0, 9, ALNUM),
        Segment("document_number_check", 1, 9, 10, DIGITS),
        Segment("nationality", 1, 10, 13, LETTERS),
        Segment("date_of_birth", 1, 13, 19, DIGITS),
        Segment("date_of_birth_check", 1, 19, 20, DIGITS),
        Segment("sex", 1, 20, 21, SEX),
        Segment("expiration_date", 1, 21, 27, DIGITS),
        Segment("expiration_date_check", 1, 27, 28, DIGITS),
    ]
    if visa:
        segs.append(Segment("personal_number", 1, 28, width, ALNUM))
    elif width == 44:
        segs += [Segment("personal_number", 1, 28, 42, ALNUM),
                 Segment("personal_number_check", 1, 42, 43, DIGITS),
                 Segment("composite_check", 1, 43, 44, DIGITS)]
    else:
        segs += [Segment("personal_number", 1, 28, 35, ALNUM),
                 Segment("composite_check", 1, 35, 36, DIGITS)]
    return segs


_TD1 = [
    Segment("document_type", 0, 0, 2, LETTERS),
    Segment("issuing_country", 0, 2, 5, LETTERS),
    Segment("document_number", 0, 5, 14, ALNUM),
    Segment("document_number_check", 0, 14, 15, ALNUM),  # `<` for long numbers
    Segment("optional_data_1", 0, 15, 30, ALNUM),
    Segment("date_of_birth", 1, 0, 6, DIGITS),
    Segment("date_of_birth_check", 1, 6, 7, DIGITS),
    Segment("sex", 1, 7, 8, SEX),
    Segment("expiration_date", 1, 8, 14, DIGITS),
    Segment("expiration_date_check", 1, 14, 15, DIGITS),
    Segment("nationality", 1, 15, 18, LETTERS),
    Segment("optional_data_2", 1, 18, 29, ALNUM),
    Segment("composite_check", 1, 29, 30, DIGITS),
    Segment("names", 2, 0, 30, LETTERS),
]

LAYOUTS: dict[str, list[Segment]] = {
    "TD1": _TD1,
    "TD2": _two_line_layout(36, visa=False),
    "TD3": _two_line_layout(44, visa=False),
    "MRV_A": _two_line_layout(44, visa=True),
    "MRV_B": _two_line_layout(36, visa=True),
}


def detect_format(lines: Sequence[str]) -> str | None:
    """The MRZ format the line count, line lengths and first letter say."""
    lengths = tuple(len(line) for line in lines)
    visa = bool(lines) and lines[0][:1] == "V"
    if lengths == (30, 30, 30):
        return "TD1"
    if lengths == (36, 36):
        return "MRV_B" if visa else "TD2"
    if lengths == (44, 44):
        return "MRV_A" if visa else "TD3"
    return None


def _repair_char(ch: str, alphabet: str) -> str:
    if alphabet == DIGITS:
        if ch in TO_DIGIT:
            return TO_DIGIT[ch]
        if ch in FILLER_LOOKALIKES:
            return "<"
    elif alphabet == LETTERS:
        return TO_LETTER.get(ch, ch)
    elif alphabet == SEX:
        if ch in FILLER_LOOKALIKES:
            return "<"
        return {"H": "M", "N": "M", "E": "F", "P": "F"}.get(ch, ch)
    return ch


def _country_code(read: str) -> str | None:
    """The known country code the digits in `read` most plausibly stand for."""
    if is_known_country(read):
        return read
    options = [LETTER_OPTIONS.get(c, c) + ("<" if c in FILLER_LOOKALIKES else "") for c in read]
    for combo in itertools.product(*options):
        code = "".join(combo)
        if is_known_country(code):
            return code
    return None


def _repair_fillers(chars: list[str], start: int, end: int) -> list[int]:
    """Turn filler look-alikes into `<` where they sit inside a run of fillers.

    A look-alike becomes a filler only when the two characters before it are
    fillers and the one after it is a filler or the end of the line, so a
    name or number that really ends in K, or an initial (JOHN<K<<), is kept.
    """
    changed: list[int] = []
    progress = True
    while progress:
        progress = False
        for i in range(max(start, 2), end):
            if chars[i] in FILLER_LOOKALIKES and chars[i - 1] == "<" and chars[i - 2] == "<" and (
                i + 1 >= len(chars) or chars[i + 1] == "<"
            ):
                chars[i] = "<"
                changed.append(i)
                progress = True
    return changed


def repair_lines(lines: Sequence[str], fmt: str) -> tuple[tuple[str, ...], tuple[Repair, ...]]:
    """Undo OCR confusions position by position, recording every change."""
    repairs: list[Repair] = []
    out: list[str] = []
    for li, line in enumerate(lines):
        chars = list(line)
        original = list(line)
        reasons: dict[int, str] = {}
        for seg in LAYOUTS[fmt]:
            if seg.line != li:
                continue
            span = chars[seg.start:seg.end]
            if seg.name in COUNTRY_FIELDS:
                code = _country_code("".join(span))
                if code is not None:
                    for pos, ch in enumerate(code, start=seg.start):
                        if chars[pos] != ch:
                            chars[pos] = ch
                            reasons[pos] = f"{seg.name} is a country code"
                    continue
            # A multi-character field with nothing in its own alphabet was
            # probably printed that way (a numeric nationality code): keep it.
            if seg.name == "document_type":
                # The first character is always a letter (P, I, A, C, V); the
                # second may be a digit (C1 on US cards), except a 0 after I/A/C,
                # which is the D of "ID"-style codes.
                first = TO_LETTER.get(chars[seg.start], chars[seg.start])
                second = chars[seg.start + 1]
                if second == "0":
                    second = "D"
                for pos, ch in ((seg.start, first), (seg.start + 1, second)):
                    if ch != chars[pos]:
                        chars[pos] = ch
                        reasons[pos] = "document_type starts with a letter"
                continue
            if len(span) > 1 and seg.alphabet == LETTERS and not any(c.isalpha() for c in span):
                continue
            if len(span) > 1 and seg.alphabet == DIGITS and not any(c.isdigit() for c in span):
                continue
            for pos in range(seg.start, min(seg.end, len(chars))):
                fixed = _repair_char(chars[pos], seg.alphabet)
                if seg.name == "document_type" and pos == 1 and chars[pos] == "0":
                    fixed = "D"  # "ID" cards; no ICAO document code has a second O
                if fixed != chars[pos]:
                    chars[pos] = fixed
                    reasons[pos] = f"{seg.name} is {seg.alphabet}-only"
            if seg.alphabet in (LETTERS, ALNUM):
                for pos in _repair_fillers(chars, seg.start, min(seg.end, len(chars))):
                    reasons[pos] = f"filler run in {seg.name}"
        for pos, reason in sorted(reasons.items()):
            if chars[pos] != original[pos]:
                repairs.append(Repair(li + 1, pos + 1, original[pos], chars[pos], reason))
        out.append("".join(chars))
    return tuple(out), tuple(repairs)


def mrz_date(yymmdd: str, kind: str, today: date | None = None) -> str:
    """ISO date from an MRZ YYMMDD; the raw text when it is not a valid date.

    Century: a birth date is never in the future; an expiry date is taken in
    1900 + YY only when 2000 + YY would be more than 50 years ahead.
    """
    today = today or date.today()
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        return yymmdd
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = 2000 + yy
    if kind == "birth" and year > today.year:
        year -= 100
    if kind == "expiry" and year > today.year + 50:
        year -= 100
    try:
        return date(year, mm, dd).isoformat()
    except ValueError:
        return yymmdd


def _names(text: str) -> tuple[str, str]:
    surname, _, given = text.partition("<<")
    clean = lambda s: " ".join(p for p in s.split("<") if p)  # noqa: E731
    return clean(surname), clean(given)


def _digit(field_name: str, data: str, printed: str) -> CheckDigit:
    try:
        expected = check_digit(data)
    except ValueError:
        expected = "?"
    return CheckDigit(field_name, expected, printed, is_valid(data, printed))


def parse_mrz(lines: Sequence[str], repair: bool = True, today: date | None = None) -> ParsedMRZ | None:
    """Parse MRZ lines (already cut to their format's length) into fields.

    Returns None when the line shape matches no ICAO format.
    """
    lines = tuple(line.strip().upper() for line in lines)
    fmt = detect_format(lines)
    if fmt is None:
        return None
    repairs: tuple[Repair, ...] = ()
    if repair:
        lines, repairs = repair_lines(lines, fmt)
    raw = {s.name: lines[s.line][s.start:s.end] for s in LAYOUTS[fmt]}
    digits: list[CheckDigit] = []

    number, number_check = raw["document_number"], raw["document_number_check"]
    if fmt == "TD1" and number_check == "<":
        # Long document number: it continues in the optional data, whose last
        # character before the filler is the check digit (Doc 9303 Part 5).
        tail = raw["optional_data_1"].split("<", 1)[0]
        if tail:
            number, number_check = number + tail[:-1], tail[-1]
    digits.append(_digit("document_number", number, number_check))
    digits.append(_digit("date_of_birth", raw["date_of_birth"], raw["date_of_birth_check"]))
    digits.append(_digit("expiration_date", raw["expiration_date"], raw["expiration_date_check"]))

    if fmt == "TD3":
        digits.append(_digit("personal_number", raw["personal_number"], raw["personal_number_check"]))
        composite = lines[1][0:10] + lines[1][13:20] + lines[1][21:43]
        digits.append(_digit("composite", composite, raw["composite_check"]))
    elif fmt == "TD2":
        composite = lines[1][0:10] + lines[1][13:20] + lines[1][21:35]
        digits.append(_digit("composite", composite, raw["composite_check"]))
    elif fmt == "TD1":
        composite = lines[0][5:30] + lines[1][0:7] + lines[1][8:15] + lines[1][18:29]
        digits.append(_digit("composite", composite, raw["composite_check"]))

    surname, given = _names(raw["names"])
    if fmt == "TD1":
        optional = (raw["optional_data_1"] + "<" + raw["optional_data_2"])
    else:
        optional = raw["personal_number"]
    fields = (
        ("document_type", raw["document_type"].replace("<", "")),
        ("issuing_country", raw["issuing_country"]),
        ("surname", surname),
        ("given_names", given),
        ("document_number", number.replace("<", "")),
        ("nationality", raw["nationality"]),
        ("date_of_birth", mrz_date(raw["date_of_birth"], "birth", today)),
        ("sex", "X" if raw["sex"] == "<" else raw["sex"]),
        ("expiration_date", mrz_date(raw["expiration_date"], "expiry", today)),
        ("personal_number", " ".join(p for p in optional.split("<") if p)),
    )
    return ParsedMRZ(fmt, lines, fields, tuple(digits), repairs)

