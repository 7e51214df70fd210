"""Find the face in a photo, judge whether it is usable, and encode it.

Detection is dlib's HOG detector (largest face wins: HOG with upsampling
finds false faces on helmets and flags). Quality is measured on the face
itself, resized to a fixed width, so thresholds do not depend on the
photo's resolution. Encoding uses dlib's 5-point aligner and ResNet
encoder (see face_models.py for why not the 68-point model).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np

from identity_app.checks import face_models

if TYPE_CHECKING:
    from identity_app.checks.face_encoder_process import EncoderProcess

log = logging.getLogger(__name__)

# Defaults, documented so a report can state them.
MIN_FACE_PX = 60            # face box width below which identity is unreliable
MIN_SHARPNESS = 20.0        # variance of Laplacian on the 128-px-wide face
MIN_BRIGHTNESS = 45.0       # mean grey level (0..255) of the face
SECOND_FACE_RATIO = 0.6     # another face at least this wide (vs largest) = several people
DETECT_MAX_SIDE = 800       # detect on a copy no larger than this (speed; faces stay >= 80 px)
QUALITY_WIDTH = 128


class FaceProblem(str, Enum):
    FACE_NOT_FOUND = "FACE_NOT_FOUND"
    MULTIPLE_FACES = "MULTIPLE_FACES"
    FACE_TOO_SMALL = "FACE_TOO_SMALL"
    PHOTO_TOO_BLURRY = "PHOTO_TOO_BLURRY"
    PHOTO_TOO_DARK = "PHOTO_TOO_DARK"


# (top, right, bottom, left) in pixels of the original image, like face_recognition.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FaceFinding:
    box: Box | None
    face_count: int
    width_px: int = 0
    sharpness: float = 0.0
    brightness: float = 0.0
    problem: FaceProblem | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None and self.box is not None


def to_rgb(image_bgr: np.ndarray) -> np.ndarray:
    """Contiguous 8-bit RGB from BGR, BGRA or grey input."""
    if image_bgr.ndim == 2:
        return cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2RGB)
    if image_bgr.shape[2] == 4:
        return cv2.cvtColor(image_bgr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)  # 5x faster than a reversed-slice copy


def detect_faces(image_bgr: np.ndarray, *, upsample: int = 0) -> list[Box]:
    """All HOG face boxes, largest first, in original-image coordinates."""
    rgb = to_rgb(image_bgr)
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    rects = face_models.hog_detector()(small, upsample)
    boxes: list[Box] = []
    for r in rects:
        top, right = max(0, int(r.top() / scale)), min(w, int(r.right() / scale))
        bottom, left = min(h, int(r.bottom() / scale)), max(0, int(r.left() / scale))
        if right > left and bottom > top:
            boxes.append((top, right, bottom, left))
    boxes.sort(key=lambda b: (b[1] - b[3]) * (b[2] - b[0]), reverse=True)
    return boxes


def crop(image_bgr: np.ndarray, box: Box, margin: float = 0.0) -> np.ndarray:
    top, right, bottom, left = box
    mw, mh = int((right - left) * margin), int((bottom - top) * margin)
    h, w = image_bgr.shape[:2]
    return image_bgr[max(0, top - mh): min(h, bottom + mh), max(0, left - mw): min(w, right + mw)]


def face_quality(image_bgr: np.ndarray, box: Box) -> tuple[float, float]:
    """(sharpness, brightness) of the face region at a fixed width."""
    face = crop(image_bgr, box)
    grey = cv2.cvtColor(to_rgb(face), cv2.COLOR_RGB2GRAY)
    height = max(1, round(grey.shape[0] * QUALITY_WIDTH / max(1, grey.shape[1])))
    grey = cv2.resize(grey, (QUALITY_WIDTH, height), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    return sharpness, float(grey.mean())


def find_face(
    image_bgr: np.ndarray,
    *,
    allow_multiple: bool = False,
    min_face_px: int = MIN_FACE_PX,
    min_sharpness: float = MIN_SHARPNESS,
    min_brightness: float = MIN_BRIGHTNESS,
) -> FaceFinding:
    """The largest face and whether it is usable for face comparison.

    `allow_multiple=True` for document images: ID cards often print a small
    ghost portrait beside the main one.
    """
    boxes = detect_faces(image_bgr, upsample=0)
    if not boxes:  # small faces (document portraits) need one upsampling
        boxes = detect_faces(image_bgr, upsample=1)
    if not boxes:
        return FaceFinding(None, 0, problem=FaceProblem.FACE_NOT_FOUND)
    box = boxes[0]
    width = box[1] - box[3]
    sharpness, brightness = face_quality(image_bgr, box)
    problem: FaceProblem | None = None
    others = [b for b in boxes[1:] if (b[1] - b[3]) >= SECOND_FACE_RATIO * width]
    if others and not allow_multiple:
        problem = FaceProblem.MULTIPLE_FACES
    elif width < min_face_px:
        problem = FaceProblem.FACE_TOO_SMALL
    elif brightness < min_brightness:
        problem = FaceProblem.PHOTO_TOO_DARK
    elif sharpness < min_sharpness:
        problem = FaceProblem.PHOTO_TOO_BLURRY
    return FaceFinding(box, len(boxes), width, sharpness, brightness, problem)


_encoder_process: "EncoderProcess | None" = None


def use_encoder_process() -> bool:
    """Encode faces in a helper process from now on (face_encoder_process.py says why); idempotent.
    The check worker and the benchmark call it; without it, or when the helper cannot start,
    faces are encoded in this process. Returns whether the helper runs."""
    global _encoder_process
    if _encoder_process is None:
        from identity_app.checks.face_encoder_process import EncoderProcess

        process = EncoderProcess()
        try:
            process.start()
        except (OSError, EOFError):
            log.warning("the face encoder process did not start: encoding faces in this process")
            process.stop()
            return False
        _encoder_process = process
    return True


def encoder_process_cpu_seconds() -> float:
    """CPU time of the encoder process so far (for the benchmark); 0.0 without one."""
    return _encoder_process.cpu_seconds() if _encoder_process is not None else 0.0


def stop_encoder_process() -> None:
    global _encoder_process
    process, _encoder_process = _encoder_process, None
    if process is not None:
        process.stop()


def _encode_chip(chip: np.ndarray) -> np.ndarray:
    if _encoder_process is not None:
        try:
            return _encoder_process.encode(chip)
        except (OSError, EOFError):  # it died and could not restart: same embedding, computed here
            log.warning("the face encoder process failed: encoding this face in this process")
    return np.asarray(face_models.face_encoder().compute_face_descriptor(chip), dtype=np.float64)


# Test-time jitter: (shift x, shift y as fractions of the face, crop size factor, degrees, mirrored)
# in the ranges dlib's jitter_image draws (shift 2%, crop 97-100%, 3 degrees, a mirror half the time).
# Fixed rather than drawn: dlib's num_jitters draws from one generator per loaded model, so the same
# face would get another embedding on every call.
JITTERS = ((0.012, -0.008, 0.980, 2.0, False), (-0.010, 0.012, 0.990, -2.5, True),
           (0.015, 0.006, 0.975, -1.0, False), (-0.006, -0.014, 0.985, 1.5, True))


def jittered_chips(chip: np.ndarray) -> list[np.ndarray]:
    """The aligned chip seen slightly shifted, scaled, turned and mirrored (JITTERS), same size."""
    size = chip.shape[0]
    inner = size - 6  # dlib's jitter_image: the chip shrunk by 3 px a side
    c = (size - 1) / 2
    out = []
    for dx, dy, scale, degrees, mirror in JITTERS:
        k = inner / scale / size  # source pixels per output pixel
        a = np.radians(degrees)
        cx, cy = c + dx * inner, c + dy * inner
        cos, sin = k * np.cos(a), k * np.sin(a)
        m = np.array([[cos, -sin, cx - cos * c + sin * c], [sin, cos, cy - sin * c - cos * c]])
        view = cv2.warpAffine(chip, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
        out.append(np.ascontiguousarray(view[:, ::-1]) if mirror else view)
    return out


def encode_face(image_bgr: np.ndarray, box: Box, *, jittered: bool = False, mirrored: bool = False) -> np.ndarray:
    """128-d dlib embedding of the face in `box` (5-point alignment).

    `jittered`: the mean embedding of the chip's JITTERS views (4 encodings, ~75 ms each);
    `mirrored`: the mean of the aligned chip's embedding and its mirror image's (a
    second encoding): face_match.py says what each gains.
    """
    import dlib

    rgb = to_rgb(image_bgr)
    top, right, bottom, left = box
    shape = face_models.shape_predictor_5()(rgb, dlib.rectangle(left, top, right, bottom))
    # The aligned chip compute_face_descriptor(rgb, shape) extracts itself (150 px, padding 0.25),
    # so both ways give the same embedding.
    chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    chips = jittered_chips(chip) if jittered else [chip]
    if mirrored:
        chips += [np.ascontiguousarray(c[:, ::-1]) for c in chips]
    return np.mean([_encode_chip(c) for c in chips], axis=0)


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (dlib's 0.6 rule of thumb)."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def unit_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Distance (0..2) between the embeddings scaled to length 1: face match's measure.

    dlib's embeddings vary in length from photo to photo; on held-out people the
    direction alone separates better (face_match.py gives the figures).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a / np.linalg.norm(a) - b / np.linalg.norm(b)))


@dataclass(frozen=True)
class EncodedFace:
    """A selfie's face found, judged and (when usable) encoded once, for liveness and face match.

    The thresholds it was judged with and the way it was encoded travel along, so a check
    reusing it can refuse a finding judged or encoded by other rules. `frames`: how many
    frames' embeddings the encoding is the mean of (`encode_selfie_frames`).
    """

    finding: FaceFinding
    encoding: np.ndarray | None  # None unless finding.usable
    min_face_px: int = MIN_FACE_PX
    min_sharpness: float = MIN_SHARPNESS
    min_brightness: float = MIN_BRIGHTNESS
    mirrored: bool = False
    frames: int = 1
    jittered: bool = False


def encode_selfie(
    image_bgr: np.ndarray,
    *,
    min_face_px: int = MIN_FACE_PX,
    min_sharpness: float = MIN_SHARPNESS,
    min_brightness: float = MIN_BRIGHTNESS,
    mirrored: bool = False,
    jittered: bool = False,
) -> EncodedFace:
    """Find the selfie's face exactly as face match does (one person only) and encode it if usable."""
    return encode_selfie_frames([image_bgr], min_face_px=min_face_px, min_sharpness=min_sharpness,
                                min_brightness=min_brightness, mirrored=mirrored, jittered=jittered)


def encode_selfie_frames(
    frames: "Sequence[np.ndarray]",
    *,
    min_face_px: int = MIN_FACE_PX,
    min_sharpness: float = MIN_SHARPNESS,
    min_brightness: float = MIN_BRIGHTNESS,
    mirrored: bool = False,
    jittered: bool = False,
) -> EncodedFace:
    """The selfie (`frames[0]`) judged as face match judges it, encoded as the mean embedding of
    it and of the other frames (more moments of the same attempt) whose face is usable too.
    `jittered`, `mirrored`: as encode_face (face match's defaults: face_match.JITTERED, MIRRORED).

    Only the selfie's finding decides usability; another frame whose face is missing, small,
    dark, blurred or not alone is left out of the mean.
    """
    def judged(image: np.ndarray) -> FaceFinding:
        return find_face(image, allow_multiple=False, min_face_px=min_face_px,
                         min_sharpness=min_sharpness, min_brightness=min_brightness)

    finding = judged(frames[0])
    if not (finding.usable and finding.box is not None):
        return EncodedFace(finding, None, min_face_px, min_sharpness, min_brightness, mirrored, 0, jittered)
    encodings = [encode_face(frames[0], finding.box, mirrored=mirrored, jittered=jittered)]
    for image in frames[1:]:
        other = judged(image)
        if other.usable and other.box is not None:
            encodings.append(encode_face(image, other.box, mirrored=mirrored, jittered=jittered))
    return EncodedFace(finding, np.mean(encodings, axis=0), min_face_px, min_sharpness, min_brightness, mirrored,
                       len(encodings), jittered)
