"""The selfie: which frame of a liveness attempt face match and the reviewer see.

Chosen from the attempt's frames and their FrameAnalysis (liveness.py
measures pose and eye opening as the frames stream in): one face,
near-frontal, eyes open, and the sharpest among the most frontal.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from identity_app.checks import faces
from identity_app.checks.liveness import FrameAnalysis, analyse_frame

EYE_STATE_MAX_YAW_DEG = 30.0   # eye opening is unreliable when the head is turned further
MAX_ASPECT_CHANGE = 0.2        # eye measures only on frames whose face box keeps its usual shape


def _open_eye_level(analyses: Sequence[FrameAnalysis]) -> float:
    """The person's open-eye level: a high percentile of eye_open over frames fit to judge eyes."""
    aspects = [a.aspect for a in analyses if a.has_face]
    ref = float(np.median(aspects)) if aspects else 0.0
    levels = [a.eye_open for a in analyses
              if a.has_face and abs(a.yaw) <= EYE_STATE_MAX_YAW_DEG
              and ref > 0 and abs(a.aspect / ref - 1) <= MAX_ASPECT_CHANGE]
    return float(np.percentile(levels, 75)) if levels else 0.0


def best_frontal_frame(
    frames: Sequence[np.ndarray], analyses: Sequence[FrameAnalysis] | None = None
) -> int | None:
    """Index of the frame best suited as the selfie for face match.

    One face, near-frontal, eyes open, and the sharpest among the most frontal.
    """
    analyses = list(analyses) if analyses is not None else [analyse_frame(f) for f in frames]
    open_level = _open_eye_level(analyses)
    candidates = []
    for i, a in enumerate(analyses):
        if a.face_count != 1 or a.face_box is None:
            continue
        eyes = a.eye_open / open_level if open_level > 0 else 1.0
        pose = abs(a.yaw) + 0.5 * abs(a.pitch) + (20.0 if eyes < 0.85 else 0.0)
        candidates.append((pose, i))
    if not candidates:
        return None
    candidates.sort()
    best_pose = candidates[0][0]
    near = [i for p, i in candidates if p <= best_pose + 5.0][:8]

    def sharpness(i: int) -> float:
        x, y, w, h = analyses[i].face_box  # type: ignore[misc]
        return faces.face_quality(frames[i], (y, x + w, y + h, x))[0]

    return max(near, key=sharpness)
