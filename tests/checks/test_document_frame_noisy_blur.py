"""A blurred card under sensor noise: the noise alone lifts the Laplacian's variance over MIN_SHARPNESS, and the
photo was accepted. Less the noise's variance (_laplacian_noise), little is left: BLURRED. The same card sharp,
under the same noise, is accepted."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks.document_frame import MIN_SHARPNESS, assess_frame

H, W = 720, 960


def _card_photo(blur: bool) -> np.ndarray:
    image = np.full((H, W, 3), (60, 80, 40), np.uint8)
    card = np.int32([[180, 160], [780, 160], [780, 538], [180, 538]])
    cv2.fillPoly(image, [card], (225, 228, 230))
    cv2.rectangle(image, (215, 200), (390, 420), (90, 110, 140), -1)
    for k in range(3):
        cv2.putText(image, "P<UTOERIKSSON<<ANNA<MARIA<<<<", (220, 460 + 28 * k), cv2.FONT_HERSHEY_PLAIN, 2.0,
                    (30, 30, 30), 2)
    if blur:
        image = cv2.GaussianBlur(image, (13, 13), 0)
    noise = np.random.default_rng(7).normal(0, 2.6, image.shape)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def test_blurred_card_under_noise_is_blurred():
    a = assess_frame(_card_photo(blur=True))
    assert a.sharpness >= MIN_SHARPNESS  # the noise alone passes the plain variance
    assert "BLURRED" in a.problems


def test_sharp_card_under_the_same_noise_is_accepted():
    a = assess_frame(_card_photo(blur=False))
    assert a.usable, a.problems
