"""A card's portrait, framed by straight edges and of a document's proportions, is not taken for the document
when the card around it runs out of the frame: the photo is refused as PARTLY_OUT_OF_FRAME (it was accepted).
A whole card is still accepted, and a coloured card on a white desk that fills the frame around it is not
taken for such a picture."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks.document_frame import _find, _picture_on_cut_card, assess_frame

H, W = 480, 640


def _desk(seed: int = 3) -> np.ndarray:
    """A dark green textured desk, 640 x 480."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(20, 80, (H, W, 3), dtype=np.uint8), (0, 0), 1.5)
    image[..., 1] = np.clip(image[..., 1].astype(int) + 60, 0, 255)
    return image


def _portrait_and_print(image: np.ndarray, px: int, py: int, pw: int = 180, ph: int = 270) -> None:
    """A face-coloured portrait framed by a dark line, and lines of print right of it."""
    cv2.rectangle(image, (px, py), (px + pw, py + ph), (120, 150, 200), -1)
    cv2.ellipse(image, (px + pw // 2, py + ph // 2), (pw // 3, ph // 3), 0, 0, 360, (90, 120, 180), -1)
    cv2.rectangle(image, (px, py), (px + pw, py + ph), (60, 60, 60), 2)
    for k in range(6):
        for i in range(5):
            x, y = px + pw + 20 + i * 22, py + 10 + k * 40
            cv2.rectangle(image, (x, y), (x + 14, y + 14), (50, 50, 50), -1)


def _cut_card_photo() -> np.ndarray:
    """A pale card whose left edge only is in the frame (the frame cuts its top, right and bottom), its portrait
    (a rectangle of a passport page's proportions, 16% of the frame) near that edge."""
    image = _desk()
    card = np.int32([[300, -40], [W + 60, -80], [W + 60, H + 60], [340, H + 60]])
    cv2.fillPoly(image, [card], (222, 226, 230), lineType=cv2.LINE_AA)
    _portrait_and_print(image, 340, 100)
    return image


def _whole_card_photo(desk: np.ndarray, card_colour: tuple[int, int, int]) -> np.ndarray:
    image = desk.copy()
    cv2.rectangle(image, (40, 40), (600, 400), card_colour, -1)   # 560 x 360: an ID-1 card's proportions
    _portrait_and_print(image, 70, 80, 180, 250)
    return image


def test_a_portrait_on_a_card_the_frame_cuts_is_partly_out_of_frame():
    image = _cut_card_photo()
    corners, search = _find(image, set_aside_spanning=True)
    assert corners is not None and min(corners[:, 0]) > 320  # the portrait is what the search finds
    assert _picture_on_cut_card(search, corners)
    assessment = assess_frame(image)
    assert not assessment.usable
    assert assessment.problems[0] == "PARTLY_OUT_OF_FRAME", assessment.problems


def test_a_whole_pale_card_with_its_portrait_is_accepted():
    assessment = assess_frame(_whole_card_photo(_desk(), (222, 226, 230)))
    assert assessment.usable, assessment.problems
    assert assessment.area_share > 0.5   # the card, not its portrait


def test_a_coloured_card_on_a_white_desk_around_it_is_not_a_picture_on_a_cut_card():
    # little of the card is pale and all around it is, but the white desk reaches all four sides of the frame
    white = np.full((H, W, 3), 235, np.uint8)
    image = _whole_card_photo(white, (150, 110, 60))
    corners, search = _find(image, set_aside_spanning=True)
    assert corners is not None
    assert not _picture_on_cut_card(search, corners)

