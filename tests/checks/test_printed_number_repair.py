"""The recogniser can be sure of the wrong member of an OCR-B pair in a document number, so the check-digit
search leaves the reading invalid (tuning photo 63101: IO8115595 read I08115595). Where the visual zone prints
the number and putting its characters back makes every check digit hold, the two witnesses choose it; a
document printed with a wrong check digit stays invalid, as does a change outside the pairs or against a glyph
held as what was read."""
from __future__ import annotations

from dataclasses import replace

from identity_app.checks.mrz_parse import parse_mrz
from identity_app.checks.mrz_reader import MRZReading
from identity_app.checks.text_extraction import _document_text, printed_number_repair
from tests.checks.specimens import TD1

PRINTED = "D23145890"  # the specimen card's document number (line 1, positions 6-14)


def with_char(lines: tuple[str, ...], line: int, pos: int, ch: str) -> tuple[str, ...]:
    return tuple(text[:pos] + ch + text[pos + 1:] if i == line else text for i, text in enumerate(lines))


def read(lines: tuple[str, ...]):
    return parse_mrz(lines, repair=False)


def test_a_pair_misread_the_printed_number_and_the_check_digits_agree_on_is_put_back():
    misread = read(with_char(TD1, 0, 5, "0"))  # D read 0: the document number's check digit fails
    assert not misread.valid
    fixed, repairs = printed_number_repair(misread, PRINTED)
    assert fixed.valid and fixed.lines == TD1
    assert [(r.line, r.position, r.read, r.repaired) for r in repairs] == [(1, 6, "0", "D")]


def test_a_check_digit_printed_wrong_stays_invalid():
    printed_wrong = with_char(TD1, 0, 14, "3")  # the document number's check digit printed 3, not 7
    assert printed_number_repair(read(printed_wrong), PRINTED) is None  # read as printed: nothing to put back
    misread_too = read(with_char(printed_wrong, 0, 5, "0"))
    assert printed_number_repair(misread_too, PRINTED) is None  # putting D back leaves the wrong digit wrong


def test_only_ocr_b_partners_are_put_back():
    misread = read(with_char(TD1, 0, 5, "0"))
    assert printed_number_repair(misread, "X23145890") is None   # 0 and X are no pair
    assert printed_number_repair(misread, "D2314589") is None    # a number of another length
    assert printed_number_repair(read(TD1), PRINTED) is None      # a valid reading is left alone


def test_a_glyph_held_as_read_is_not_overruled():
    misread = replace(read(with_char(TD1, 0, 5, "0")), glyph_held=((0, 5, "0"),))
    assert printed_number_repair(misread, PRINTED) is None


def test_the_document_text_carries_the_repaired_reading():
    reading = MRZReading(read(with_char(TD1, 0, 5, "0")), 0, "rapidocr", (), 0.9, None)
    doc = _document_text(reading, {"document_number": PRINTED}, "")
    assert doc.check_digits_valid and doc.mrz_lines == TD1
    assert doc.printed_agrees("document_number") is True
    assert any(r.reason.startswith("the printed document number") for r in doc.repairs)
    # Without the printed number the reading stays as read, invalid.
    assert not _document_text(reading, {}, "").check_digits_valid
