"""A pale card against pale scenery along a whole side (blond hair, a white wall) makes one pale region
with it, whose hull is neither: the pale regions are also cut apart along the straight edges
(document_frame._pale_contours(separated=True)), so that the card the frame cuts is told so, and a whole
card large enough to be accepted is found."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from identity_app.checks import document_frame as df
from identity_app.checks.document_frame import assess_frame
from identity_app.evaluation import synthetic_documents as synth
from tests.conftest import shared_data


def _cut_card_against_a_wall() -> np.ndarray:
    """960x1280 (portrait): a dark desk, a pale grey wall along the left, and a pale card cut by the top of the
    frame whose left side lies along the wall (brighter than it: a straight edge between them)."""
    rng = np.random.default_rng(11)
    image = cv2.GaussianBlur(rng.integers(25, 70, (1280, 960, 3), dtype=np.uint8), (0, 0), 1.5)
    cv2.fillPoly(image, [np.int32([[0, 0], [330, 0], [330, 900], [0, 1000]])], (172, 172, 172))
    card = np.int32([[300, -300], [900, -280], [890, 420], [290, 400]])
    cv2.fillPoly(image, [card], (232, 234, 236), lineType=cv2.LINE_AA)
    for k in range(5):  # printed text
        for i in range(16):
            x, y = 400 + 26 * i, 100 + 50 * k
            cv2.rectangle(image, (x, y), (x + 14, y + 20), (50, 50, 50), -1)
    return image


def test_a_cut_card_joined_to_pale_scenery_is_partly_out_of_frame():
    image = _cut_card_against_a_wall()
    corners, search = df._find(image, set_aside_spanning=True)
    joined = df._pale_contours(search)
    separated = df._pale_contours(search, True)[len(joined):]
    w, h = search.size
    # Joined, the card and the wall are one pale region; cut apart along the card's left side, two.
    assert max(cv2.contourArea(c) for c in joined) > 0.3 * w * h
    assert any(0.12 * w * h < cv2.contourArea(c) < 0.25 * w * h for c in separated)
    assessment = assess_frame(image)
    assert assessment.problems[0] == "PARTLY_OUT_OF_FRAME", assessment.problems
    assert "TOO_SMALL" not in assessment.problems
    xs = [x for x, _ in assessment.corners]
    assert min(xs) > 250  # the card's, not the wall's


@pytest.mark.slow
@pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")
@pytest.mark.parametrize("seed, capture", [(47026, "partial"), (47096, "partial"), (5066, "partial"),
                                           (44076, "partial"), (46081, "partial"),
                                           (49005, "usable"), (49085, "usable")])
def test_generated_cards_joined_to_pale_scenery(seed, capture):
    # Tuning seeds. Before: the cut cards DOCUMENT_NOT_FOUND or TOO_SMALL (a face or the portrait), the whole
    # ones DOCUMENT_NOT_FOUND or TOO_SMALL (blond hair, a pale wall against the card's side).
    shared_data("docs-photographed-dev")  # the scenes the generator lays documents on
    doc = synth.generate(seed, kind="photo", capture=capture, invalid=False)
    assessment = assess_frame(doc.image)
    if capture == "usable":
        assert assessment.usable, assessment.problems
    else:
        assert assessment.problems[0] == "PARTLY_OUT_OF_FRAME", assessment.problems
