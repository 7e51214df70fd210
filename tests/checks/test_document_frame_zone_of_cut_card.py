"""A pale zone of a card the frame cuts (its printed oval's box: its sides on no straight edge), too small to be
accepted, is not a far card: the strip of the card at the frame is the document, partly out of the frame (it was
told TOO_SMALL). A far whole card on pale scenery that reaches the frame has its own outline: not such a zone."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks.document_frame import _find, _zone_of_cut_card

H, W = 480, 640


def _photo(card: np.ndarray, wall: bool = False) -> np.ndarray:
    image = np.full((H, W, 3), (70, 60, 50), np.uint8)
    if wall:  # a pale wall along the right side of the frame
        image[:, 420:] = (225, 228, 230)
    cv2.fillPoly(image, [card], (236, 238, 240))
    return image


def test_zone_of_a_cut_card_gives_its_strip():
    image = _photo(np.int32([[260, 90], [700, 90], [700, 380], [260, 380]]))  # runs out on the right
    cv2.ellipse(image, (450, 230), (70, 90), 0, 0, 360, (150, 150, 150), 2)   # the printed oval
    image = cv2.GaussianBlur(image, (3, 3), 0)
    _, search = _find(image, set_aside_spanning=True)
    zone = np.float32([[380, 140], [520, 140], [520, 320], [380, 320]])  # the oval's box, inside the card
    strip = _zone_of_cut_card(search, image, zone)
    assert strip is not None
    assert strip[:, 0].max() >= W - 3 and 250 <= strip[:, 0].min() <= 270


def test_far_card_on_a_pale_wall_is_no_zone():
    card = np.int32([[450, 200], [570, 200], [570, 276], [450, 276]])
    image = cv2.GaussianBlur(_photo(card, wall=True), (3, 3), 0)
    cv2.rectangle(image, (450, 200), (570, 276), (120, 120, 120), 2)  # the card's edge against the wall
    _, search = _find(image, set_aside_spanning=True)
    assert _zone_of_cut_card(search, image, card.astype(np.float32)) is None
