"""Derived views of a media item for the console (computed per request, never stored)."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def portrait_crop(data: bytes, margin: float = 0.35, min_fraction: float = 0.08) -> bytes | None:
    """The largest portrait on a document image, turned upright, as JPEG bytes;
    None when no face is found (the caller then shows the whole image)."""
    import cv2  # lazily: the web server imports this module
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    for k in range(4):  # the document may be photographed sideways
        view = np.ascontiguousarray(np.rot90(image, k)) if k else image
        grey = cv2.cvtColor(view, cv2.COLOR_BGR2GRAY)
        side = max(20, int(min(grey.shape) * min_fraction))
        boxes = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        if len(boxes):
            x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
            mx, my = int(w * margin), int(h * margin)
            crop = view[max(0, y - my): y + h + my, max(0, x - mx): x + w + mx]
            ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
            return buf.tobytes() if ok else None
    return None
