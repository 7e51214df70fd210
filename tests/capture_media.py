"""Camera material for capture tests, made from real images in ../shared/data.

- `document_frame`: a real passport photo held in front of the camera (on a
  table-like background, slightly turned), as a 640x480 frame.
- `face_loop`: one person (the InspireFace pose/eye stills, all the same
  woman) looking at the camera, blinking, turning to her left and to her
  right; it answers TURN_LEFT then BLINK (or
  BLINK then TURN_RIGHT) from any starting point when played in a loop.
- `printed_photo_loop`: one still, held as a flat print and tilted over time.
- `write_y4m`: a 640x480 C420 (I420) Y4M file for Chromium's fake camera.
Nothing here is written into the repository; files go to temporary folders.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "data").resolve()
POSE = SHARED / "liveness-pose-eyes-insightface"
PASSPORTS = SHARED / "mrz-passporteye" / "testdata"
PASSPORT = "100_pass-uto.jpg"
FPS = 8
SIZE = (640, 480)


def still(path: Path) -> np.ndarray:
    if not path.is_file():
        pytest.skip(f"evaluation data missing: {path} (see ../shared/data/README.md)")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return image


def camera_frame(image: np.ndarray, background: int = 40) -> np.ndarray:
    """Letterbox a still into a 640x480 camera frame."""
    h, w = image.shape[:2]
    s = min(SIZE[0] / w, SIZE[1] / h)
    small = cv2.resize(image, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
    out = np.full((SIZE[1], SIZE[0], 3), background, dtype=np.uint8)
    y, x = (SIZE[1] - small.shape[0]) // 2, (SIZE[0] - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def _table(seed: int = 7) -> np.ndarray:
    """A dark, slightly textured desk surface."""
    rng = np.random.default_rng(seed)
    base = np.zeros((SIZE[1], SIZE[0], 3), np.float32)
    base[:] = (52, 66, 84)  # BGR brown-grey
    noise = cv2.GaussianBlur(rng.normal(0, 9, (SIZE[1], SIZE[0])).astype(np.float32), (0, 0), 3)
    return np.clip(base + noise[..., None], 0, 255).astype(np.uint8)


def passport_image() -> np.ndarray:
    return still(PASSPORTS / PASSPORT)


def document_frame(document: np.ndarray | None = None, *, fill: float = 0.86, turn: float = 0.0) -> np.ndarray:
    """The document on a desk, filling `fill` of the frame's width, its right edge `turn` px nearer."""
    doc = passport_image() if document is None else document
    h, w = doc.shape[:2]
    scale = min(fill * SIZE[0] / w, fill * SIZE[1] / h)
    dw, dh = w * scale, h * scale
    x0, y0 = (SIZE[0] - dw) / 2, (SIZE[1] - dh) / 2
    dst = np.float32([[x0, y0 + turn], [x0 + dw, y0 - turn], [x0 + dw, y0 + dh + turn], [x0, y0 + dh - turn]])
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(src, dst)
    frame = _table()
    warped = cv2.warpPerspective(doc, m, SIZE, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, SIZE)
    frame[mask > 0] = warped[mask > 0]
    return frame


def document_clip(seconds: float = 4.0) -> list[np.ndarray]:
    """The document held still, swaying by a pixel or two like a hand."""
    n = int(seconds * FPS)
    return [document_frame(turn=2.0 * np.sin(k / 3)) for k in range(n)]


def face_stills() -> dict[str, np.ndarray]:
    eyes_open = camera_frame(still(POSE / "reaction" / "open_eyes.png"))
    eyes_closed = camera_frame(still(POSE / "reaction" / "close_eyes.jpeg"))
    turned_right = camera_frame(still(POSE / "pose" / "left_face.jpeg"))  # her own right
    return {"open": eyes_open, "closed": eyes_closed, "right": turned_right, "left": cv2.flip(turned_right, 1)}


def face_loop() -> list[np.ndarray]:
    """6.25 s at 8 fps: blink, turn left, back, blink, turn right, back."""
    s = face_stills()
    o, c, lft, rgt = s["open"], s["closed"], s["left"], s["right"]
    # Hard cuts between poses: a crossfade of two poses is a double exposure
    # (two ghost faces) that no camera produces.
    parts = [[o] * 8, [c] * 2, [o] * 6, [lft] * 8, [o] * 8, [c] * 2, [o] * 6, [rgt] * 8]
    return [f for p in parts for f in p]


def tilted(image: np.ndarray, degrees: float) -> np.ndarray:
    """A flat print rotated about its vertical axis, seen by a pinhole camera."""
    h, w = image.shape[:2]
    f, a = 1.2 * w, np.radians(degrees)
    corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    q = corners @ rot.T
    q[:, 2] += f
    dst = np.stack([q[:, 0] * f / q[:, 2] + w / 2, q[:, 1] * f / q[:, 2] + h / 2], axis=1).astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (w, h))


def printed_photo_loop() -> list[np.ndarray]:
    """One still, as a print tilted left and right (about 7 s at 8 fps)."""
    photo = face_stills()["open"]
    angles = [0] * 6 + list(range(0, 50, 8)) + list(range(50, -50, -8)) + list(range(-50, 1, 8)) + [0] * 6
    return [tilted(photo, a) for a in angles]


def timestamps(n: int, fps: float = FPS, start: float = 0.0) -> list[float]:
    return [start + i / fps for i in range(n)]


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = FPS) -> Path:
    """Frames (BGR 640x480) as an uncompressed 4:2:0 Y4M video."""
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{SIZE[0]} H{SIZE[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            assert frame.shape[:2] == (SIZE[1], SIZE[0])
            fh.write(b"FRAME\n")
            fh.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path
