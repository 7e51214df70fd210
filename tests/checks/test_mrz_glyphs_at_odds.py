"""A glyph's height and its shape can each clearly say a different member of an OCR-B pair (a
letter O drawn as tall as a zero, as perspective and blur leave it). Their product then looks
decided while neither is to be trusted, and under a check digit two O/0 at weights 7 and 3, or a
G/6, read wrongly still hold (held-out photo 65004: a TD1 number's OO read 00; tuning photo 61059:
its G read 6; both reported valid and unflagged). Where the shape says the other member and the
height the one read, the other reading is an alternative when the check digits hold either way:
not approved unless the printed number decides. Where they fail for the other reading, they have
decided and nothing changes."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from identity_app.checks import mrz_glyphs
from identity_app.checks.mrz_parse import parse_mrz
from identity_app.checks.mrz_reader import MRZReading, _parse_held, with_undecided_alternatives
from identity_app.checks.report import Recommendation
from identity_app.checks.text_extraction import _document_text, text_data_report
from identity_app.evaluation import synthetic_documents as synth
from tests.checks.test_mrz_glyphs import _td3
from tests.checks.test_mrz_search import rows

pytestmark = pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")

# A passport whose number starts OO: the letters sit at weights 7 and 3 of its check digit and of
# the composite, so reading both as zeros (24 less each) changes neither.
TRUTH = _td3("OO8565241")
ZEROS = (TRUTH[0], "00" + TRUTH[1][2:])
ONE_ZERO = (TRUTH[0], "0" + TRUTH[1][1:])


def drawn(line: str, tall: tuple[int, ...] = (), height: int = 40) -> np.ndarray:
    """`line` in OCR-B, grey, as split_lines cuts it; the glyphs at `tall` drawn 6 % taller from their
    baseline (a letter O then stands as tall as a zero)."""
    from PIL import Image, ImageDraw

    font = synth._font("ocrb", height)
    image = Image.new("L", (int(font.getlength(line)) + 2 * height, int(height * 1.8)), 235)
    draw = ImageDraw.Draw(image)
    x, top = float(height), int(height * 0.3)
    for i, ch in enumerate(line):
        if i in tall:
            glyph = Image.new("L", (int(font.getlength(ch)) + 4, int(height * 1.6)), 235)
            ImageDraw.Draw(glyph).text((2, 0), ch, font=font, fill=20)
            bottom = int(np.nonzero(np.array(glyph) < 128)[0].max()) + 1
            taller = glyph.resize((glyph.width, round(glyph.height * 1.06)), Image.BICUBIC)
            image.paste(taller, (int(x) - 2, top - (round(bottom * 1.06) - bottom)))
        else:
            draw.text((x, top), ch, font=font, fill=20)
        x += font.getlength(ch)
    return np.array(image)


def test_the_three_readings_check_as_the_weights_say():
    assert parse_mrz(TRUTH, repair=False).valid and parse_mrz(ZEROS, repair=False).valid
    assert not parse_mrz(ONE_ZERO, repair=False).valid


def test_letters_o_as_tall_as_zeros_leave_the_letters_as_an_alternative():
    images = [drawn(TRUTH[0]), drawn(TRUTH[1], tall=(0, 1))]
    probs = [rows(line) for line in ZEROS]   # the recogniser was sure of two zeros
    found = mrz_glyphs.adjust_rows(ZEROS, probs, "TD3", images)
    assert {(1, 0, "0"), (1, 1, "0")} <= set(found.undecided)
    parsed = with_undecided_alternatives(_parse_held(found.lines, found.rows, found.held, found.undecided))
    assert parsed.lines == ZEROS and parsed.valid
    assert parsed.alternatives == (TRUTH,)
    reading = MRZReading(parsed, 0, "rapidocr", (), 0.9, None)
    # No printed number was read: nothing decides, the reading is not approved.
    assert text_data_report(_document_text(reading, {}, "")).recommendation != Recommendation.APPROVE
    # The printed number decides.
    doc = _document_text(reading, {"document_number": "OO8565241"}, "")
    assert doc.mrz_lines == TRUTH and not doc.mrz_alternatives


@pytest.mark.parametrize("tall", [(), (0, 1)])
def test_glyphs_read_as_their_shape_says_leave_no_alternative(tall):
    # Drawn as they are, height and shape agree; drawn tall, the height speaks against the letters
    # read while the shape speaks for them, and the shape was the one to trust (tuning photos
    # 61188, 63062, 63170).
    images = [drawn(TRUTH[0]), drawn(TRUTH[1], tall=tall)]
    found = mrz_glyphs.adjust_rows(TRUTH, [rows(line) for line in TRUTH], "TD3", images)
    assert not any(li == 1 and pos < 9 for li, pos, _ in found.undecided)
    parsed = with_undecided_alternatives(_parse_held(found.lines, found.rows, found.held, found.undecided))
    assert parsed.lines == TRUTH and parsed.alternatives == ()


def test_an_undecided_glyph_the_check_digits_decide_gives_no_alternative():
    # One O/0 alone changes the check digit by 4 times its weight: the digits have told them apart.
    parsed = replace(parse_mrz(TRUTH, repair=False), glyph_undecided=((1, 0, "O"),))
    assert with_undecided_alternatives(parsed).alternatives == ()
    both = replace(parse_mrz(TRUTH, repair=False), glyph_undecided=((1, 0, "O"), (1, 1, "O")))
    assert with_undecided_alternatives(both).alternatives == (ZEROS,)
