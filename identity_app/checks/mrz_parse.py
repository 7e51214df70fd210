"""Parse machine readable zones into fields and check digits.

Formats: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44), MRV-A (2 x 44, first
character V) and MRV-B (2 x 36, first character V) of ICAO Doc 9303, and
one national format that is not ICAO's: the French identity card issued
until 2021 (FRA_ID, 2 x 36 starting IDFRA, its own fields and check digits).
Lines of an MRZ's shape whose characters do not fit any of these layouts
(digits where a layout has letters, letters where it has dates) are
NON_ICAO: reported as read, never repaired into a format they are not.

Repairs: where a field's alphabet is known (dates and check digits are
digits; country codes and names are letters), the usual OCR confusions are
undone (O->0, I->1 ... in digit fields, the reverse in letter fields) and
fillers are recognised as runs (`SENK<<<<KKKKKK6` is `SEN<<<<<<<<<<<6`: a K
counts 20, the same as `<` modulo 10, so no check digit can tell them
apart); each change is recorded as a `Repair`. Given the recogniser's
probabilities, `mrz_search` then looks among the confusable characters it
hesitated about for the reading whose check digits hold. A check digit is
only ever compared, never recomputed into the text: a wrong printed check
digit stays wrong unless the recogniser itself offered another reading.
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
MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"  # the columns of a recogniser's probability row
_INDEX = {c: i for i, c in enumerate(MRZ_CHARS)}
# Below this probability the recogniser gave a field's alphabet nothing: use the confusion map.
MIN_ALPHABET_PROBABILITY = 0.01

@dataclass(frozen=True)
class Segment:
    name: str
    line: int
    start: int
    end: int
    alphabet: str


NON_ICAO = "NON_ICAO"
FRA_ID = "FRA_ID"
ICAO_FORMATS = ("TD1", "TD2", "TD3", "MRV_A", "MRV_B")
NATIONAL_FORMATS = (FRA_ID,)
# Share of a layout's constrained positions (digits, letters, sex) whose
# character fits before any repair, below which the lines are not that layout.
MIN_STRUCTURE = 0.75


@dataclass(frozen=True)
class ParsedMRZ:
    format: str
    lines: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    check_digits: tuple[CheckDigit, ...]
    repairs: tuple[Repair, ...]
    # Other readings of the same characters whose check digits hold too and that
    # the recogniser found nearly as likely (mrz_search): the check digits alone
    # cannot choose, so the printed fields must (text_extraction's cross-check).
    alternatives: tuple[tuple[str, ...], ...] = ()
    # Readings of the document number whose check digits hold too but that the recogniser found
    # too unlikely to be alternatives (mrz_search.printed_options): the reading is not held back
    # for them, yet a printed document number that says one of them exactly chooses it.
    printed_options: tuple[tuple[str, ...], ...] = ()
    # (line, position, character) where the glyph's shape and height together clearly say that character
    # (mrz_glyphs.GlyphEvidence.held): the printed fields may not choose a reading that says otherwise.
    glyph_held: tuple[tuple[int, int, str], ...] = ()
    # (line, position, character) of an O or 0 only the glyph could decide (a visa's optional data)
    # where it does not clearly say which (mrz_glyphs.GlyphEvidence.undecided).
    glyph_undecided: tuple[tuple[int, int, str], ...] = ()
    # (line, position, character the glyph shows) where the reading says a filler and the glyph
    # clearly is another character, or the other way round (mrz_glyphs.out_of_step): a line read a
    # character out of step, whose check digits may still hold by chance.
    out_of_step: tuple[tuple[int, int, str], ...] = ()

    def against_glyphs(self, lines: Sequence[str]) -> bool:
        """Whether `lines` put another character where a glyph held one."""
        return any(li < len(lines) and pos < len(lines[li]) and lines[li][pos] != ch
                   for li, pos, ch in self.glyph_held)

    @property
    def icao(self) -> bool:
        return self.format in ICAO_FORMATS

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)

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
        """Fields that look right beyond the check digits (0..6): known country
        codes, a sex of M/F/X, real calendar dates, a letter as document type."""
        if self.format == NON_ICAO:
            return 0
        dates = sum(_is_iso(self.field(f) or "") for f in ("date_of_birth", "expiration_date"))
        sex = int(self.lines[1][SEX_POSITION[self.format]] in "MFX<")
        kind = int(self.lines[0][:1] in DOCUMENT_CODE_FIRST.get(self.format, ""))
        return self.known_countries + dates + sex + kind

    @property
    def plausible(self) -> bool:
        return self.format != NON_ICAO and self.plausibility == (4 if self.format == FRA_ID else 6)


# The letters a document code may start with, per format (ICAO Doc 9303: A, C or I on cards, P on
# passports, V on visas; the French card's ID): an L read for a TD1's I is a misread line (tuning 10031).
DOCUMENT_CODE_FIRST = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRV_A": "V", "MRV_B": "V", FRA_ID: "I"}


def _is_iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
        return True
    except ValueError:
        return False


_ALLOWED = {
    DIGITS: "0123456789<",
    LETTERS: "ABCDEFGHIJKLMNOPQRSTUVWXYZ<",
    ALNUM: MRZ_CHARS,
    SEX: "MFX<",
}


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

# The French identity card issued until 2021 (not ICAO): surname on line 1,
# a 12-character card number (issue year and month, department, serial),
# given names, birth date and sex on line 2, no expiry date and no
# nationality; the last digit checks both lines.
_FRA_ID = [
    Segment("document_type", 0, 0, 2, LETTERS),
    Segment("issuing_country", 0, 2, 5, LETTERS),
    Segment("surname", 0, 5, 30, LETTERS),
    Segment("administration_code", 0, 30, 36, ALNUM),
    Segment("document_number", 1, 0, 12, ALNUM),
    Segment("document_number_check", 1, 12, 13, DIGITS),
    Segment("given_names", 1, 13, 27, LETTERS),
    Segment("date_of_birth", 1, 27, 33, DIGITS),
    Segment("date_of_birth_check", 1, 33, 34, DIGITS),
    Segment("sex", 1, 34, 35, SEX),
    Segment("composite_check", 1, 35, 36, DIGITS),
]

LAYOUTS: dict[str, list[Segment]] = {
    "TD1": _TD1,
    "TD2": _two_line_layout(36, visa=False),
    "TD3": _two_line_layout(44, visa=False),
    "MRV_A": _two_line_layout(44, visa=True),
    "MRV_B": _two_line_layout(36, visa=True),
    FRA_ID: _FRA_ID,
}
SEX_POSITION = {"TD1": 7, "TD2": 20, "TD3": 20, "MRV_A": 20, "MRV_B": 20, FRA_ID: 34}
NAME_FIELDS = ("names", "surname", "given_names")


def structure_score(lines: Sequence[str], fmt: str) -> float:
    """Share of the layout's constrained positions whose character, as read,
    fits there: digit fields hold digits, letter fields letters or fillers,
    sex M/F/X/<. The usual confusions (O for 0, 1 for I) count as fitting,
    so an OCR-noisy MRZ still scores high and another layout scores low; a
    run of digits in a name does not fit."""
    fits = total = 0
    for seg in LAYOUTS[fmt]:
        if seg.alphabet == ALNUM or seg.name in ("document_type", "issuing_country", "nationality"):
            continue
        span = lines[seg.line][seg.start:seg.end]
        for k, ch in enumerate(span):
            total += 1
            if seg.alphabet == DIGITS:
                fits += ch.isdigit() or ch == "<" or ch in TO_DIGIT
            elif seg.alphabet == LETTERS:
                # A digit among letters is a misread letter; a run of digits is a number.
                lone = not any(c.isdigit() for c in span[max(0, k - 1):k] + span[k + 1:k + 2])
                fits += ch.isalpha() or ch == "<" or (ch in TO_LETTER and lone)
            else:
                fits += ch in "MFX<HN" or ch in FILLER_LOOKALIKES
    return fits / total if total else 0.0


def detect_format(lines: Sequence[str]) -> str | None:
    """The format the line count, line lengths, first letters and layout say.

    None for shapes no MRZ has; NON_ICAO for lines of an MRZ's shape whose
    characters fit none of the layouts (a national format we do not know).
    """
    lengths = tuple(len(line) for line in lines)
    visa = bool(lines) and lines[0][:1] == "V"
    if lengths == (30, 30, 30):
        candidates = ["TD1"]
    elif lengths == (36, 36):
        candidates = ["MRV_B" if visa else "TD2"]
        if lines[0][2:5] == "FRA" and lines[0][:1] in "I1":
            candidates.append(FRA_ID)
    elif lengths == (44, 44):
        candidates = ["MRV_A" if visa else "TD3"]
    else:
        return None
    scored = sorted(((structure_score(lines, f), -i, f) for i, f in enumerate(candidates)), reverse=True)
    score, _, fmt = scored[0]
    return fmt if score >= MIN_STRUCTURE else NON_ICAO


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


def _filler_run_positions(chars: list[str], start: int, end: int, names: bool) -> list[int]:
    """Filler look-alikes (K, C, E, L, X) in [start, end) that are fillers `<`.

    Fillers come in runs; a look-alike is data only where it touches data:
    next to a letter or digit that is not a look-alike, or next to another
    look-alike that is data ("ALEX", "AB12K"). In a name, a look-alike after
    one or two fillers that follow a word starts a name or is an initial
    ("JOHN<K", "SMITH<<K"); after three or more fillers it is a filler. Runs
    of look-alikes and fillers that touch no data are fillers, whatever
    their mix (`K<<<<KKKKKK` after the nationality SEN). Check digits cannot
    decide: K counts 20, which is 0 modulo 10 like `<`.
    """
    kept: set[int] = set()
    # Not 0 or O: a visa's optional data really ends in 0 after fillers
    # (mrz-passporteye's Polish MRV-B), so a round character may be data.
    lookalikes = FILLER_LOOKALIKES
    candidates = [i for i in range(start, end) if chars[i] in lookalikes]
    if not candidates:
        return []

    def is_data(i: int) -> bool:
        return start <= i < end and (i in kept or (chars[i] not in lookalikes and chars[i] != "<"))

    changed = True
    while changed:
        changed = False
        for i in candidates:
            if i in kept:
                continue
            keep = is_data(i - 1) or is_data(i + 1)
            if not keep and names:
                fillers = 0
                j = i - 1
                while j >= start and chars[j] == "<":
                    fillers, j = fillers + 1, j - 1
                keep = fillers in (1, 2) and is_data(j)
            if keep:
                kept.add(i)
                changed = True
    out = []
    for i in candidates:
        if i in kept:
            continue
        # A run that touches no data: fillers if it holds a filler or is long.
        lo = i
        while lo > start and (chars[lo - 1] == "<" or chars[lo - 1] in lookalikes) and lo - 1 not in kept:
            lo -= 1
        hi = i
        while hi + 1 < end and (chars[hi + 1] == "<" or chars[hi + 1] in lookalikes) and hi + 1 not in kept:
            hi += 1
        run = chars[lo:hi + 1]
        if "<" in run or len(run) >= 3:
            out.append(i)
    return out


LONE_END_REASON = "personal number is left-aligned: a lone character at its end is a filler"


def _lone_round_end(chars: Sequence[str], seg: Segment) -> bool:
    """A passport's personal number is left-aligned: a lone 0 or O at its end after
    nothing but fillers is the last filler read round (both count 0, so its check
    digit cannot tell). A visa's optional data is another field (mrz-passporteye's
    Polish visa really ends in 0)."""
    if seg.end > len(chars):
        return False
    span = "".join(chars[seg.start:seg.end])
    return span[-1] in "0O" and set(span[:-1]) == {"<"}


_NAME_LETTERS = "name letters"  # _best_in's letters without the filler: a digit read is no filler


def _best_in(row, alphabet: str, ch: str) -> str:
    """The character of `alphabet` the recogniser found likeliest at a position (row: its
    probabilities over MRZ_CHARS), or the usual confusion map when it gave that alphabet nothing."""
    if row is not None:
        allowed = _ALLOWED[alphabet] if alphabet != _NAME_LETTERS else _ALLOWED[LETTERS].rstrip("<")
        best = max(allowed, key=lambda c: row[_INDEX[c]])
        if row[_INDEX[best]] >= MIN_ALPHABET_PROBABILITY:
            return best
    return _repair_char(ch, alphabet if alphabet != _NAME_LETTERS else LETTERS)


def repair_lines(lines: Sequence[str], fmt: str, probs: Sequence | None = None
                 ) -> tuple[tuple[str, ...], tuple[Repair, ...]]:
    """Undo OCR confusions position by position, recording every change.

    probs: per line, the recogniser's probabilities per character (rows over
    MRZ_CHARS, None where a character was not read, e.g. a filler added to
    fit the length); a letter in a digit field then becomes the digit the
    recogniser found likeliest there, not only the usual look-alike.
    """
    repairs: list[Repair] = []
    out: list[str] = []
    for li, line in enumerate(lines):
        chars = list(line)
        original = list(line)
        rows = probs[li] if probs is not None else None
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
                ch = chars[pos]
                if seg.alphabet == DIGITS and not (ch.isdigit() or ch == "<"):
                    fixed = _best_in(rows[pos] if rows is not None else None, DIGITS, ch) \
                        if ch not in FILLER_LOOKALIKES else "<"
                elif seg.alphabet == LETTERS and ch.isdigit():
                    # The letter the recogniser found likeliest, not only the usual look-alike:
                    # a name's D read 0 (0.68, D 0.32) became O, valid but wrong (tuning photo 8082).
                    fixed = _best_in(rows[pos] if rows is not None and pos < len(rows) else None, _NAME_LETTERS, ch)
                else:
                    fixed = _repair_char(ch, seg.alphabet)
                if fixed != ch:
                    chars[pos] = fixed
                    reasons[pos] = f"{seg.name} is {seg.alphabet}-only"
            if seg.alphabet in (LETTERS, ALNUM):
                for pos in _filler_run_positions(chars, seg.start, min(seg.end, len(chars)),
                                                 names=seg.name in NAME_FIELDS):
                    chars[pos] = "<"
                    reasons[pos] = f"filler run in {seg.name}"
            if fmt == "TD3" and seg.name == "personal_number" and _lone_round_end(chars, seg):
                chars[seg.end - 1] = "<"
                reasons[seg.end - 1] = LONE_END_REASON
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


def compute_check_digits(lines: Sequence[str], fmt: str) -> tuple[CheckDigit, ...]:
    """Every check digit of the layout, compared with the data as read (never recomputed into it)."""
    if fmt == NON_ICAO:
        return ()
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
    if fmt == FRA_ID:
        digits.append(_digit("composite", lines[0] + lines[1][0:35], raw["composite_check"]))
        return tuple(digits)
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
    return tuple(digits)


def _fields(lines: tuple[str, ...], fmt: str, today: date | None) -> tuple[tuple[str, str], ...]:
    if fmt == NON_ICAO:
        return ()
    raw = {s.name: lines[s.line][s.start:s.end] for s in LAYOUTS[fmt]}
    clean = lambda s: " ".join(p for p in s.split("<") if p)  # noqa: E731
    if fmt == FRA_ID:
        return (
            ("document_type", raw["document_type"].replace("<", "")),
            ("issuing_country", raw["issuing_country"]),
            ("surname", clean(raw["surname"])),
            ("given_names", clean(raw["given_names"])),
            ("document_number", raw["document_number"].replace("<", "")),
            ("date_of_birth", mrz_date(raw["date_of_birth"], "birth", today)),
            ("sex", "X" if raw["sex"] == "<" else raw["sex"]),
            ("personal_number", clean(raw["administration_code"])),
        )
    number = raw["document_number"]
    if fmt == "TD1" and raw["document_number_check"] == "<":
        tail = raw["optional_data_1"].split("<", 1)[0]
        if tail:
            number = number + tail[:-1]
    surname, given = _names(raw["names"])
    if fmt == "TD1":
        optional = (raw["optional_data_1"] + "<" + raw["optional_data_2"])
    else:
        optional = raw["personal_number"]
    return (
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


def parse_mrz(lines: Sequence[str], repair: bool = True, today: date | None = None,
              probs: Sequence | None = None) -> ParsedMRZ | None:
    """Parse MRZ lines (already cut to their format's length) into fields.

    Returns None when the line shape matches no MRZ; a NON_ICAO reading
    (lines as read, no fields, no check digits, no repairs) when the shape is
    an MRZ's but the characters fit no layout we know.
    probs: per line, the recogniser's probabilities per character (see
    repair_lines); with them, the confusable characters it hesitated about
    are searched for the reading whose check digits hold (mrz_search).
    """
    lines = tuple(line.strip().upper() for line in lines)
    fmt = detect_format(lines)
    if fmt is None:
        return None
    if fmt == NON_ICAO:
        return ParsedMRZ(fmt, lines, (), (), ())
    repairs: tuple[Repair, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()
    options: tuple[tuple[str, ...], ...] = ()
    if repair:
        lines, repairs = repair_lines(lines, fmt, probs)
        if probs is not None:
            from identity_app.checks.mrz_search import search_confusables

            found = search_confusables(lines, fmt, probs)
            lines, repairs = found.lines, repairs + found.repairs
            alternatives = found.alternatives
            options = found.printed_options
            if fmt == "TD3":  # the search weighs the recogniser, not the field's alignment
                seg = next(s for s in LAYOUTS[fmt] if s.name == "personal_number")
                if _lone_round_end(lines[1], seg):
                    read = lines[1][seg.end - 1]
                    lines = (lines[0], lines[1][:seg.end - 1] + "<" + lines[1][seg.end:])
                    repairs += (Repair(2, seg.end, read, "<", LONE_END_REASON),)
                    alternatives = tuple(a for a in alternatives if a != lines)
                    options = ()  # made from the lines before the change
    return ParsedMRZ(fmt, lines, _fields(lines, fmt, today), compute_check_digits(lines, fmt), repairs,
                     alternatives, options)
