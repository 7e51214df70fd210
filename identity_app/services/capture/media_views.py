"""Derived views of a stored media item for the console (computed per request, never stored)."""
from __future__ import annotations


def portrait_crop(data: bytes) -> bytes | None:
    """The document's portrait (checks/portrait.py) as JPEG bytes; None when no face is found
    (the caller then shows the whole image). `data` is a stored image: already re-encoded."""
    import cv2  # lazily: the web server imports this module
    import numpy as np

    from identity_app.checks.portrait import document_portrait

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    crop = document_portrait(image) if image is not None else None
    if crop is None:
        return None
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return buf.tobytes() if ok else None
