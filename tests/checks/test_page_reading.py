"""Page reading for the visual zone: the MRZ lines are skipped (the MRZ reader
read them already) and the other lines are read exactly as before, by one
thread or two. Real images, real RapidOCR."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from identity_app.checks import ocr_engines
from identity_app.checks.mrz_locate import rotate
from identity_app.checks.mrz_reader import read_mrz
from identity_app.checks.visual_zone import in_mrz_band
from tests.conftest import shared_data

pytestmark = pytest.mark.slow  # not in the fast tier: real OCR of whole pages


def _image(name: str) -> np.ndarray:
    image = cv2.imread(str(shared_data("mrz-passporteye") / name))
    assert image is not None, name
    return image


@pytest.mark.parametrize("name, turns", [("testdata/100_pass-cze.jpg", 0), ("testdata/100_pass-cze.jpg", 2),
                                         ("testdata/100_id-che.jpg", 1)])
def test_the_mrz_band_holds_exactly_the_mrz_lines_of_the_upright_page(name, turns):
    image = np.ascontiguousarray(np.rot90(_image(name), turns))
    reading = read_mrz(image)
    assert reading is not None and reading.band is not None
    upright = rotate(image, reading.rotation)
    lines = ocr_engines.rapidocr_lines(upright, parallel=False)
    mrz_like = [(text, box) for text, _, box in lines if text.count("<") >= 5]
    assert len(mrz_like) >= 2
    assert all(in_mrz_band(box, reading.band) for _, box in mrz_like)
    assert not any(in_mrz_band(box, reading.band) for text, _, box in lines if "<" not in text)


def test_skipping_and_two_threads_leave_every_other_line_as_it_was():
    image = _image("testdata/100_pass-chn.jpg")
    reading = read_mrz(image)
    assert reading is not None and reading.band is not None
    band = reading.band
    everything = ocr_engines.rapidocr_lines(image, parallel=False)
    kept = ocr_engines.rapidocr_lines(image, skip=lambda box: in_mrz_band(box, band), parallel=True)
    expected = [line for line in everything if not in_mrz_band(line[2], band)]
    assert [t for t, _, _ in kept] == [t for t, _, _ in expected]
    assert len(kept) < len(everything) and "LIN, MEI-HUA" in [t for t, _, _ in kept]
    assert np.allclose(np.array([b for _, _, b in kept]), np.array([b for _, _, b in expected]))
