"""A whole card whose own outline merges with pale scenery of its colour (a white collar against one side) while
its portrait's outline closes: the portrait, too small, was taken for a card too far away (TOO_SMALL). The card
around it, on the photo's straight edges, is the document: the photo is accepted, on the card's corners. A small
card with no card around it stays too small."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks.document_frame import assess_frame

H, W = 480, 640
CARD = np.int32([[110, 110], [510, 110], [510, 362], [110, 362]])


def _card_on_dark(card: np.ndarray, collar: bool) -> np.ndarray:
    image = np.full((H, W, 3), 60, np.uint8)
    cv2.fillPoly(image, [card], (238, 240, 242))
    x0, y0 = card.min(axis=0)
    x1, y1 = card.max(axis=0)
    if collar:  # pale scenery of the card's colour against its right side, out to the frame
        image[y0 + 105:y0 + 145, x1:] = (238, 240, 242)
    s = (x1 - x0) / 400.0
    cv2.rectangle(image, (x0 + int(25 * s), y0 + int(30 * s)), (x0 + int(155 * s), y0 + int(195 * s)),
                  (70, 90, 120), -1)  # the portrait
    for k in range(2):
        cv2.putText(image, "P<UTOERIKSSON<<ANNA<MARIA<<<<<", (x0 + int(40 * s), y0 + int((210 + 14 * k) * s)),
                    cv2.FONT_HERSHEY_PLAIN, s, (40, 40, 40), 1)
    return cv2.GaussianBlur(image, (3, 3), 0)


def test_card_around_its_portrait_is_accepted():
    a = assess_frame(_card_on_dark(CARD, collar=True))
    assert a.usable, a.problems
    corners = np.array(a.corners)
    assert np.abs(corners - np.array([[110, 110], [510, 110], [510, 362], [110, 362]])).max() < 6


def test_small_card_alone_stays_too_small():
    small = (CARD - CARD.min(axis=0)) // 3 + np.int32([250, 200])
    a = assess_frame(_card_on_dark(small, collar=False))
    assert "TOO_SMALL" in a.problems
    assert cv2.contourArea(np.array(a.corners, np.float32)) > 0.8 * cv2.contourArea(small.astype(np.float32))
