"""Read the MRZ of a document photo: locate, split into lines, OCR, vote, parse.

RapidOCR's recogniser reads each located line (about 40 ms a line); when
its reading does not validate, second opinions come from RapidOCR on other
renderings of the same lines (upscaled, contrast-equalised, binarised,
padded) and from Tesseract, and the readings are combined position by
position, preferring the combination whose check digits validate. Every
character of every candidate is one some engine read at that position, and
a lone dissent against a majority is not a candidate: data is never changed
to make a check digit pass, so a document whose printed check digits are
wrong is reported invalid.
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import cv2
import numpy as np

from identity_app.checks import mrz_glyphs, ocr_engines
from identity_app.checks.document_data import Repair
from identity_app.checks.icao import MRZ_ALPHABET
from identity_app.checks.mrz_locate import MRZCandidate, binarise, find_mrz_candidates, rotate, true_runs
from identity_app.checks.icao_codes import is_known_country
from identity_app.checks.mrz_parse import (
    COUNTRY_FIELDS,
    DOCUMENT_CODE_FIRST,
    FILLER_LOOKALIKES,
    FRA_ID,
    LAYOUTS,
    MRZ_CHARS,
    TO_DIGIT,
    TO_LETTER,
    ParsedMRZ,
    _country_code,
    _fields,
    compute_check_digits,
    detect_format,
    parse_mrz,
)

FORMAT_WIDTHS = {2: (44, 36), 3: (30,)}
LINE_HEIGHT_FOR_TESSERACT = 48   # px: Tesseract reads OCR-B best around this size
CONFIDENT_READING = 0.9          # RapidOCR mean line confidence that ends the search
MAX_UNDECIDED_CHANGES = 3        # undecided glyphs turned at once (with_undecided_alternatives)


@dataclass(frozen=True)
class MRZReading:
    parsed: ParsedMRZ
    rotation: int                 # degrees the image was turned (clockwise) to read it
    engine: str
    length_repairs: tuple[Repair, ...] = ()
    confidence: float = 0.0
    # x, y, w, h of the MRZ band in the image turned by `rotation` (approximate:
    # the band was levelled by its small skew); lets the page reader skip it.
    band: tuple[int, int, int, int] | None = None

    @property
    def repairs(self) -> tuple[Repair, ...]:
        return self.length_repairs + self.parsed.repairs


# --- text clean-up -------------------------------------------------------

_LOOKALIKE_FILLERS = {"«": "<", "‹": "<", "〈": "<", "(": "<", "[": "<", "{": "<", "≤": "<"}


def clean_line(text: str) -> str:
    """Upper-case, fillers normalised, spaces and non-MRZ characters dropped."""
    out = []
    for ch in text.upper():
        ch = _LOOKALIKE_FILLERS.get(ch, ch)
        if ch in MRZ_ALPHABET:
            out.append(ch)
    return "".join(out)


DOCUMENT_CODE_LETTERS = "".join(sorted(set("".join(DOCUMENT_CODE_FIRST.values()))))  # A, C, I, P, V: any format's
LEADING_SPECK_REASON = "line too long: a character before the document code dropped"
LEADING_SPECK_NAMES_REASON = "line too long: a character before the names dropped"


def fit_length(line: str, target: int, line_no: int) -> tuple[str, list[Repair]]:
    """Make a line `target` long by adding or removing fillers in its longest filler run.

    OCR engines most often drop or double a `<` inside a long run of them;
    other length errors are left for the check digits to expose.
    """
    fitted, _, repairs = fit_length_rows(line, None, target, line_no)
    return fitted, repairs


def fit_length_rows(line: str, rows, target: int, line_no: int) -> tuple[str, list, list[Repair]]:
    """fit_length, keeping the recogniser's probability rows aligned with the characters
    (an added filler has no row: None)."""
    repairs: list[Repair] = []
    rows = list(rows) if rows is not None else [None] * len(line)
    if line_no == 1 and len(line) > target and not line[0].isalpha() and line[1:2] in DOCUMENT_CODE_LETTERS:
        # A first line starts with its document code's letter: a digit or filler before one is a
        # speck at the band's edge read as a character (tuning photo 10101: 7V<CAN, the visa then
        # taken for a TD3 and its line re-read one character out of step).
        repairs.append(Repair(line_no, 1, line[0], "", LEADING_SPECK_REASON))
        line, rows = line[1:], rows[1:]
    elif line_no == 1 and len(line) > target and line[0].isalpha() and _known_only_after_speck(line):
        # A letter before the document code (tuning photo 14065: NI<GHAN..., a speck read N): with a
        # filler taken from the run instead, the whole line was one character out of step.
        repairs.append(Repair(line_no, 1, line[0], "", LEADING_SPECK_REASON))
        line, rows = line[1:], rows[1:]
    elif line_no == 3 and len(line) > target and not line[0].isalpha() and line[0] not in TO_LETTER \
            and line[1:2].isalpha():
        # A TD1's third line is its names, from its first character: a digit no letter looks like
        # (or a filler) before them is a speck read as a character (tuning photo 14055: 7DUBOIS read,
        # its 7 made a letter and a filler dropped from the end, no check digit covering the names).
        repairs.append(Repair(line_no, 1, line[0], "", LEADING_SPECK_NAMES_REASON))
        line, rows = line[1:], rows[1:]
    while len(line) != target:
        runs = [(m_end - m_start, m_start, m_end) for m_start, m_end in _filler_runs(line)]
        if len(line) > target:
            if runs and max(runs)[0] >= 2:
                _, start, end = max(runs)
                line = line[:end - 1] + line[end:]
                del rows[end - 1]
                repairs.append(Repair(line_no, end, "<", "", "line too long: one filler removed from a run"))
            else:
                repairs.append(Repair(line_no, len(line), line[-1], "", "line too long: last character dropped"))
                line = line[:-1]
                rows.pop()
        else:
            if runs:
                _, start, end = max(runs)
                line = line[:end] + "<" + line[end:]
                rows.insert(end, None)
                repairs.append(Repair(line_no, end + 1, "", "<", "line too short: one filler added to a run"))
            else:
                line = line + "<"
                rows.append(None)
                repairs.append(Repair(line_no, len(line), "", "<", "line too short: filler added at the end"))
    return line, rows, repairs


def _known_only_after_speck(line: str) -> bool:
    """Whether a first line read long starts with a document code and a country code ICAO knows
    once its first character is dropped, and without that with no known code."""
    return line[1:2] in DOCUMENT_CODE_LETTERS and is_known_country(line[3:6]) \
        and not (line[:1] in DOCUMENT_CODE_LETTERS and is_known_country(line[2:5]))


def _filler_runs(line: str) -> list[tuple[int, int]]:
    return true_runs([ch == "<" for ch in line])


# --- line splitting -------------------------------------------------------

def split_lines(crop: np.ndarray, spans: Sequence[tuple[int, int]] = ()) -> list[np.ndarray]:
    """Cut a levelled MRZ band into its text lines by the row profile of dark ink.

    Ink is first what Otsu calls dark; when that finds fewer than two lines
    (the band's crop holds the dark desk beyond the card's edge, which
    outweighs the text), ink is the thin dark strokes only (a black-hat
    transform wider than a stroke ignores broad dark areas). When the
    profile still disagrees with the lines the locator saw (`spans`, rows
    in the crop), the locator's lines are cut instead."""
    blur = cv2.GaussianBlur(crop, (3, 3), 0)
    _, ink = cv2.threshold(blur, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    lines = _lines_of(crop, ink)
    if len(spans) >= 2 and (len(lines) != len(spans) or _median_height(lines) < 0.8 * _median_height(spans)):
        # Lines missing, extra, or cut thinner than the text (background patterns
        # and the card's edge shift the profile): the locator's own lines.
        return [crop[max(0, s - (e - s) // 4):min(crop.shape[0], e + (e - s) // 4)] for s, e in spans]
    if len(lines) < 2:
        k = max(5, crop.shape[0] // 8) | 1
        strokes = cv2.morphologyEx(blur, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
        _, ink = cv2.threshold(strokes, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        lines = _lines_of(crop, ink) or lines
    return lines


def _median_height(lines: Sequence) -> float:
    """Median height of line images (arrays) or of (top, bottom) row spans."""
    heights = [line.shape[0] if isinstance(line, np.ndarray) else line[1] - line[0] for line in lines]
    return float(np.median(heights)) if heights else 0.0


def _lines_of(crop: np.ndarray, ink: np.ndarray) -> list[np.ndarray]:
    profile = ink.mean(axis=1)
    k = max(3, crop.shape[0] // 40) | 1
    profile = np.convolve(profile, np.ones(k) / k, mode="same")
    on = profile > max(0.3 * float(profile.max()), 0.02)
    runs = true_runs(on)
    if not runs:
        return []
    tallest = max(e - s for s, e in runs)
    runs = [(s, e) for s, e in runs if e - s >= 0.4 * tallest]
    lines = []
    for s, e in runs:
        pad = max(2, int((e - s) * 0.3))
        lines.append(crop[max(0, s - pad):min(crop.shape[0], e + pad)])
    return lines


# --- engines on lines -----------------------------------------------------

@dataclass(frozen=True)
class LineRead:
    """One engine's reading of one line: MRZ characters, mean confidence, and per
    character its probabilities over MRZ_CHARS (None when the engine gives none)."""
    text: str
    confidence: float
    rows: tuple | None = None


def _rapid(line_img: np.ndarray) -> LineRead:
    text, score, probs = ocr_engines.rapidocr_line_distributions(line_img)
    return LineRead(text, score, tuple(probs))


def _rapid_lines(line_imgs: Sequence[np.ndarray]) -> list[LineRead]:
    return [LineRead(t, s, tuple(p)) for t, s, p in ocr_engines.rapidocr_lines_distributions(line_imgs)]


def _tesseract(line_img: np.ndarray) -> LineRead:
    h, w = line_img.shape[:2]
    scale = LINE_HEIGHT_FOR_TESSERACT / max(h, 1)
    up = cv2.resize(line_img, (max(1, int(w * scale)), LINE_HEIGHT_FOR_TESSERACT), interpolation=cv2.INTER_CUBIC)
    bw = cv2.copyMakeBorder(binarise(up), 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
    return LineRead(clean_line(ocr_engines.tesseract_text(bw, psm=7)), 0.5)


def _fit(read: LineRead, width: int, line_no: int) -> tuple[str, list, list[Repair]]:
    return fit_length_rows(read.text, read.rows, width, line_no)


GLYPH_REASON = "OCR-B glyph height: the glyph is a {}"


def with_glyph_evidence(lines: Sequence[str], rows: Sequence, images: Sequence[np.ndarray] | None
                        ) -> tuple[list[str], list, list[Repair]]:
    """The lines and rows with the glyphs' digit-or-letter evidence (mrz_glyphs) where a field
    may hold either, and a Repair for each character that evidence changed."""
    new_lines, new_rows, repairs, _ = glyph_evidence(lines, rows, images)
    return new_lines, new_rows, repairs


def glyph_evidence(lines: Sequence[str], rows: Sequence, images: Sequence[np.ndarray] | None
                   ) -> tuple[list[str], list, list[Repair], tuple[tuple[int, int, str], ...]]:
    """with_glyph_evidence, and the characters the glyphs hold ((line, position, character):
    mrz_glyphs.GlyphEvidence.held)."""
    found, repairs = _glyphs_found(lines, rows, images)
    return found.lines, found.rows, repairs, found.held


def _glyphs_found(lines: Sequence[str], rows: Sequence, images: Sequence[np.ndarray] | None
                  ) -> tuple[mrz_glyphs.GlyphEvidence, list[Repair]]:
    """The glyphs' evidence (mrz_glyphs.adjust_rows) and a Repair for each character it changed."""
    fmt = detect_format(tuple(lines))
    if images is None or fmt not in LAYOUTS or not mrz_glyphs.mixed_positions(fmt):
        return mrz_glyphs.GlyphEvidence(list(lines), list(rows), 0), []
    found = mrz_glyphs.adjust_rows(lines, rows, fmt, images)
    repairs = [Repair(li + 1, pos + 1, a, b, GLYPH_REASON.format("digit" if b.isdigit() else "letter"))
               for li, (old, new) in enumerate(zip(lines, found.lines))
               for pos, (a, b) in enumerate(zip(old, new)) if a != b] if found.changed else []
    return found, repairs


def _parse_held(lines: Sequence[str], rows: Sequence, held: tuple[tuple[int, int, str], ...],
                undecided: tuple[tuple[int, int, str], ...] = ()) -> ParsedMRZ | None:
    """parse_mrz with the recogniser's rows, carrying the characters the glyphs hold (and those they
    leave undecided); readings that put another character where one is held are no alternatives
    (nor options for the printed fields)."""
    parsed = parse_mrz(lines, probs=rows)
    if parsed is not None and undecided:
        parsed = replace(parsed, glyph_undecided=undecided)
    if parsed is None or not held:
        return parsed
    parsed = replace(parsed, glyph_held=held)
    return replace(parsed, alternatives=tuple(a for a in parsed.alternatives if not parsed.against_glyphs(a)),
                   printed_options=tuple(o for o in parsed.printed_options if not parsed.against_glyphs(o)))


def with_undecided_alternatives(parsed: ParsedMRZ) -> ParsedMRZ:
    """The reading with an alternative for each set of up to MAX_UNDECIDED_CHANGES members of an
    OCR-B pair (O/0, Z/2, S/5, B/8, G/6) whose glyph does not clearly say which it is
    (ParsedMRZ.glyph_undecided) turned into their partners, where the check digits then hold too:
    the other reading is as good, so the reading is not approved unless the printed fields decide.
    In a visa's optional data no check digit covers them (tuning photo 18009: SO5043 read S05043,
    reported valid and unflagged; 61056: Z898826 read 2898826); under a check digit it is the
    glyphs whose shape says the partner against their height (mrz_glyphs._at_odds: held-out photo
    65004, a TD1 number's OO read 00, two O/0 at weights 7 and 3)."""
    if not parsed.valid:
        return parsed  # an invalid reading is reported invalid: its near misses are no alternatives
    places = [(li, pos, read) for li, pos, read in parsed.glyph_undecided
              if li < len(parsed.lines) and pos < len(parsed.lines[li]) and parsed.lines[li][pos] == read]
    extra, turned = [], []
    for k in range(1, min(MAX_UNDECIDED_CHANGES, len(places)) + 1):
        for subset in itertools.combinations(places, k):
            if any(set(smaller) <= set(subset) for smaller in turned):
                continue  # the smallest changes only: each glyph its own alternative where nothing checks it
            chars = [list(line) for line in parsed.lines]
            for li, pos, read in subset:
                chars[li][pos] = mrz_glyphs.UNDECIDED_PARTNER[read]
            lines = tuple("".join(c) for c in chars)
            other = parse_mrz(lines, repair=False)
            if other is not None and other.valid:
                extra.append(lines)
                turned.append(subset)
    if not extra:
        return parsed
    return replace(parsed, alternatives=tuple(dict.fromkeys(parsed.alternatives + tuple(extra))))


def _best_window(readings: Sequence[LineRead], images: Sequence[np.ndarray] | None = None
                 ) -> tuple[ParsedMRZ, list[Repair], tuple[int, int], float, list] | None:
    """Pick the 2 or 3 consecutive lines that parse best as some MRZ format."""
    best = None
    for count, widths in FORMAT_WIDTHS.items():
        for first in range(0, len(readings) - count + 1):
            window = readings[first:first + count]
            for width in widths:
                if any(abs(len(r.text) - width) > 4 for r in window):
                    continue
                fitted, rows, repairs = [], [], []
                for i, r in enumerate(window):
                    line, line_rows, rep = _fit(r, width, i + 1)
                    fitted.append(line)
                    rows.append(line_rows)
                    repairs += rep
                found, glyphs = _glyphs_found(fitted, rows, images[first:first + count] if images is not None else None)
                fitted, rows = found.lines, found.rows
                parsed = _parse_held(fitted, rows, found.held, found.undecided)
                if parsed is None:
                    continue
                conf = float(np.mean([r.confidence for r in window]))
                key = (parsed.valid_count - (not well_formed_names(parsed)), parsed.icao or parsed.format == FRA_ID, -len(repairs), conf)
                if best is None or key > best[0]:
                    best = (key, parsed, repairs + glyphs, (first, count), conf, rows)
    return None if best is None else best[1:]


def _variants(line_img: np.ndarray) -> list[np.ndarray]:
    """Other renderings of a line for a second opinion from the same recogniser."""
    up = cv2.resize(line_img, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    bw = binarise(up)
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(line_img)
    border = cv2.copyMakeBorder(line_img, 6, 6, 12, 12, cv2.BORDER_REPLICATE)
    return [up, clahe, bw, border]


def _one_hot(ch: str) -> np.ndarray:
    row = np.zeros(len(MRZ_CHARS), np.float32)
    row[MRZ_CHARS.index(ch)] = 1.0
    return row


def combine(readings: Sequence[tuple[str, Sequence]]) -> tuple[str, list]:
    """Readings of one line (same length) pooled position by position: the mean of
    their probability rows (an engine without probabilities counts as certain of
    its character). The text is each position's likeliest character.

    A character read by one engine against several others keeps only its share
    of the pooled probability, so it is an alternative for the check digits to
    weigh (mrz_search) only when that share is large enough, never a
    replacement by itself.
    """
    width = len(readings[0][0])
    rows, text = [], []
    for pos in range(width):
        stack = []
        for line, line_rows in readings:
            row = line_rows[pos] if line_rows is not None else None
            stack.append(np.asarray(row, np.float32) if row is not None else _one_hot(line[pos]))
        mean = np.mean(stack, axis=0)
        rows.append(mean)
        text.append(MRZ_CHARS[int(mean.argmax())])
    return "".join(text), rows


def candidate_readings(per_line: Sequence[Sequence[tuple[str, Sequence]]],
                       latest: Sequence[tuple[str, Sequence | None]],
                       in_step: Callable[[int, str], bool] | None = None) -> list[list[tuple[str, list]]]:
    """The readings a round of second opinions offers the parser: every reading so far pooled
    (`combine`), and the round's own reading of each line (`latest`). Pooled position by
    position, a reading one character out of step with the first (JPN read JN< with a filler
    added at the line's end) ties with it at every shifted position (tuning photo 2033); so where
    `in_step(line, text)` tells, only the readings in step with the line's glyphs are pooled (when
    any is): pooling shifted readings made a TD1's names DOMMNNQQE, in step and under no check
    digit (tuning photo 14081)."""
    pooled = [combine(_in_step_only(li, readings, in_step)) for li, readings in enumerate(per_line)]
    own = [(text, list(rows) if rows is not None else [None] * len(text)) for text, rows in latest]
    return [pooled, own]


def _in_step_only(li: int, readings: Sequence[tuple[str, Sequence]],
                  in_step: Callable[[int, str], bool] | None) -> Sequence[tuple[str, Sequence]]:
    kept = [r for r in readings if in_step(li, r[0])] if in_step is not None else []
    return kept or readings


NAME_FIELDS = ("names", "surname", "given_names")


def well_formed_names(parsed: ParsedMRZ) -> bool:
    """Whether the name fields hold a name (no digit, no run of three fillers before a letter, no
    letter three times in a row) and the optional data no data resumed after fillers (see
    malformed_fields).

    Only the composite digit covers a French card's names (and a TD1's optional data), so among
    the engines' many readings one with a misread name can make a check digit printed wrong hold
    by chance (tuning photos, documents printed invalid: ZIEGLER<<<<<<<<<GGGGGG, B0 for BO)."""
    return not malformed_fields(parsed)


# A letter three times in a row is no name (K read for each `<` of a filler run: KKK).
_TRIPLED_LETTER = re.compile(r"([A-Z])\1\1")
# Optional data is written from the field's start and filled after: one to three characters ending
# it after two fillers are a line read out of step (a character dropped before them, one added at the
# end: ...<<<<1 for ...<<<<<) or specks. Longer data there is the state's own (a real Macao card's
# optional data ends <<<<<<<<0212300) and stays trusted.
_DATA_AFTER_FILLERS = re.compile(r"<<[^<]{1,3}$|<<[^<]<<")
OPTIONAL_FIELDS = ("optional_data_1", "optional_data_2", "personal_number")
DATA_FROM_START_FORMATS = ("TD1", "TD2", "TD3")


def malformed_fields(parsed: ParsedMRZ) -> tuple[str, ...]:
    """Fields no check digit vouches for alone that cannot be as printed: a name with a digit, a
    run of three fillers before a letter or a letter three times in a row; optional data (a TD1's,
    a TD2's or TD3's personal number; not a visa's) ending in one to three characters after two
    fillers, or with one alone amid fillers."""
    out = []
    for seg in LAYOUTS.get(parsed.format, ()):
        if seg.line >= len(parsed.lines):
            continue
        text = parsed.lines[seg.line][seg.start:seg.end]
        if seg.name in NAME_FIELDS and ("<<<" in text.rstrip("<") or any(ch.isdigit() for ch in text)
                                        or _TRIPLED_LETTER.search(text)):
            out.append(seg.name)
        # Optional data: one character alone amid fillers is an engine's speck, not data (SWE<<<<<<S<<<<7
        # made a wrong composite hold, tuning 8019); data after fillers a line read out of step.
        # A visa's optional data is its state's own (a real Polish visa ends <<<<<<<0): cards and passports only.
        elif seg.name in OPTIONAL_FIELDS and parsed.format in DATA_FROM_START_FORMATS \
                and _DATA_AFTER_FILLERS.search(text):
            out.append(seg.name)
    return tuple(out)


def reading_score(parsed: ParsedMRZ) -> tuple[int, int, int, int]:
    # A reading whose fillers fall where the glyphs are other characters (or the other way round) was
    # read out of step: it never wins over one in step, whatever its check digits (tuning photo 14065:
    # a TD1's first line re-read shifted by one, its two check digits holding by chance).
    # A reading whose names are no name never wins over one whose names are: its check digits hold
    # by chance, not because it is right (a French card printed with a wrong check digit fails two,
    # the document number's and the composite; ZIEGLER<<<<<<<<<GGGGGG made both hold, tuning 8008).
    return int(not parsed.out_of_step), int(well_formed_names(parsed)), parsed.valid_count, parsed.plausibility


def accepted(parsed: ParsedMRZ) -> bool:
    """Whether a reading needs no second opinion: its check digits hold, its fields are plausible,
    its names well formed, and its fillers in step with the glyphs."""
    return parsed.valid and parsed.plausible and well_formed_names(parsed) and not parsed.out_of_step


class StepCheck:
    """The band's lines measured once (mrz_glyphs.measure_line), to tell readings in step with
    their glyphs from readings out of step (mrz_glyphs.out_of_step) or with a check digit the glyph
    clearly shows as another (mrz_glyphs.misread_check_digits)."""

    def __init__(self, band: Sequence[np.ndarray], widths: Sequence[int], first: Sequence[str] = ()):
        self.widths = list(widths)
        self.glyphs = [mrz_glyphs.measure_line(img, w) for img, w in zip(band, widths)]
        self.verdicts = mrz_glyphs.filler_verdicts(self.glyphs)
        self.first = tuple(first)  # the first reading: a re-read shifted from it must match the glyphs better

    def __call__(self, parsed: ParsedMRZ) -> ParsedMRZ:
        """The reading with its out_of_step cells."""
        if [len(line) for line in parsed.lines] != self.widths:
            return parsed
        cells = mrz_glyphs.out_of_step(parsed.lines, self.glyphs, self.verdicts)
        cells += mrz_glyphs.misread_check_digits(parsed.lines, parsed.format, self.glyphs)
        if len(self.first) == len(parsed.lines):
            cells += mrz_glyphs.shifted_cells(parsed.lines, self.first, self.glyphs)
        return parsed if cells == parsed.out_of_step else replace(parsed, out_of_step=cells)

    def line_in_step(self, li: int, text: str) -> bool:
        """Whether one reading of line `li` is in step with its glyphs."""
        if li >= len(self.glyphs) or len(text) != self.widths[li]:
            return True
        return not mrz_glyphs.out_of_step([text], self.glyphs[li:li + 1], self.verdicts[li:li + 1])


def _read_band(line_imgs: list[np.ndarray], use_tesseract: bool,
               seen: list[str] | None = None) -> tuple[ParsedMRZ, list[Repair], str, float] | None:
    rapid = _rapid_lines(line_imgs)
    if seen is not None:
        seen.extend(r.text for r in rapid if r.text)
    found = _best_window(rapid, line_imgs)
    if found is None:
        return None
    parsed, repairs, (first, count), conf, rows = found
    widths = [len(line) for line in parsed.lines]
    band = line_imgs[first:first + count]
    in_step = StepCheck(band, widths, parsed.lines)
    parsed = in_step(parsed)
    if accepted(parsed) or not parsed.check_digits:
        return parsed, repairs, "rapidocr", conf
    # Second opinions: RapidOCR on other renderings of the lines, then Tesseract;
    # their probabilities are pooled with the first reading's, position by position.
    per_line: list[list[tuple[str, list]]] = [
        [_fit(rapid[first + i], w, i + 1)[:2]] for i, w in enumerate(widths)]
    engines = {"rapidocr"}
    sources: list[tuple[str, Callable[[np.ndarray], LineRead], list[list[np.ndarray]]]] = [
        ("rapidocr", _rapid, [list(v) for v in zip(*(_variants(img) for img in band))]),
    ]
    if use_tesseract and ocr_engines.tesseract_available():
        sources.append(("tesseract", _tesseract, [band]))
    best, best_key = parsed, (*reading_score(parsed), 1)
    first_lines = [p[0][0] for p in per_line]
    # Re-read only the lines that can change the outcome: those holding
    # check-digit data when a digit fails, any line when a field is implausible.
    needed = set(range(len(widths))) if not parsed.plausible or not well_formed_names(parsed) else set()
    if not parsed.valid:
        needed |= {0, 1} if parsed.format in ("TD1", FRA_ID) else {1}
    needed |= {li for li, _, _ in parsed.out_of_step}
    # A reading whose check digits pass but whose country code is unknown (an
    # old code like SI<, or JPN read JN< with a filler added: the nationality of
    # a TD1 card is under no check digit, tuning photo 2033) gets RapidOCR's other
    # renderings, an invalid one Tesseract's reading too.
    rounds = len(sources[0][2]) if parsed.valid and not parsed.out_of_step else len(sources[0][2]) + 1
    for name, read, renderings in sources:
        for images in renderings:
            if rounds == 0:
                break
            rounds -= 1
            added = False
            alone = [readings[0] for readings in per_line]
            for i, img in enumerate(images):
                if i not in needed:
                    continue
                r = read(img)
                if abs(len(r.text) - widths[i]) > 4:
                    continue
                per_line[i].append(_fit(r, widths[i], i + 1)[:2])
                alone[i] = per_line[i][-1]
                added = True
            if not added:
                continue
            engines.add(name)
            for lines_rows in candidate_readings(per_line, alone, in_step.line_in_step):
                found, _ = _glyphs_found([t for t, _ in lines_rows], [r for _, r in lines_rows], band)
                cand = _parse_held(found.lines, found.rows, found.held, found.undecided)
                if cand is None or cand.format != parsed.format:
                    continue
                cand = in_step(cand)
                key = (*reading_score(cand), 0)
                if key > best_key:
                    best, best_key = cand, key
            if accepted(best):
                break
        if accepted(best):
            break
    best = in_step(_known_countries(best, per_line))
    if best is parsed:
        return best, repairs, "rapidocr", conf
    # Say where the chosen reading departs from RapidOCR's first one (beyond the
    # repairs the parser recorded itself).
    own = {(r.line, r.position) for r in best.repairs}
    voted: list[Repair] = []
    for li, (first_line, final_line) in enumerate(zip(first_lines, best.lines)):
        diffs = [Repair(li + 1, pos + 1, a, b, "chosen by pooling the engines' readings")
                 for pos, (a, b) in enumerate(zip(first_line, final_line))
                 if a != b and (li + 1, pos + 1) not in own and (a, b) not in _ALPHABET_REPAIRED]
        if len(diffs) > 4:  # a shifted first reading: one entry for the line (position 0)
            diffs = [Repair(li + 1, 0, first_line, final_line, "line re-read: chosen by pooling the engines' readings")]
        voted += diffs
    return best, voted, "+".join(sorted(engines)), conf


def _known_countries(parsed: ParsedMRZ, per_line: Sequence[Sequence[tuple[str, Sequence]]]) -> ParsedMRZ:
    """The reading with a country code it holds unknown taken from the engines' other readings of
    the line, where the most of them read a known one. No check digit covers a country code, so
    a reading chosen for its digits can bring one engine's misread code along (Tesseract's UPN
    against RapidOCR's JPN: tuning photo 7198); choosing the known code changes no digit."""
    lines = list(parsed.lines)
    for seg in LAYOUTS.get(parsed.format, ()):
        if seg.name not in COUNTRY_FIELDS or seg.line >= len(per_line) or is_known_country(
                lines[seg.line][seg.start:seg.end]):
            continue
        codes = [_country_code(text[seg.start:seg.end]) for text, _ in per_line[seg.line]
                 if len(text) >= seg.end]
        known = Counter(c for c in codes if c)
        code = known.most_common(1)[0][0] if known else _likeliest_known_code(
            lines[seg.line][seg.start:seg.end], [rows for _, rows in per_line[seg.line]], seg.start)
        if code:
            lines[seg.line] = lines[seg.line][:seg.start] + code + lines[seg.line][seg.end:]
    if tuple(lines) == parsed.lines:
        return parsed
    digits = compute_check_digits(tuple(lines), parsed.format)
    if sum(c.valid for c in digits) < parsed.valid_count:
        return parsed  # a French card's composite digit covers its country code
    # The printed-field options differ from the reading in the document number only: they take the code too.
    options = tuple(tuple("".join(o if o != a else n for o, a, n in zip(opt, old, new))
                          for opt, old, new in zip(option, parsed.lines, lines)) for option in parsed.printed_options)
    return replace(parsed, lines=tuple(lines), fields=_fields(tuple(lines), parsed.format, None), check_digits=digits,
                   printed_options=options)


KNOWN_CODE_SHARE = 0.05  # a known code's other letter must have this share of the letter read


def _likeliest_known_code(read: str, rows_per_reading: Sequence, start: int) -> str | None:
    """The known country code one letter away from `read` that the recogniser's pooled
    probabilities favour, when the letter it changes had at least KNOWN_CODE_SHARE of the
    letter read (every engine read CHF for CHE, E with a share: tuning photo 10174)."""
    pooled = []
    for k in range(len(read)):
        stack = [np.asarray(rows[start + k], np.float32) for rows in rows_per_reading
                 if rows is not None and start + k < len(rows) and rows[start + k] is not None]
        pooled.append(np.mean(stack, axis=0) if stack else None)
    best, best_p = None, 0.0
    for k, row in enumerate(pooled):
        if row is None or read[k] not in MRZ_CHARS:
            continue
        p_read = float(row[MRZ_CHARS.index(read[k])])
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            code = read[:k] + letter + read[k + 1:]
            p = float(row[MRZ_CHARS.index(letter)])
            if letter != read[k] and is_known_country(code) and p >= KNOWN_CODE_SHARE * max(p_read, 1e-9) \
                    and p > best_p:
                best, best_p = code, p
    return best


# Differences the parser's own alphabet repairs explain (recorded by the parser).
_ALPHABET_REPAIRED = {(a, b) for a, b in {**TO_DIGIT, **TO_LETTER}.items()} | {(c, "<") for c in FILLER_LOOKALIKES}


def _orientations(candidate: MRZCandidate, image_shape: tuple[int, ...]
                  ) -> list[tuple[int, np.ndarray, tuple[int, int, int, int], tuple[tuple[int, int], ...]]]:
    """(rotation, band crop, band box in the image turned by that rotation, line rows) both ways up."""
    x, y, w, h = candidate.box
    turned_h, turned_w = image_shape[:2] if candidate.rotation % 180 == 0 else image_shape[1::-1]
    upside_down = (turned_w - x - w, turned_h - y - h, w, h)
    height = candidate.crop.shape[0]
    flipped = tuple(sorted((height - e, height - s) for s, e in candidate.line_spans))
    return [(candidate.rotation, candidate.crop, candidate.box, candidate.line_spans),
            ((candidate.rotation + 180) % 360, rotate(candidate.crop, 180), upside_down, flipped)]


@dataclass(frozen=True)
class MRZAttempt:
    reading: MRZReading | None
    seen_text: tuple[str, ...]   # what RapidOCR read in the MRZ-like bands, parsed or not


def attempt_mrz(image_bgr: np.ndarray, use_tesseract: bool = True, max_candidates: int = 3) -> MRZAttempt:
    """The best MRZ reading in the image (None when none parsed) and the text seen trying."""
    best: MRZReading | None = None
    seen: list[str] = []
    for candidate in find_mrz_candidates(image_bgr, max_candidates=max_candidates):
        for rotation, crop, band, spans in _orientations(candidate, image_bgr.shape):
            lines = split_lines(crop, spans)
            if len(lines) < 2:
                continue
            result = _read_band(lines, use_tesseract, seen)
            if result is None:
                continue
            parsed, repairs, engine, conf = result
            parsed = with_undecided_alternatives(parsed)
            reading = MRZReading(parsed, rotation, engine, tuple(repairs), conf, band)
            if best is None or (*reading_score(parsed), conf) > (*reading_score(best.parsed), best.confidence):
                best = reading
            # A confident, plausible reading whose check digits still fail is
            # most likely printed that way: other bands or the upside-down
            # view will not read it better.
            if not parsed.out_of_step and (parsed.valid or (parsed.plausible and conf >= CONFIDENT_READING)):
                return MRZAttempt(best, tuple(seen))
    return MRZAttempt(best, tuple(seen))


def read_mrz(image_bgr: np.ndarray, use_tesseract: bool = True, max_candidates: int = 3) -> MRZReading | None:
    """The best MRZ reading in the image, or None when no MRZ could be read."""
    return attempt_mrz(image_bgr, use_tesseract, max_candidates).reading
