"""A line re-read shifted from the first reading (a character doubled in one place, dropped in
another) in a run of data with no filler to tell: the glyphs' likeness to the OCR-B drawings of
each reading's characters says which is in step, and a re-read out of step never wins over the
first reading (tuning photo 19067: a TD2's ZE184221 re-read 2ZE18422, its composite digit holding
by chance on a document printed with a wrong one). Lines drawn in OCR-B (Debian's fonts-ocr-b)."""
from __future__ import annotations

import pytest

from identity_app.checks import mrz_glyphs
from identity_app.evaluation import synthetic_documents as synth
from tests.checks.test_mrz_glyphs import _drawn

fonts = pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")

# The specimen passport's second line (Doc 9303), its personal number re-read with the 9 before it
# doubled and its last 6 dropped: ZE184226B read 9ZE18422B.
PRINTED = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
SHIFTED = PRINTED[:28] + "9" + PRINTED[28:35] + PRINTED[36:]


@pytest.fixture(scope="module")
def glyphs():
    return [mrz_glyphs.measure_line(_drawn(PRINTED), len(PRINTED))]


@fonts
def test_a_shifted_reread_is_out_of_step_against_a_first_reading_in_step(glyphs):
    cells = mrz_glyphs.shifted_cells([SHIFTED], [PRINTED], glyphs)
    assert len(cells) >= 5
    assert all(PRINTED[pos] == ch for _, pos, ch in cells)
    assert {pos for _, pos, _ in cells} <= set(range(28, 36))
    assert len(SHIFTED) == len(PRINTED)


@fonts
def test_a_reread_in_step_against_a_shifted_first_reading_is_not(glyphs):
    assert mrz_glyphs.shifted_cells([PRINTED], [SHIFTED], glyphs) == ()


@fonts
def test_a_few_differences_are_no_shift(glyphs):
    misread = PRINTED[:28] + "2E" + PRINTED[30:]   # two misreads: the check digits weigh those
    assert mrz_glyphs.shifted_cells([misread], [PRINTED], glyphs) == ()
