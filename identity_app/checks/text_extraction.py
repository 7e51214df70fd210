"""Text extraction (task ID_DOCUMENT_TEXT_DATA_EXTRACTION) and its check report.

`extract_document_text` reads the MRZ (any right-angle rotation, small
skews; see mrz_reader; when that finds no valid MRZ, again on the document
flattened by its four corners, see document_frame) and, where possible, the printed fields of the visual
zone, into a `DocumentText`. `text_data_report` turns that into the
ID_DOCUMENT_TEXT_DATA_CHECK report:

- APPROVE: an MRZ was read and every check digit is valid as printed.
- NOT_AVAILABLE / INCORRECT_MRZ: an MRZ was read (or MRZ-like lines were
  seen) but a check digit is wrong or the lines could not be parsed; the
  breakdown says which digit. Whether that means tampering is for the
  document authenticity check to say.
- NOT_AVAILABLE / DOCUMENT_NOT_SUPPORTED: text was read but there is no MRZ
  (automated extraction needs one), or lines of an MRZ's shape that are not
  an ICAO MRZ nor a national format we know ("not an ICAO MRZ": reported as
  read, never repaired into one); NO_DOCUMENT when no text at all was read.
- A reading whose check digits hold but that other readings of the same
  characters satisfy too (mrz_search's alternatives) is decided by the
  printed fields of the visual zone; when they cannot decide, the
  `mrz_unambiguous` sub-check fails and the reading is not approved. A
  printed document number that differs from a valid reading only by
  confusable characters (G/6, L/1 count the same modulo 10) is not taken
  over it: the visual zone's reader can be the wrong one, so the
  disagreement is reported (printed_vs_mrz). A printed character that
  differs from the MRZ's only as its confusable (O/0, I/1, D/0, O/D, G/6)
  where the glyphs' height and shape held the MRZ's character does not
  disagree (`DocumentText.printed_agrees`, `mrz_held`). A reading whose check
  digits hold but whose sex is not M/F/X/< or was read E (F's lookalike and
  the filler's), or whose country code is unknown or was repaired on a line
  read a character short or long (fields no digit covers), fails
  `mrz_fields_plausible` and is not approved; nor is one whose check digits
  hold only with a character a held glyph says otherwise (`mrz_glyphs_agree`), nor one read out of
  step with its glyphs: data where a filler's glyph is printed or a filler where another character's
  is (`ParsedMRZ.out_of_step`, listed in the same sub-check).
Nothing is ever made up: without an MRZ the report carries no MRZ fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from identity_app.checks import mrz_search, ocr_engines
from identity_app.checks.document_data import HELD_CONFUSABLES, DocumentText, Repair, comparable
from identity_app.checks.mrz_locate import rotate
from identity_app.checks.icao_codes import is_known_country
from identity_app.checks.mrz_parse import (COUNTRY_FIELDS, DOCUMENT_CODE_FIRST, LAYOUTS, NON_ICAO, SEX_POSITION, TO_LETTER,
                                          ParsedMRZ,
                                          parse_mrz)
from identity_app.checks.document_frame import correct_perspective, find_document
from identity_app.checks.mrz_reader import MRZAttempt, MRZReading, attempt_mrz, malformed_fields, reading_score
from identity_app.checks.report import (
    CheckReport,
    CheckType,
    Detail,
    Recommendation,
    SubCheck,
    details,
    sub_check,
)

ALGORITHM_VERSION = ("text-extraction-4 (morphology MRZ locator, RapidOCR PP-OCRv6 + Tesseract 5 pooled, "
                     "check-digit confusable search weighing OCR-B glyph heights and shapes, ICAO 9303 and the French "
                     "identity card)")
PRINTED_COMPARED = ("surname", "given_names", "document_number", "date_of_birth", "expiration_date")
# Fields the visual-zone reader does not parse but many documents print (a passport's personal
# number, "ZE 184226 B"): a reading of one that the page's own text shows, and its alternative's
# does not, is the page's choice. No check digit tells G from 6 there (a real specimen read from a
# camera frame was held back as ambiguous between ZE184226B and ZE18422GB).
TEXT_COMPARED = ("personal_number", "optional_data_1", "optional_data_2")
TEXT_COMPARED_MIN_LENGTH = 5
# Share of the flattened document's sides read beyond its corners: a corner found inside the card
# (an arm over its edge) cut the MRZ's last line off on a tuning photo (seed 5071).
READ_MARGIN = 0.06


def extract_document_text(
    image_bgr: np.ndarray,
    read_visual_zone: bool = True,
    use_tesseract: bool = True,
    today: date | None = None,
) -> DocumentText:
    """Everything text extraction can read from one document photo.

    read_visual_zone: also OCR the whole page for printed fields and raw text
    (about 0.3-1 s more on 2 cores); use_tesseract: let Tesseract give a second
    opinion on MRZ lines RapidOCR could not validate.
    """
    image_bgr = _as_bgr(image_bgr)
    attempt = attempt_mrz(image_bgr, use_tesseract=use_tesseract)
    corners: tuple[tuple[float, float], ...] = ()
    if attempt.reading is None or not attempt.reading.parsed.valid or attempt.reading.parsed.out_of_step:
        # A phone photo at an angle: find the document's corners, flatten it, read again.
        found = find_document(image_bgr)
        if found is not None:
            flat = correct_perspective(image_bgr, found, margin=READ_MARGIN)
            second = attempt_mrz(flat, use_tesseract=use_tesseract)
            if second.reading is not None and (attempt.reading is None or reading_score(second.reading.parsed)
                                               > reading_score(attempt.reading.parsed)):
                attempt = MRZAttempt(second.reading, attempt.seen_text + second.seen_text)
                image_bgr, corners = flat, tuple((float(x), float(y)) for x, y in found)
    reading = attempt.reading
    printed: dict[str, str] = {}
    raw_lines: list[str] = []
    if read_visual_zone:
        from identity_app.checks.visual_zone import read_visual_zone as read_viz

        upright = rotate(image_bgr, reading.rotation) if reading else image_bgr
        printed, raw_lines = read_viz(upright, today, reading.band if reading else None)
    viz_lines = tuple(raw_lines)
    if reading is not None:
        mrz_text = "\n".join(reading.parsed.lines)
        if mrz_text not in "\n".join(raw_lines):
            raw_lines = raw_lines + list(reading.parsed.lines)
    elif not raw_lines:
        # MRZ-like lines that did not parse still tell INCORRECT_MRZ from NO_DOCUMENT.
        raw_lines = list(attempt.seen_text)
    doc = _document_text(reading, printed, "\n".join(raw_lines), viz_lines)
    # The reading's image buffers are freed by now; glibc would keep them in its heaps
    # (a worker grew ~5 MB a document): hand them back (~ms).
    ocr_engines.release_freed_memory()
    return replace(doc, document_corners=corners) if corners else doc


@dataclass(frozen=True)
class DocumentEvidence:
    """What the reviewer sees beside the reports: the crops the checks looked at (BGR images)."""

    mrz_crop: np.ndarray | None        # the MRZ band, upright, as it was read
    portrait: np.ndarray | None        # the document's portrait, upright
    corrected: np.ndarray | None       # the front flattened by its four corners, upright
    corners: tuple[tuple[float, float], ...] = ()  # those corners in the front photo
    rotation: int = 0                  # degrees the flattened front was turned to stand upright


EVIDENCE_LONG_SIDE = (700, 1600)  # px: the corrected document's long side, the photo's own resolution within


def mrz_crop(image_bgr: np.ndarray, doc: DocumentText, margin: float = 0.25) -> np.ndarray | None:
    """The MRZ band of `image_bgr` (the photo it was read from) as text extraction read it:
    flattened by the document's corners when it was read that way, turned upright, with
    `margin` (a fraction of the band's height) around it. None when no MRZ was read."""
    if not doc.mrz_found or len(doc.mrz_band) != 4:
        return None
    image = _as_bgr(image_bgr)
    if doc.document_corners:
        image = correct_perspective(image, np.asarray(doc.document_corners, np.float32), margin=READ_MARGIN)
    upright = rotate(image, doc.rotation)
    x, y, w, h = doc.mrz_band
    mx, my = int(0.02 * w) + 4, int(margin * h) + 4
    crop = upright[max(0, y - my):y + h + my, max(0, x - mx):x + w + mx]
    return crop if crop.shape[0] >= 8 and crop.shape[1] >= 40 else None


def document_evidence(front_bgr: np.ndarray, doc: DocumentText | None,
                      mrz_image_bgr: np.ndarray | None = None, front_read: bool = False) -> DocumentEvidence:
    """The evidence of one document: its MRZ crop (from `mrz_image_bgr`, the photo the MRZ
    was read from), and from the front photo the document flattened by its four corners
    (those text extraction used when it read the front flattened, `front_read`, else
    found again) and its portrait. Each is None when it could not be made."""
    from identity_app.checks.document_frame import find_document
    from identity_app.checks.portrait import find_portrait

    front = _as_bgr(front_bgr)
    crop = mrz_crop(mrz_image_bgr, doc) if doc is not None and mrz_image_bgr is not None else None
    known = front_read and doc is not None and len(doc.document_corners) == 4
    corners = np.asarray(doc.document_corners, np.float32) if known else find_document(front)  # type: ignore[union-attr]
    corrected, rotation = None, 0
    if corners is not None:
        quad_w = max(float(np.linalg.norm(corners[i] - corners[(i + 1) % 4])) for i in range(4))
        lo, hi = EVIDENCE_LONG_SIDE
        corrected = correct_perspective(front, corners, long_side=int(min(hi, max(lo, quad_w))))
        if known:  # read flattened: the reading's own turn stands it upright
            rotation = doc.rotation  # type: ignore[union-attr]
            corrected = rotate(corrected, rotation)
        found = find_portrait(corrected)
        if found is not None and not known:  # else the portrait's turn does
            rotation = found[1]
            corrected = rotate(corrected, rotation)
    else:
        found = find_portrait(front)
    portrait = found[0] if found is not None else None
    as_tuple = tuple((float(x), float(y)) for x, y in corners) if corners is not None else ()
    return DocumentEvidence(crop, portrait, corrected, as_tuple, rotation)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _with_printed_centuries(fields: tuple[tuple[str, str], ...], printed: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The MRZ has two-digit years: where the printed date is the same day with
    a four-digit year, its century is the document's own answer."""
    out = []
    for name, value in fields:
        seen = printed.get(name, "")
        if name in ("date_of_birth", "expiration_date") and len(value) == 10 and len(seen) == 10 \
                and value[2:] == seen[2:] and value[:2] != seen[:2]:
            value = seen
        out.append((name, value))
    return tuple(out)


def page_text(viz_lines: list[str] | tuple[str, ...]) -> str:
    """The visual zone's lines as letters and digits only ("ZE 184226 B" -> "ZE184226B"), one
    line apart from the next; lines that look like the MRZ (a filler, or 28 characters and more)
    are left out, so that the MRZ's own reading never agrees with itself."""
    kept = []
    for line in viz_lines:
        packed = re.sub(r"[^A-Z0-9]", "", line.upper())
        if "<" not in line and len(packed) < 28:
            kept.append(packed)
    return "|".join(kept)


def _agreement(parsed: ParsedMRZ, printed: dict[str, str], page: str = "") -> int:
    """How many printed fields the reading's fields equal (see `comparable`), plus the fields of
    TEXT_COMPARED whose value the page's text shows."""
    agree = sum(comparable(n, printed[n]) == comparable(n, parsed.field(n) or "")
                for n in PRINTED_COMPARED if printed.get(n) and parsed.field(n))
    if page:
        for name in TEXT_COMPARED:
            value = re.sub(r"[^A-Z0-9]", "", (parsed.field(name) or "").upper())
            agree += len(value) >= TEXT_COMPARED_MIN_LENGTH and value in page
    return agree


def decide_by_printed(parsed: ParsedMRZ, printed: dict[str, str],
                      page: str = "") -> tuple[ParsedMRZ, tuple[Repair, ...], bool]:
    """Among a reading and its alternatives (all valid), the one the printed
    fields (and `page`, see page_text) agree with strictly most: (reading, repairs
    that made it, decided). Not decided when they agree with two equally, or there are none."""
    if not parsed.alternatives:
        return parsed, (), True
    options = [parsed] + [parse_mrz(lines, repair=False) for lines in parsed.alternatives]
    scored = sorted(((_agreement(o, printed, page), -i, o) for i, o in enumerate(options) if o is not None),
                    key=lambda t: t[:2], reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return parsed, (), False
    chosen = scored[0][2]
    if parsed.against_glyphs(chosen.lines):
        # The visual zone's reader confuses O/0 and I/1 as the recogniser does: a reading whose
        # character a clear glyph speaks against is not the printed fields' to choose.
        return parsed, (), False
    if chosen is parsed:
        return parsed, (), True
    repairs = tuple(Repair(li + 1, pos + 1, a, b, "the check digits hold either way: the printed fields choose")
                    for li, (old, new) in enumerate(zip(parsed.lines, chosen.lines))
                    for pos, (a, b) in enumerate(zip(old, new)) if a != b)
    return chosen, repairs, True


# A sex read as E may be F (its lookalike) or the filler (one of the filler's): no check digit covers
# the sex, so neither repair is sure (tuning photo 14183: F read E, repaired to <, valid but wrong).
AMBIGUOUS_SEX_READS = frozenset("E")
# Repairs that do not change what a character reads: the line's length fitted.
_LENGTH_REASON_PREFIX = "line too"


def _repaired_in(repairs, seg, reason: str | None = None) -> bool:
    """Whether a repair other than the line's length (when `reason` is given, one made for that
    reason) changed a character of segment `seg` into something else than its usual lookalike (TO_LETTER: 0 read for O is the
    recogniser's common confusion; a letter made a filler, or 0 made D, is a guess: tuning photo
    15027 against 14122)."""
    return any(r.line == seg.line + 1 and seg.start < r.position <= seg.end and r.read and r.repaired
               and not r.reason.startswith(_LENGTH_REASON_PREFIX) and (reason is None or r.reason == reason)
               and r.repaired != TO_LETTER.get(r.read)
               for r in repairs)


def implausible_fields(doc: DocumentText) -> tuple[str, ...]:
    """Fields of a read MRZ that no check digit covers and that cannot be right as read: a sex
    other than M, F, X or `<` (or read E: F or the filler, AMBIGUOUS_SEX_READS), or a country code
    ICAO does not know, or one a repair changed (tuning photo 14122: POL read 0L, made D<<), on a
    line whose length was repaired (a character dropped or doubled moves letters into them and
    the check digits still hold: tuning photo 2033), or a country code on any line with a letter
    guessed from a digit, the recogniser's likeliest letter and not the digit's look-alike (tuning
    photo 61190: a nationality UTO read 1T0, made TTO, another known code), or a TD1's names on
    its names line read long or short. Real documents print unknown codes too (an old SI<, BDR, a
    numeric nationality), read at their length: those stay trusted."""
    if not doc.mrz_found or doc.mrz_format in (None, "", NON_ICAO):
        return ()
    parsed = parse_mrz(doc.mrz_lines, repair=False)
    if parsed is None or parsed.format == NON_ICAO:
        return ()
    refitted = {r.line - 1 for r in doc.repairs if r.reason.startswith(_LENGTH_REASON_PREFIX)}
    lines = {s.name: s.line for s in LAYOUTS[parsed.format]}
    spans = {s.name: s for s in LAYOUTS[parsed.format]}
    out = [f for f in COUNTRY_FIELDS if parsed.field(f) is not None and (lines[f] in refitted
           and (not is_known_country(parsed.field(f) or "") or _repaired_in(doc.repairs, spans[f]))
           or _repaired_in(doc.repairs, spans[f], reason=f"{f} is {spans[f].alphabet}-only"))]
    sex_at = (2, SEX_POSITION[parsed.format] + 1)
    if parsed.lines[1][SEX_POSITION[parsed.format]] not in "MFX<" or any(
            (r.line, r.position) == sex_at and r.read in AMBIGUOUS_SEX_READS for r in doc.repairs):
        out.append("sex")
    if parsed.format == "TD1" and 2 in refitted:
        # A card's names line is under no check digit at all: read a character long or short, the
        # fitting took a filler for it, yet a name's letter may have been doubled or dropped (tuning
        # photo 14081: DOOMINIQUE). On 12000-16199, 6 such lines: 5 read exactly, this one not.
        out.append("names")
    if parsed.lines[0][:1] not in DOCUMENT_CODE_FIRST.get(parsed.format, parsed.lines[0][:1]):
        out.append("document_type")  # no check digit covers it: a TD1 read L<POL... was a misread line
    # Names (under no check digit, or a composite one only) and optional data that cannot be as
    # printed: a line read out of step or as garbage whose check digits hold by chance.
    out += [f for f in malformed_fields(parsed) if f not in out]
    return tuple(out)


def printed_number_repair(parsed: ParsedMRZ, printed_number: str) -> tuple[ParsedMRZ, tuple[Repair, ...]] | None:
    """An invalid reading made valid by the printed document number: each character where the two differ an
    OCR-B partner of the one read (mrz_search.STATIC_PAIRS), no glyph held against it, and every check digit
    holding after: (the reading, its repairs), else None. The recogniser can be sure of the wrong member of a
    pair, so the search leaves such a reading invalid (tuning photo 63101: IO8115595 read I08115595, its check
    digit failing, the printed number IO8115595); two witnesses that agree, the check digits and the printed
    number, choose it. A document printed with a wrong check digit stays invalid: its printed number is its
    MRZ's, and restoring a misread character cannot make a wrong digit hold."""
    seg = next((s for s in LAYOUTS.get(parsed.format, ()) if s.name == "document_number"), None)
    number = comparable("document_number", printed_number)
    if parsed.valid or seg is None or seg.line >= len(parsed.lines) or len(number) != seg.end - seg.start:
        return None
    line = parsed.lines[seg.line]
    read = line[seg.start:seg.end]
    changes = [(seg.start + i, a, b) for i, (a, b) in enumerate(zip(read, number)) if a != b]
    if not changes or any(b not in mrz_search.STATIC_PARTNERS.get(a, ()) for _, a, b in changes):
        return None
    lines = tuple(line[:seg.start] + number + line[seg.end:] if i == seg.line else text
                  for i, text in enumerate(parsed.lines))
    fixed = parse_mrz(lines, repair=False)
    if fixed is None or not fixed.valid or parsed.against_glyphs(lines):
        return None
    return fixed, tuple(Repair(seg.line + 1, pos + 1, a, b, "the printed document number and the check digits agree")
                        for pos, a, b in changes)


def _document_text(reading: MRZReading | None, printed: dict[str, str], raw_text: str,
                   viz_lines: list[str] | tuple[str, ...] = ()) -> DocumentText:
    printed_fields = tuple((k, v) for k, v in printed.items())
    if reading is None:
        return DocumentText(mrz_found=False, printed_fields=printed_fields, raw_text=raw_text)
    p, chosen_by_printed, decided = decide_by_printed(reading.parsed, printed, page_text(viz_lines))
    if not reading.parsed.alternatives and reading.parsed.printed_options and printed.get("document_number"):
        # Confusions in the document number the recogniser doubted too little for an alternative
        # (G/6, or changes whose check digits hold too): the printed number chooses when it says
        # one of them exactly; else the reading stands, not held back.
        trial = replace(reading.parsed, alternatives=reading.parsed.printed_options)
        chosen, repairs, sure = decide_by_printed(trial, printed)
        if sure and chosen is not trial and comparable("document_number", printed["document_number"]) == \
                comparable("document_number", chosen.field("document_number") or ""):
            p, chosen_by_printed = chosen, repairs
    if not p.valid and printed.get("document_number"):
        repaired = printed_number_repair(p, printed["document_number"])
        if repaired is not None:
            p, chosen_by_printed = repaired[0], chosen_by_printed + repaired[1]
    return DocumentText(
        mrz_found=True,
        mrz_format=p.format,
        mrz_lines=p.lines,
        fields=_with_printed_centuries(p.fields, printed),
        check_digits=p.check_digits,
        repairs=reading.length_repairs + p.repairs + chosen_by_printed,
        printed_fields=printed_fields,
        raw_text=raw_text,
        rotation=reading.rotation,
        engine=reading.engine,
        mrz_alternatives=() if decided else reading.parsed.alternatives,
        mrz_band=tuple(int(v) for v in reading.band) if reading.band else (),
        mrz_held=held_in_fields(p),
        mrz_against_glyphs=against_glyphs(p) + still_out_of_step(p, reading.parsed.out_of_step),
    )


def against_glyphs(parsed: ParsedMRZ) -> tuple[tuple[int, int, str], ...]:
    """The characters the glyphs held (line, position, character) where the reading says that
    character's confusable instead (HELD_CONFUSABLES): the check digits brought it back against
    height and shape that both said otherwise."""
    return tuple((li, pos, ch) for li, pos, ch in parsed.glyph_held
                 if li < len(parsed.lines) and pos < len(parsed.lines[li])
                 and (parsed.lines[li][pos], ch) in HELD_CONFUSABLES)


def still_out_of_step(parsed: ParsedMRZ, cells: tuple[tuple[int, int, str], ...]) -> tuple[tuple[int, int, str], ...]:
    """The cells of a reading out of step with its glyphs (ParsedMRZ.out_of_step: line, position,
    character the glyph shows) where `parsed` (the reading or the alternative the printed fields
    chose) still puts data on a filler's glyph, or a filler on another character's, or another
    digit on a check digit's glyph (mrz_glyphs.misread_check_digits)."""
    checks = mrz_search.check_digit_positions(parsed.format) if parsed.format in LAYOUTS else set()
    return tuple((li, pos, ch) for li, pos, ch in cells if li < len(parsed.lines) and pos < len(parsed.lines[li])
                 and ((parsed.lines[li][pos] == "<") != (ch == "<")
                      or (li, pos) in checks and ch.isdigit() and parsed.lines[li][pos] != ch))


def held_in_fields(parsed: ParsedMRZ) -> tuple[tuple[str, int, str], ...]:
    """The characters the glyphs held that the reading still says, as (field, index in the field's
    `comparable` value, character): the document number's (the one compared field the glyphs
    judge; a TD1's long number's overflow is left out)."""
    out = []
    for seg in LAYOUTS.get(parsed.format, ()):
        if seg.name != "document_number":
            continue
        for li, pos, ch in parsed.glyph_held:
            if li == seg.line and seg.start <= pos < seg.end and parsed.lines[li][pos] == ch:
                out.append((seg.name, len(comparable(seg.name, parsed.lines[li][seg.start:pos])), ch))
    return tuple(sorted(out))


def text_data_report(doc: DocumentText) -> CheckReport:
    """The ID_DOCUMENT_TEXT_DATA_CHECK report for what text extraction read."""
    breakdown: list[SubCheck] = [
        sub_check(
            "mrz_found",
            doc.mrz_found,
            format=doc.mrz_format or "none",
            rotation_degrees=doc.rotation,
            engine=doc.engine or "none",
        )
    ]
    for cd in doc.check_digits:
        breakdown.append(sub_check(f"check_digit_{cd.field}", cd.valid, expected=cd.expected, printed=cd.printed))
    for r in doc.repairs:
        breakdown.append(sub_check("ocr_repair", True, line=r.line, position=r.position,
                                   read=r.read or "(nothing)", repaired=r.repaired or "(removed)", reason=r.reason))
    if doc.mrz_alternatives:
        breakdown.append(sub_check("mrz_unambiguous", False, other_readings=" / ".join(
            "|".join(lines) for lines in doc.mrz_alternatives)))
    implausible = implausible_fields(doc)
    if implausible:
        breakdown.append(sub_check("mrz_fields_plausible", False, fields=", ".join(implausible)))
    if doc.mrz_against_glyphs:
        breakdown.append(sub_check("mrz_glyphs_agree", False, held=", ".join(
            f"line {li + 1} position {pos + 1}: {ch} read as {doc.mrz_lines[li][pos]}"
            for li, pos, ch in doc.mrz_against_glyphs if li < len(doc.mrz_lines) and pos < len(doc.mrz_lines[li]))))
    if doc.mrz_found:
        for name in PRINTED_COMPARED:
            agrees = doc.printed_agrees(name)
            if agrees is not None:
                breakdown.append(sub_check(f"printed_vs_mrz_{name}", agrees, printed=doc.printed(name),
                                           mrz=doc.field(name)))

    data: list[Detail] = []
    if doc.mrz_found:
        data += [Detail(name, value) for name, value in doc.fields]
        data.append(Detail("mrz_format", doc.mrz_format or ""))
        data += [Detail(f"mrz_line_{i}", line) for i, line in enumerate(doc.mrz_lines, start=1)]
    data += [Detail(f"printed_{name}", value) for name, value in doc.printed_fields]

    if doc.mrz_format == NON_ICAO:
        rec, reason, hint, score = Recommendation.NOT_AVAILABLE, "DOCUMENT_NOT_SUPPORTED", (
            "This is not an ICAO MRZ (a national format this check does not read): use a passport, "
            "or an identity card or visa with an ICAO machine readable zone."), None
    elif not doc.mrz_found:
        if "<<" in doc.raw_text:
            rec, reason, hint = Recommendation.NOT_AVAILABLE, "INCORRECT_MRZ", (
                "The machine readable zone could not be read: photograph the page flat, in focus and without glare.")
        elif doc.raw_text.strip():
            rec, reason, hint = Recommendation.NOT_AVAILABLE, "DOCUMENT_NOT_SUPPORTED", (
                "Use a document with a machine readable zone (the lines of <<< at the bottom of a passport "
                "or on the back of an ID card) and photograph that side.")
        else:
            rec, reason, hint = Recommendation.NOT_AVAILABLE, "NO_DOCUMENT", (
                "No document text was found: photograph the whole document, filling most of the picture.")
        score = None
    elif not doc.check_digits_valid:
        bad = ", ".join(c.field for c in doc.check_digits if not c.valid)
        rec, reason, hint = Recommendation.NOT_AVAILABLE, "INCORRECT_MRZ", (
            f"The machine readable zone does not validate ({bad}): retake the photo, or review the document by hand.")
        score = sum(c.valid for c in doc.check_digits) / len(doc.check_digits) if doc.check_digits else 0.0
    elif doc.mrz_alternatives:
        rec, reason, hint, score = Recommendation.NOT_AVAILABLE, "INCORRECT_MRZ", (
            "The machine readable zone reads more than one way with valid check digits: retake the photo "
            "with the printed page in view, or review the document by hand."), 0.5
    elif implausible:
        rec, reason, hint, score = Recommendation.NOT_AVAILABLE, "INCORRECT_MRZ", (
            f"The machine readable zone's check digits hold but its {', '.join(implausible)} cannot be right "
            "as read (a character may have been dropped): retake the photo, or review the document by hand."), 0.5
    elif doc.mrz_against_glyphs:
        rec, reason, hint, score = Recommendation.NOT_AVAILABLE, "INCORRECT_MRZ", (
            "The machine readable zone's check digits hold only with a character its print clearly shows "
            "otherwise (or a line read a character out of step, data where fillers are printed): retake the "
            "photo, or review the document by hand."), 0.5
    else:
        rec, reason, hint, score = Recommendation.APPROVE, None, None, 1.0

    return CheckReport(
        check_type=CheckType.ID_DOCUMENT_TEXT_DATA_CHECK,
        recommendation=rec,
        reason=reason,
        recovery_suggestion=hint,
        breakdown=tuple(breakdown),
        score=score,
        algorithm_version=ALGORITHM_VERSION,
        thresholds=details(confusable_min_ratio=mrz_search.MIN_RATIO, failing_digit_penalty=mrz_search.DIGIT_PENALTY,
                           max_change_cost=mrz_search.MAX_CHANGE_COST, ambiguity_margin=mrz_search.AMBIGUITY_MARGIN),
        data=tuple(data),
    )
