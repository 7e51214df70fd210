"""What the benchmark's people show their camera, made at run time from real images in
../shared/data (evaluation data: read, never copied into the repository).

- a passport on a desk, as the capture page sends it (camera resolution, JPEG 0.92), and the
  640-px frames of it the document step sends for quality hints;
- a person following the liveness instructions, as 480-px JPEG frames at 0.85 (assets/capture.js
  grabs frames that size): looking at the camera, blinking, turning left or right. No still of
  an open mouth exists in the data, so an OPEN_MOUTH challenge is never answered and that attempt
  runs to the page's deadline, as a person who cannot follow it would.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from identity_app.bench.app_process import ROOT

SHARED = (ROOT / ".." / "shared" / "data").resolve()
POSE = SHARED / "liveness-pose-eyes-insightface"
PASSPORT = SHARED / "mrz-passporteye" / "testdata" / "100_pass-uto.jpg"
FRAME_SIZE = (480, 360)
DOCUMENT_SIZE = (1920, 1440)


class MissingData(RuntimeError):
    pass


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
    if image is None:
        raise MissingData(f"evaluation data missing: {path} (see ../shared/data/README.md)")
    return image


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _letterbox(image: np.ndarray, size: tuple[int, int], background: int = 40) -> np.ndarray:
    h, w = image.shape[:2]
    s = min(size[0] / w, size[1] / h)
    small = cv2.resize(image, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
    out = np.full((size[1], size[0], 3), background, np.uint8)
    y, x = (size[1] - small.shape[0]) // 2, (size[0] - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def _desk(size: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(7)
    base = np.zeros((size[1], size[0], 3), np.float32)
    base[:] = (52, 66, 84)
    noise = cv2.GaussianBlur(rng.normal(0, 9, (size[1], size[0])).astype(np.float32), (0, 0), 3)
    return np.clip(base + noise[..., None], 0, 255).astype(np.uint8)


@lru_cache(maxsize=1)
def document_jpeg() -> bytes:
    """The passport filling most of a phone photo of a desk, slightly turned."""
    doc = _read(PASSPORT)
    h, w = doc.shape[:2]
    W, H = DOCUMENT_SIZE
    scale = min(0.86 * W / w, 0.86 * H / h)
    dw, dh, turn = w * scale, h * scale, 6.0
    x0, y0 = (W - dw) / 2, (H - dh) / 2
    dst = np.float32([[x0, y0 + turn], [x0 + dw, y0 - turn], [x0 + dw, y0 + dh + turn], [x0, y0 + dh - turn]])
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), dst)
    frame = _desk(DOCUMENT_SIZE)
    warped = cv2.warpPerspective(doc, m, DOCUMENT_SIZE, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, DOCUMENT_SIZE)
    frame[mask > 0] = warped[mask > 0]
    return _jpeg(frame, 92)


@lru_cache(maxsize=1)
def document_preview_jpeg() -> bytes:
    """The same scene as the document step's quality frames (640 px, JPEG 0.8)."""
    frame = cv2.imdecode(np.frombuffer(document_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    return _jpeg(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA), 80)


@dataclass(frozen=True)
class Face:
    """One person's frames as JPEG bytes: looking ahead, eyes closed, turned to her left or right."""
    ahead: bytes
    closed: bytes
    left: bytes
    right: bytes

    def answering(self, challenge: str) -> list[bytes]:
        """About a second of frames (8 at 8 fps) answering `challenge` from a frontal start."""
        if challenge == "BLINK":
            return [self.ahead] * 3 + [self.closed] * 2 + [self.ahead] * 3
        if challenge == "TURN_LEFT":
            return [self.ahead] * 2 + [self.left] * 6
        if challenge == "TURN_RIGHT":
            return [self.ahead] * 2 + [self.right] * 6
        return [self.ahead] * 8  # OPEN_MOUTH: not in the data (see the module docstring)


@lru_cache(maxsize=1)
def face() -> Face:
    ahead = _letterbox(_read(POSE / "reaction" / "open_eyes.png"), FRAME_SIZE)
    closed = _letterbox(_read(POSE / "reaction" / "close_eyes.jpeg"), FRAME_SIZE)
    right = _letterbox(_read(POSE / "pose" / "left_face.jpeg"), FRAME_SIZE)  # her own right
    return Face(_jpeg(ahead, 85), _jpeg(closed, 85), _jpeg(cv2.flip(right, 1), 85), _jpeg(right, 85))
