"""Image quality on real document images from ../shared/data, degraded the
way camera captures go wrong."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks.image_quality import (
    BLACK_AND_WHITE_IMAGE,
    GLARE_OBSTRUCTION,
    IMAGE_RESOLUTION_TOO_LOW,
    NO_DOCUMENT,
    PARTIAL_PHOTO,
    PHOTO_OVEREXPOSED,
    PHOTO_TOO_BLURRY,
    PHOTO_TOO_DARK,
    QualityThresholds,
    assess_quality,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _load(folder: str, name: str) -> np.ndarray:
    path = DATA / folder / name
    if not path.is_file():
        pytest.skip(f"evaluation image {path} is absent (see ../shared/data/README.md)")
    image = cv2.imread(str(path))
    assert image is not None
    return image


@pytest.fixture(scope="module")
def passport() -> np.ndarray:
    """A sharp, colour, full-frame scan of a passport data page."""
    return _load("mrz-passporteye", "testdata/100_pass-bdr.jpg")


@pytest.fixture(scope="module")
def framed_passport() -> np.ndarray:
    """A page with its own visible border on a white background."""
    return _load("mrz-passporteye", "tests_data/passport-td3.jpg")


def test_it_accepts_a_sharp_document(passport):
    result = assess_quality(passport)
    assert result.ok, result.problems
    assert result.problems == () and result.hints == ()
    assert result.measures.document_found
    assert result.measures.sharpness > QualityThresholds().min_sharpness * 10


def test_it_finds_the_document_border_on_a_background(framed_passport):
    result = assess_quality(framed_passport)
    assert result.ok, result.problems
    assert result.measures.document_quad is not None
    h, w = framed_passport.shape[:2]
    xs = [x for x, _ in result.measures.document_quad]
    assert min(xs) > 0 and max(xs) < w


def test_it_accepts_a_webcam_sized_frame_of_a_document_on_a_table(passport):
    h, w = passport.shape[:2]
    table = np.full((h * 2, w * 2, 3), (60, 90, 120), np.uint8)
    table[h // 2 : h // 2 + h, w // 2 : w // 2 + w] = passport
    frame = cv2.resize(table, (640, 480), interpolation=cv2.INTER_AREA)
    result = assess_quality(frame)
    assert result.ok, result.problems
    assert result.measures.document_quad is not None


def test_it_says_blurry_for_a_blurred_document(passport):
    blurred = cv2.GaussianBlur(passport, (0, 0), 9)
    result = assess_quality(blurred)
    assert result.problems[0] == PHOTO_TOO_BLURRY
    assert "hold still" in result.hint


def test_it_says_too_dark_for_a_darkened_document(passport):
    dark = (passport.astype(np.float32) * 0.25).astype(np.uint8)
    result = assess_quality(dark)
    assert result.problems == (PHOTO_TOO_DARK,)


def test_it_says_overexposed_for_a_washed_out_document(passport):
    bright = np.clip(passport.astype(np.int32) * 2 + 60, 0, 255).astype(np.uint8)
    assert assess_quality(bright).problems == (PHOTO_OVEREXPOSED,)


def test_it_says_glare_for_a_specular_highlight(passport):
    h, w = passport.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    spot = np.exp(-((xx - 0.6 * w) ** 2 + (yy - 0.4 * h) ** 2) / (2 * (0.08 * w) ** 2))
    glared = np.clip(passport + spot[..., None] * 400, 0, 255).astype(np.uint8)
    result = assess_quality(glared)
    assert GLARE_OBSTRUCTION in result.problems
    assert result.measures.glare_fraction > QualityThresholds().max_glare_fraction


def test_it_says_black_and_white_for_a_greyscale_copy(passport):
    grey = cv2.cvtColor(passport, cv2.COLOR_BGR2GRAY)
    assert assess_quality(grey).problems == (BLACK_AND_WHITE_IMAGE,)
    assert assess_quality(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)).problems == (BLACK_AND_WHITE_IMAGE,)


@pytest.mark.parametrize("which", ["colour scan", "framed page"])
def test_it_says_partial_for_half_a_document(passport, framed_passport, which):
    image = passport if which == "colour scan" else framed_passport
    half = np.ascontiguousarray(image[:, : image.shape[1] // 2])
    assert assess_quality(half).problems[0] == PARTIAL_PHOTO


def test_it_says_resolution_too_low_for_a_thumbnail(passport):
    thumb = cv2.resize(passport, (240, 170), interpolation=cv2.INTER_AREA)
    assert assess_quality(thumb).problems == (IMAGE_RESOLUTION_TOO_LOW,)


@pytest.mark.parametrize("name", ["Anthony_Hopkins_0001.jpg", "Rob_Lowe_0001.jpg", "Nathalie_Baye_0002.jpg"])
def test_it_says_no_document_for_a_face_photo(name):
    face = _load("face-lfw-samples", name)
    result = assess_quality(face)
    assert result.problems == (NO_DOCUMENT,)
    assert not result.measures.document_found


def test_thresholds_come_from_the_caller(passport):
    strict = QualityThresholds(min_sharpness=1e9)
    assert assess_quality(passport, thresholds=strict).problems == (PHOTO_TOO_BLURRY,)
