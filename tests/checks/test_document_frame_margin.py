"""The document flattened for reading keeps a margin of the photo around its corners: a
corner found a little inside the card must not cut off the MRZ's last line."""
from __future__ import annotations

import numpy as np

from identity_app.checks.document_frame import correct_perspective


def _card_photo() -> tuple[np.ndarray, np.ndarray]:
    """A light card (rows 100-299, columns 100-399) on a dark desk, a dark text line along its
    bottom edge (rows 285-295); and corners found 20 px inside its bottom edge."""
    image = np.full((400, 500, 3), 30, np.uint8)
    image[100:300, 100:400] = 220
    image[285:296, 120:380] = 10
    corners = np.float32([[100, 100], [399, 100], [399, 279], [100, 279]])
    return image, corners


def test_without_a_margin_the_text_beyond_a_corner_found_inside_is_lost():
    image, corners = _card_photo()
    flat = correct_perspective(image, corners, long_side=300)
    assert flat.shape[:2] == (180, 300)
    assert (flat[:, :, 0] < 50).sum() == 0  # no text (nor desk) in it


def test_a_margin_keeps_that_text_and_the_card_stays_where_its_corners_say():
    image, corners = _card_photo()
    flat = correct_perspective(image, corners, long_side=300, margin=0.1)
    assert flat.shape[:2] == (180 + 2 * 18, 300 + 2 * 30)
    # The corners land a margin in: the card's top left corner at (30, 18), the desk beyond it.
    assert flat[18 + 2, 30 + 2, 0] > 200 and flat[18 - 4, 30 - 4, 0] < 50
    # The text line below the corners found (rows 285-295 of the photo: 6-16 px below) is in view.
    below = flat[18 + 180 + 6:18 + 180 + 16, 60:330, 0]
    assert (below < 50).mean() > 0.9
