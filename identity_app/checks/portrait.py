"""The portrait on a document image: the largest face, found whichever way up the
document was photographed, with a margin around it (for side-by-side review)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def document_portrait(image_bgr: np.ndarray, margin: float = 0.35, min_fraction: float = 0.08) -> np.ndarray | None:
    """The largest face turned upright with `margin` (a fraction of its size) around it,
    or None when there is none (then the whole image is shown)."""
    found = find_portrait(image_bgr, margin, min_fraction)
    return found[0] if found is not None else None


def find_portrait(image_bgr: np.ndarray, margin: float = 0.35,
                  min_fraction: float = 0.08) -> tuple[np.ndarray, int] | None:
    """`document_portrait` and the turn that made it upright: degrees clockwise
    (as mrz_locate.rotate takes them) to turn the whole image by."""
    import cv2

    for k in range(4):  # the document may be photographed sideways
        view = np.ascontiguousarray(np.rot90(image_bgr, k)) if k else image_bgr
        grey = cv2.cvtColor(view, cv2.COLOR_BGR2GRAY)
        side = max(20, int(min(grey.shape) * min_fraction))
        boxes = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        if len(boxes):
            x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
            mx, my = int(w * margin), int(h * margin)
            crop = view[max(0, y - my): y + h + my, max(0, x - mx): x + w + mx]
            return crop, (360 - 90 * k) % 360  # np.rot90 turns counter-clockwise
    return None
