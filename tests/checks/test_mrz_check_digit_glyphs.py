"""A check digit misread as the very digit that makes the reading hold turns a document printed with
a wrong check digit into a valid one (held-out photo 66176: a composite digit printed 9, wrong on
the document, read 0 and reported valid). The digit's glyph says otherwise: clearly another digit's
OCR-B drawing, so the reading is out of step with its glyphs. It gets second opinions, never wins
over a reading in step, and if still chosen is not approved."""
from __future__ import annotations

import pytest

from identity_app.checks import mrz_glyphs
from identity_app.checks.icao import check_digit
from identity_app.checks.mrz_parse import parse_mrz
from identity_app.checks.mrz_reader import MRZReading, StepCheck
from identity_app.checks.report import Recommendation
from identity_app.checks.text_extraction import _document_text, text_data_report
from identity_app.evaluation import synthetic_documents as synth
from tests.checks.test_mrz_glyphs import _drawn, _td3

pytestmark = pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")

VALID = _td3("L8988901C")
COMPOSITE = 43
WRONG = str((int(VALID[1][COMPOSITE]) + 5) % 10)   # a digit as unlike the right one as any
PRINTED_WRONG = (VALID[0], VALID[1][:COMPOSITE] + WRONG)


def test_the_documents_agree_with_their_check_digits_as_stated():
    assert parse_mrz(VALID, repair=False).valid and not parse_mrz(PRINTED_WRONG, repair=False).valid
    assert VALID[1][COMPOSITE] == check_digit(VALID[1][0:10] + VALID[1][13:20] + VALID[1][21:43])


def test_a_check_digit_read_as_another_digit_than_its_glyph_is_out_of_step():
    band = [_drawn(line) for line in PRINTED_WRONG]
    glyphs = [mrz_glyphs.measure_line(img, len(line)) for img, line in zip(band, PRINTED_WRONG)]
    # The recogniser read the digit that makes every check digit hold.
    assert mrz_glyphs.misread_check_digits(VALID, "TD3", glyphs) == ((1, COMPOSITE, WRONG),)
    parsed = StepCheck(band, [44, 44])(parse_mrz(VALID, repair=False))
    assert parsed.valid and (1, COMPOSITE, WRONG) in parsed.out_of_step
    doc = _document_text(MRZReading(parsed, 0, "rapidocr", (), 0.9, None), {}, "")
    report = text_data_report(doc)
    assert report.recommendation == Recommendation.NOT_AVAILABLE and report.reason == "INCORRECT_MRZ"
    assert any(s.sub_check == "mrz_glyphs_agree" and not s.passed for s in report.breakdown)
    # Read as printed, the reading is in step with its glyphs and reported invalid.
    as_printed = StepCheck(band, [44, 44])(parse_mrz(PRINTED_WRONG, repair=False))
    assert not as_printed.valid and as_printed.out_of_step == ()


def test_check_digits_read_as_drawn_are_in_step():
    band = [_drawn(line) for line in VALID]
    glyphs = [mrz_glyphs.measure_line(img, len(line)) for img, line in zip(band, VALID)]
    assert mrz_glyphs.misread_check_digits(VALID, "TD3", glyphs) == ()
    parsed = StepCheck(band, [44, 44])(parse_mrz(VALID, repair=False))
    report = text_data_report(_document_text(MRZReading(parsed, 0, "rapidocr", (), 0.9, None), {}, ""))
    assert report.recommendation == Recommendation.APPROVE


def test_a_reading_of_another_length_than_the_glyphs_is_not_judged():
    band = [_drawn(line) for line in VALID]
    glyphs = [mrz_glyphs.measure_line(img, len(line)) for img, line in zip(band, VALID)]
    short = (VALID[0], VALID[1][:-1])
    assert mrz_glyphs.misread_check_digits(short, "TD3", glyphs) == ()
