"""Passive screen-replay cue: a face shown on a phone or monitor sits inside the screen's frame.

A replay attack films a screen that plays a recording of the person. Whatever the
recording shows, the screen itself leaves a physical trace around the face: the
straight edges of its display area and bezel, close to the face, on two opposite
sides (left and right, or above and below), and the same in frame after frame. A
live face has no such frame: its outline is round, shoulders and hair are curved,
and the straight edges of a room (doors, shelves, a headboard) rarely flank the face
on both opposite sides within a face's width of it.

`frame_sides(frame, box)` finds, in one frame, the long straight segments
(Canny edges, probabilistic Hough) beside each side of the face box: near-vertical
ones left and right, near-horizontal ones above and below, each at least
`min_side_share` of the face's height (width), overlapping at least half of it,
and no further than `max_gap` face sizes from the box. A frame is *framed* when two
opposite sides hold such a segment. `screen_frame_share(frames, boxes)` is the share
of framed frames among up to `frames` spread over the attempt; liveness.py reports
DIGITAL_COPY when it reaches `min_share`.

Measured on frames as the capture page sends them (`evaluate liveness-video`; 16
frames spread over each clip): framed in 16/16, 15/16 and 7/16 frames of three real
replays (a phone held tilted before a webcam, a monitor filmed by a phone, a phone
whose right bezel is hidden by the fingers holding it) and in 0 frames of each of 11
live clips (liveness-video-dev, liveness-replay-dev's live clip and two fetched live
clips): no live frame had an edge on both opposite sides. The fourth replay is a small
keypad phone held beside the live person, whose larger face is the one analysed.
These thresholds were chosen on those same clips (there is no held-out replay set):
treat the figures as training figures. A person standing in a narrow doorway could be
framed; raise `min_share` if that happens.

A print held with its straight edges close to the face is framed too, and reported
as DIGITAL_COPY like a screen: both are refused, the reason is the screen's.

Pure: frames (BGR) and face boxes (x, y, w, h) in, numbers out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

ALGORITHM_VERSION = "screen-frame/hough/1"


@dataclass(frozen=True)
class ScreenThresholds:
    min_side_share: float = 0.5    # a side's segment is at least this share of the face's height (width)
    min_gap: float = 0.03          # outside the face box by at least this share of the face size
    max_gap: float = 1.5           # and at most this many face sizes from it
    max_tilt_deg: float = 20.0     # a "vertical" segment leans at most this much (a tilted phone)
    min_overlap: float = 0.5       # of the face's span along the side
    frames: int = 16               # frames scored per attempt (spread over it)
    min_share: float = 0.25        # share of framed frames that is a screen
    min_framed_frames: int = 2     # and at least this many


SIDES = ("left", "right", "top", "bottom")


def frame_sides(frame: np.ndarray, box: tuple[int, int, int, int],
                th: ScreenThresholds = ScreenThresholds()) -> dict[str, float]:
    """Longest straight edge beside each side of the face box, over the face's height (left, right)
    or width (top, bottom); 0 where there is none. Collinear pieces of one edge (broken where the
    background matches the bezel, or by the pixel steps of a tilted line) count together: their
    union along the side, within the face's span widened by half a face on each end."""
    x, y, w, h = (int(v) for v in box)
    found = dict.fromkeys(SIDES, 0.0)
    if w < 8 or h < 8:
        return found
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (3, 3), 0), 40, 120)
    segments = cv2.HoughLinesP(edges, 1, np.pi / 180, 20, minLineLength=max(8, int(0.25 * min(w, h))), maxLineGap=4)
    if segments is None:
        return found
    cx, cy = x + w / 2, y + h / 2
    # side -> list of (position across the side at the face centre, span start, span end)
    pieces: dict[str, list[tuple[float, float, float]]] = {k: [] for k in SIDES}
    for x1, y1, x2, y2 in segments[:, 0].astype(float):
        angle = float(np.degrees(np.arctan2(abs(y2 - y1), abs(x2 - x1))))
        if angle >= 90 - th.max_tilt_deg:
            at = x1 + (x2 - x1) * (cy - y1) / (y2 - y1) if y2 != y1 else x1
            lo, hi = max(min(y1, y2), y - 0.5 * h), min(max(y1, y2), y + 1.5 * h)
            if hi <= lo:
                continue
            if th.min_gap * w <= x - at <= th.max_gap * w:
                pieces["left"].append((at, lo, hi))
            elif th.min_gap * w <= at - (x + w) <= th.max_gap * w:
                pieces["right"].append((at, lo, hi))
        elif angle <= th.max_tilt_deg:
            at = y1 + (y2 - y1) * (cx - x1) / (x2 - x1) if x2 != x1 else y1
            lo, hi = max(min(x1, x2), x - 0.5 * w), min(max(x1, x2), x + 1.5 * w)
            if hi <= lo:
                continue
            if th.min_gap * h <= y - at <= th.max_gap * h:
                pieces["top"].append((at, lo, hi))
            elif th.min_gap * h <= at - (y + h) <= th.max_gap * h:
                pieces["bottom"].append((at, lo, hi))
    for side, items in pieces.items():
        size = h if side in ("left", "right") else w
        face_lo, face_hi = (y, y + h) if side in ("left", "right") else (x, x + w)
        tol = max(3.0, 0.08 * (w if side in ("left", "right") else h))
        best = 0.0
        for at, _, _ in items:
            spans = sorted((lo, hi) for a, lo, hi in items if abs(a - at) <= tol)
            total, overlap, end = 0.0, 0.0, -np.inf
            for lo, hi in spans:
                lo = max(lo, end)
                if hi > lo:
                    total += hi - lo
                    overlap += max(0.0, min(hi, face_hi) - max(lo, face_lo))
                    end = hi
            if overlap >= th.min_overlap * size:
                best = max(best, total / size)
        found[side] = best
    return found


def is_framed(sides: dict[str, float], th: ScreenThresholds = ScreenThresholds()) -> bool:
    """Two opposite sides of the face hold a long straight edge: the face is inside a frame."""
    ok = {k: v >= th.min_side_share for k, v in sides.items()}
    return bool((ok["left"] and ok["right"]) or (ok["top"] and ok["bottom"]))


@dataclass(frozen=True)
class ScreenFinding:
    share: float            # framed frames / frames scored
    framed: int
    scored: int
    fired: bool


def screen_frame_share(frames: Sequence[np.ndarray], boxes: Sequence[tuple[int, int, int, int]],
                       th: ScreenThresholds = ScreenThresholds()) -> ScreenFinding:
    """Share of framed frames among up to `th.frames` spread over the attempt (frames with a face)."""
    n = len(frames)
    if n == 0:
        return ScreenFinding(0.0, 0, 0, False)
    pick = range(n) if n <= th.frames else [round(k * (n - 1) / (th.frames - 1)) for k in range(th.frames)]
    framed = int(sum(bool(is_framed(frame_sides(frames[i], boxes[i], th), th)) for i in pick))
    scored = len(pick)
    share = framed / scored
    return ScreenFinding(share, framed, scored, bool(share >= th.min_share and framed >= th.min_framed_frames))
