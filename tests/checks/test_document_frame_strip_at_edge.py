"""A strip of a card along the frame's edge (the rest of the card out of the frame, no corner of it in the
photo) is told PARTLY_OUT_OF_FRAME when no document is found (it was DOCUMENT_NOT_FOUND); pale scenery
around the whole frame is no such strip."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks.document_frame import _find, _pale_strip_at_frame, assess_frame

H, W = 480, 640


def _desk() -> np.ndarray:
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(20, 80, (H, W, 3), dtype=np.uint8), (0, 0), 1.5)
    image[..., 1] = np.clip(image[..., 1].astype(int) + 60, 0, 255)   # a dark green desk
    return image


def _strip_photo() -> np.ndarray:
    """The bottom of the frame covered by a pale card with a line of print, its top edge a straight slant
    from (0, 340) to (640, 300), its other sides out of the frame."""
    image = _desk()
    strip = np.int32([[-20, 341], [W + 20, 299], [W + 20, H + 20], [-20, H + 20]])
    cv2.fillPoly(image, [strip], (222, 226, 230), lineType=cv2.LINE_AA)
    for i in range(12):
        x = 40 + i * 45
        y = int(340 - 40 * x / W) + 30
        cv2.rectangle(image, (x, y), (x + 30, y + 14), (50, 50, 50), -1)
    return image


def test_a_strip_of_a_card_at_the_frame_edge_is_partly_out_of_frame():
    assessment = assess_frame(_strip_photo())
    assert assessment.problems[0] == "PARTLY_OUT_OF_FRAME", assessment.problems
    assert min(y for _, y in assessment.corners) > 280   # the strip, at the bottom


def test_pale_scenery_around_the_whole_frame_is_no_strip():
    image = np.full((H, W, 3), 230, np.uint8)   # a white wall on all four sides of the frame
    cv2.rectangle(image, (200, 120), (440, 360), (40, 60, 30), -1)
    _, search = _find(image, set_aside_spanning=True)
    assert _pale_strip_at_frame(search) is None


def test_a_desk_without_pale_region_has_no_strip():
    _, search = _find(_desk(), set_aside_spanning=True)
    assert _pale_strip_at_frame(search) is None
