"""The synthetic document generator: every layout's MRZ is what ICAO (or the
French card) prints, wrong check digits only where asked, the same seed makes
the same image, and the photographed kinds say where the document is."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from identity_app.checks.mrz_parse import parse_mrz
from identity_app.evaluation import synthetic_documents as synth

pytestmark = [pytest.mark.slow,  # about a minute of drawing and warping on a busy machine
              pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")]

WIDTHS = {"TD1": (30, 3), "TD2": (36, 2), "TD3": (44, 2), "MRV_A": (44, 2), "MRV_B": (36, 2), "FRA_ID": (36, 2)}


@pytest.fixture(scope="module")
def no_data(tmp_path_factory):
    """No ../shared/data: drawn silhouettes and textures (fast, and the fallback is exercised)."""
    return tmp_path_factory.mktemp("no-data")


@pytest.mark.parametrize("fmt", synth.FORMATS)
def test_every_layout_prints_its_own_valid_mrz_and_the_printed_fields_agree(fmt, no_data):
    for seed in range(3):
        doc = synth.generate(seed, fmt=fmt, kind="scan", invalid=False, data_dir=no_data)
        width, count = WIDTHS[fmt]
        assert len(doc.lines) == count and all(len(line) == width for line in doc.lines)
        parsed = parse_mrz(doc.lines, repair=False)
        assert parsed.format == fmt and parsed.valid and parsed.plausible, doc.lines
        assert parsed.field("document_number") == doc.printed["document_number"]
        assert parsed.field("surname") == doc.printed["surname"][:25].strip()
        assert parsed.field("date_of_birth")[2:] == doc.printed["date_of_birth"][2:]
        assert doc.valid_as_printed and doc.image.ndim == 3 and doc.image.dtype == np.uint8


def test_a_document_asked_invalid_carries_a_wrong_check_digit(no_data):
    for seed in range(6):
        doc = synth.generate(seed, kind="scan", invalid=True, data_dir=no_data)
        assert not doc.valid_as_printed
        assert not parse_mrz(doc.lines, repair=False).valid


def test_the_same_seed_makes_the_same_document(no_data):
    a, b = (synth.generate(7, data_dir=no_data) for _ in range(2))
    assert a.lines == b.lines and a.kind == b.kind and np.array_equal(a.image, b.image)
    assert synth.generate(8, data_dir=no_data).lines != a.lines


def _inside(quad: np.ndarray, image: np.ndarray) -> bool:
    h, w = image.shape[:2]
    return bool(((quad >= 0) & (quad <= [w, h])).all())


def test_photos_say_where_the_document_is_and_capture_variants_go_wrong_as_named(no_data):
    for seed in range(4):
        usable = synth.generate(seed, kind="photo", capture="usable", data_dir=no_data)
        assert usable.quad is not None and _inside(usable.quad, usable.image)
        area = cv2.contourArea(usable.quad.astype(np.float32)) / (usable.image.shape[0] * usable.image.shape[1])
        far = synth.generate(seed, kind="photo", capture="far", data_dir=no_data)
        far_area = cv2.contourArea(far.quad.astype(np.float32)) / (far.image.shape[0] * far.image.shape[1])
        assert far_area < 0.1 < area
        partial = synth.generate(seed, kind="photo", capture="partial", data_dir=no_data)
        assert not _inside(partial.quad, partial.image)
        # The document's own pixels differ from the scene under it: the quad is where it is drawn.
        x, y = usable.quad.mean(axis=0).astype(int)
        assert usable.image[y, x].mean() > 120  # the light paper at the document's centre


def test_small_images_both_sides_and_wide_spacing(no_data):
    small = synth.generate(3, fmt="TD3", kind="small", data_dir=no_data)
    assert 380 <= small.image.shape[1] <= 420 and small.image.shape[0] < 320
    both = synth.generate(4, fmt="TD1", kind="two_sides", data_dir=no_data)
    h, w = both.image.shape[:2]
    assert w / h > 2.2 or w / h < 0.9  # two ID-1 cards (1.59:1 each) side by side or stacked
    wide = synth.generate(5, fmt="TD3", kind="wide_spacing", data_dir=no_data)
    assert wide.notes["line_spacing"] >= 1.9


def test_generate_set_mixes_formats_kinds_and_invalid_documents(no_data):
    docs = synth.generate_set(40, data_dir=no_data)
    assert {d.format for d in docs} >= {"TD1", "TD3", "FRA_ID"}
    assert {d.kind for d in docs} >= {"scan", "photo", "wide_spacing"}
    assert any(not d.valid_as_printed for d in docs) and sum(d.valid_as_printed for d in docs) > 30
