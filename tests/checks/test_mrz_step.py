"""A line read out of step with its glyphs (a character dropped or doubled, the length fitted
elsewhere) puts data where fillers are printed: the glyphs tell, such a reading never wins over one
in step, is not pooled with the others, and is not approved. Lines drawn in OCR-B (Debian's
fonts-ocr-b) and parsed strings."""
from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from identity_app.checks import mrz_glyphs
from identity_app.checks.document_data import DocumentText
from identity_app.checks.mrz_parse import parse_mrz
from identity_app.checks.mrz_reader import StepCheck, candidate_readings, fit_length, reading_score
from identity_app.checks.report import Recommendation
from identity_app.checks.text_extraction import still_out_of_step, text_data_report
from identity_app.evaluation import synthetic_documents as synth
from tests.checks.test_mrz_glyphs import _drawn
from tests.checks.test_mrz_reader_pooling import one_hot

fonts = pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")

# Tuning photo 14065's card (printed with a wrong document number check digit, as generated).
TRUTH = ("I<GHAN942725Z24<<<<<<<<<<<<<<<", "5304105M3401103AUS<<<<<<<<<<<6", "MUSTERMANN<<LUCA<<<<<<<<<<<<<<")
# Its first line read with the A doubled and a filler taken from the run: data on the first filler.
DOUBLED = "I<GHAA9442255Z24<<<<<<<<<<<<<<"
# ... and with the 9 dropped and a filler added to the run: a filler on the last digit.
DROPPED = "I<GHAN42725Z24<<<<<<<<<<<<<<<<"


@pytest.fixture(scope="module")
def first_line_glyphs():
    return [mrz_glyphs.measure_line(_drawn(TRUTH[0]), len(TRUTH[0]))]


@fonts
def test_fillers_and_other_glyphs_are_told_apart_on_a_drawn_line(first_line_glyphs):
    verdicts = mrz_glyphs.filler_verdicts(first_line_glyphs)[0]
    assert [v for v in verdicts if v is not None] == [v for ch, v in zip(TRUTH[0], verdicts) if v is not None]
    assert all(v is (ch == "<") for ch, v in zip(TRUTH[0], verdicts) if v is not None)
    assert sum(v is not None for v in verdicts) >= 26


@fonts
def test_a_line_read_as_printed_is_in_step(first_line_glyphs):
    assert mrz_glyphs.out_of_step([TRUTH[0]], first_line_glyphs) == ()


@fonts
def test_a_doubled_character_puts_data_on_a_filler_glyph(first_line_glyphs):
    assert (0, 15, "<") in mrz_glyphs.out_of_step([DOUBLED], first_line_glyphs)


@fonts
def test_a_dropped_character_puts_a_filler_on_a_digit_glyph_and_names_it(first_line_glyphs):
    cells = mrz_glyphs.out_of_step([DROPPED], first_line_glyphs)
    assert [(li, pos) for li, pos, _ in cells] == [(0, 14)]
    assert cells[0][2] == "4"  # the glyph's nearest OCR-B drawing


@fonts
def test_a_line_whose_pitch_grows_and_misses_a_glyph_is_still_measured_cell_by_cell():
    # A card at an angle: the pitch grows along the line (the left end 40 % smaller), and the
    # filler after the document code is lost (erased): no single pitch places the glyphs.
    line = TRUTH[0]
    drawn = _drawn(line[0] + " " + line[2:], 48)   # OCR-B is monospaced: the space takes the filler's cell
    h, w = drawn.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0, h * 0.15], [w * 0.8, 0], [w * 0.8, h], [0, h * 0.85]])
    warped = cv2.warpPerspective(drawn, cv2.getPerspectiveTransform(src, dst), (int(w * 0.8), h), borderValue=235)
    glyphs = mrz_glyphs.measure_line(warped, len(line))
    assert glyphs.heights[1] is None
    assert sum(v is not None for v in glyphs.heights) == len(line) - 1
    assert mrz_glyphs.out_of_step([line], [glyphs]) == ()
    assert mrz_glyphs.out_of_step([DOUBLED], [glyphs])


def test_cells_counted_by_local_pitch_span_a_missing_glyph_and_refuse_wider_gaps():
    steps = np.array([52.0, 26, 24, 30, 29, 25, 30, 32, 26, 30, 30, 31, 30, 34, 32, 33, 33, 34, 34, 34,
                      36, 36, 36, 37, 38, 38, 39, 40])   # tuning photo 14065's first line
    cells = mrz_glyphs._cells_by_local_pitch(steps, 30)
    assert cells is not None and cells[:3] == [0, 2, 3] and cells[-1] == 29
    assert mrz_glyphs._cells_by_local_pitch(steps, 31) is None
    assert mrz_glyphs._cells_by_local_pitch(np.array([30.0, 90, 30, 30, 30]), 8) is None  # two missing in a row


def test_a_letter_read_before_the_document_code_is_a_speck_when_only_then_the_country_is_known():
    fitted, repairs = fit_length("N" + TRUTH[0], 30, 1)
    assert fitted == TRUTH[0]
    assert [(r.position, r.read) for r in repairs] == [(1, "N")]
    # A line that reads a known code as it stands loses a filler from its run instead.
    fitted, repairs = fit_length(TRUTH[0] + "<", 30, 1)
    assert fitted == TRUTH[0] and repairs[0].read == "<"


def test_a_reading_out_of_step_never_wins_over_one_in_step():
    invalid = parse_mrz(TRUTH)
    shifted = replace(parse_mrz(TRUTH), out_of_step=((0, 15, "<"),))
    assert not invalid.valid
    assert reading_score(shifted) < reading_score(invalid)


class _FakeStep(StepCheck):
    """A StepCheck whose line 0 is out of step wherever it reads a character at position 15."""

    def __init__(self):
        self.widths = [30, 30, 30]

    def line_in_step(self, li: int, text: str) -> bool:
        return li != 0 or text[15] == "<"


def test_readings_out_of_step_with_the_glyphs_are_not_pooled():
    per_line = [[(DOUBLED, one_hot(DOUBLED)), (TRUTH[0], one_hot(TRUTH[0]))]] + [
        [(line, one_hot(line))] for line in TRUTH[1:]]
    latest = [per_line[0][1], per_line[1][0], per_line[2][0]]
    pooled, _ = candidate_readings(per_line, latest, _FakeStep().line_in_step)
    assert pooled[0][0] == TRUTH[0]
    # Without the glyphs' word the two readings tie at every shifted position.
    unchecked, _ = candidate_readings(per_line, latest)
    assert unchecked[0][0] != TRUTH[0]


def test_a_valid_reading_out_of_step_is_not_approved():
    lines = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
    parsed = parse_mrz(lines, repair=False)
    assert parsed.valid
    cells = still_out_of_step(parsed, ((0, 15, "<"), (0, 5, "D")))
    assert cells == ()  # position 15 reads a filler, 5 another character: both as the glyphs say
    cells = still_out_of_step(parsed, ((0, 14, "<"),))
    assert cells == ((0, 14, "<"),)
    doc = DocumentText(mrz_found=True, mrz_format=parsed.format, mrz_lines=parsed.lines, fields=parsed.fields,
                       check_digits=parsed.check_digits, mrz_against_glyphs=cells)
    report = text_data_report(doc)
    assert report.recommendation == Recommendation.NOT_AVAILABLE
    assert any(s.sub_check == "mrz_glyphs_agree" and not s.passed for s in report.breakdown)


@fonts
def test_a_k_read_on_a_filler_like_glyph_is_not_out_of_step(first_line_glyphs):
    # A real passport's K (mrz-passporteye 27_pass-gbr) looks like its fillers: K read on one says
    # nothing of the line's step, any other character does.
    assert mrz_glyphs.out_of_step([TRUTH[0][:15] + "K" + TRUTH[0][16:]], first_line_glyphs) == ()
    assert mrz_glyphs.out_of_step([TRUTH[0][:15] + "7" + TRUTH[0][16:]], first_line_glyphs) == ((0, 15, "<"),)
