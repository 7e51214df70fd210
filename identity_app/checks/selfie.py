"""The selfie: which frames of a liveness attempt face match and the reviewer see.

Chosen from the attempt's frames and their FrameAnalysis (liveness.py measures pose,
eye and mouth opening as the frames stream in):

- eligible: one face, both eyes open, head not turned far; and, when there are such
  frames, eyes open in the frames either side too (a frame next to a blink is mid-blink). Eyes count as open when
  the lid gap (`eye_open`) and each eye's aspect ratio (`ear_left`, `ear_right`) reach
  both an absolute floor (closed eyes measure eye_open < 0.03 and EAR < 0.15) and a
  share of this person's own open-eye level over the attempt (the 75th percentile, as
  liveness takes it). A frame with a closed eye, a wink or a blink is never chosen,
  however frontal: when no frame is eligible there is no selfie (`reason` says why);
- among the eligible, the most frontal (|yaw| + 0.5 |pitch| + 0.25 |roll|, and a
  penalty for a mouth opened wide, which changes the face), and among those within
  `near_pose_deg` of the best, the sharpest face (variance of the Laplacian);
- for face match, up to `match_frames` eligible frames in that order, at least
  `min_frame_gap` frames apart (different moments, not copies of one): face match
  compares the mean of their embeddings (face_match.py says what that gains).

Pure: frames and their analyses in, indices out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from identity_app.checks import faces
from identity_app.checks.liveness import FrameAnalysis, analyse_frame


@dataclass(frozen=True)
class SelfieThresholds:
    """Every knob of the choice, with its default."""

    max_yaw_deg: float = 35.0        # turned further, a face is no selfie (and dlib matches it badly)
    max_pitch_deg: float = 35.0
    min_eye_open: float = 0.03       # lid gap over the upper-face height below which an eye is closed
    min_ear: float = 0.15            # eye aspect ratio below which an eye is closed
    eye_open_share: float = 0.75     # of the person's open-eye level (lid gap), this attempt
    ear_share: float = 0.6           # of each eye's open level (EAR): refuses winks
    eye_state_max_yaw_deg: float = 30.0  # frames counted for the open-eye level
    wide_mouth: float = 0.25         # mouth opened this wide costs `wide_mouth_penalty` degrees
    wide_mouth_penalty: float = 15.0
    near_pose_deg: float = 5.0       # poses this close to the best compete on sharpness
    max_sharpness_candidates: int = 8
    match_frames: int = 3            # frames whose embeddings face match averages
    min_frame_gap: int = 2


@dataclass(frozen=True)
class SelfieChoice:
    index: int | None                 # the selfie frame, or None
    match_frames: tuple[int, ...]     # frames for face match, the selfie first (empty without one)
    reason: str | None = None         # without a selfie: NO_FACE, EYES_CLOSED or NOT_FRONTAL
    eligible: int = 0                 # frames with one face, eyes open and a frontal enough pose


def _levels(analyses: Sequence[FrameAnalysis], th: SelfieThresholds) -> tuple[float, float, float]:
    """The person's open level of the lid gap and of each eye's EAR (75th percentile over frames
    with one face, not turned far, whose face box keeps its usual shape)."""
    aspects = [a.aspect for a in analyses if a.has_face]
    ref = float(np.median(aspects)) if aspects else 0.0
    usable = [a for a in analyses
              if a.has_face and abs(a.yaw) <= th.eye_state_max_yaw_deg and ref > 0 and abs(a.aspect / ref - 1) <= 0.2]
    if not usable:
        return 0.0, 0.0, 0.0
    return tuple(float(np.percentile([getattr(a, k) for a in usable], 75))  # type: ignore[return-value]
                 for k in ("eye_open", "ear_left", "ear_right"))


def eyes_open(a: FrameAnalysis, levels: tuple[float, float, float], th: SelfieThresholds = SelfieThresholds()) -> bool:
    gap, left, right = levels
    return (a.eye_open >= max(th.min_eye_open, th.eye_open_share * gap)
            and a.ear_left >= max(th.min_ear, th.ear_share * left)
            and a.ear_right >= max(th.min_ear, th.ear_share * right))


def pose_cost(a: FrameAnalysis, th: SelfieThresholds = SelfieThresholds()) -> float:
    cost = abs(a.yaw) + 0.5 * abs(a.pitch) + 0.25 * abs(a.roll)
    return cost + (th.wide_mouth_penalty if a.mouth_open >= th.wide_mouth else 0.0)


def choose_selfie(
    frames: Sequence[np.ndarray],
    analyses: Sequence[FrameAnalysis] | None = None,
    thresholds: SelfieThresholds = SelfieThresholds(),
) -> SelfieChoice:
    """The selfie frame and the frames face match should compare (see the module docstring)."""
    th = thresholds
    analyses = list(analyses) if analyses is not None else [analyse_frame(f) for f in frames]
    one_face = [i for i, a in enumerate(analyses) if a.face_count == 1 and a.face_box is not None]
    if not one_face:
        return SelfieChoice(None, (), "NO_FACE")
    levels = _levels(analyses, th)
    frontal = [i for i in one_face
               if abs(analyses[i].yaw) <= th.max_yaw_deg and abs(analyses[i].pitch) <= th.max_pitch_deg]
    open_ = {i for i in one_face if eyes_open(analyses[i], levels, th)}
    eligible = [i for i in frontal if i in open_]
    if not eligible:
        return SelfieChoice(None, (), "EYES_CLOSED" if frontal else "NOT_FRONTAL")
    # A frame next to one whose eyes are not open is mid-blink: at 8 fps the lids are still
    # closing or reopening (liveness-video-dev lp_d13: 0.84 of the open level, 125 ms after a
    # blink, was the sharpest frame). Such frames only when there is nothing else.
    settled = [i for i in eligible
               if all(k in open_ for k in (i - 1, i + 1) if 0 <= k < len(analyses) and analyses[k].has_face)]
    eligible = settled or eligible
    ranked = sorted(eligible, key=lambda i: (pose_cost(analyses[i], th), i))
    best_cost = pose_cost(analyses[ranked[0]], th)
    near = [i for i in ranked if pose_cost(analyses[i], th) <= best_cost + th.near_pose_deg]
    near = near[: th.max_sharpness_candidates]

    def sharpness(i: int) -> float:
        x, y, w, h = analyses[i].face_box  # type: ignore[misc]
        return faces.face_quality(frames[i], (y, x + w, y + h, x))[0]

    sharp = {i: sharpness(i) for i in near}
    best = max(near, key=lambda i: (sharp[i], -i))
    chosen = [best]
    # Then the near-frontal frames by sharpness, then the rest by pose, each a few frames from those chosen.
    order = sorted(near, key=lambda i: -sharp[i]) + [i for i in ranked if i not in sharp]
    for i in order:
        if len(chosen) >= th.match_frames:
            break
        if all(abs(i - j) >= th.min_frame_gap for j in chosen):
            chosen.append(i)
    return SelfieChoice(best, tuple(chosen), None, len(eligible))


def best_frontal_frame(
    frames: Sequence[np.ndarray], analyses: Sequence[FrameAnalysis] | None = None
) -> int | None:
    """Index of the frame best suited as the selfie (`choose_selfie`), or None."""
    return choose_selfie(frames, analyses).index
