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
frames spread over each clip): framed in 11/16 and 14/16 frames of two real replays
(a phone held tilted before a webcam, a monitor filmed by a phone) and in 0 frames of
each of 12 live clips (liveness-video-dev, liveness-replay-dev's live clip, three
fetched live clips). Missed: a phone whose right bezel is hidden by the fingers
holding it and whose left edge fades where the background is as dark (7/16 frames
framed before left and right edges had to run on beside the neck or be closed by a
bottom edge, 0 after), and a small keypad phone held beside the live person, whose
larger face is the one analysed. On single portrait photos with backgrounds
(../shared/data face folders, 48 with a face; without that rule 10 were framed) one is
framed: a wide shot of a man between curtain folds. These thresholds were chosen on
those same clips and photos (there is no held-out replay set): treat the figures as
training figures. A person standing in a narrow doorway or between long curtains can
be framed; raise `min_share` if that happens.

A print held with its straight edges close to the face can be framed too, and is then
reported as DIGITAL_COPY like a screen: both are refused, the reason is the screen's.

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
    # Left and right edges alone frame the face only when both run on beside the neck, at least
    # this share of the face's height within half a face below the chin, or when a bottom edge
    # closes the frame: a screen's edges do, while the curtain folds, window frames and backdrops
    # behind a person stop at the shoulders (10 of 48 portrait photos of ../shared/data were
    # framed without this, 4 copies of one photo with it).
    min_below_chin: float = 0.4
    min_closing_share: float = 1.2  # a bottom edge that closes the frame spans more than the face's width
    frames: int = 16               # frames scored per attempt (spread over it)
    min_share: float = 0.25        # share of framed frames that is a screen
    min_framed_frames: int = 2     # and at least this many


SIDES = ("left", "right", "top", "bottom")


def frame_sides(frame: np.ndarray, box: tuple[int, int, int, int],
                th: ScreenThresholds = ScreenThresholds()) -> dict[str, float]:
    """Longest straight edge beside each side of the face box, over the face's height (left, right)
    or width (top, bottom); 0 where there is none; and for left and right, how far that edge runs
    within half a face below the chin (`left_below_chin`, `right_below_chin`, over the height).
    Collinear pieces of one edge (broken where the background matches the bezel, or by the pixel
    steps of a tilted line) count together: their union along the side, within the face's span
    widened by half a face on each end."""
    x, y, w, h = (int(v) for v in box)
    found = dict.fromkeys(SIDES + ("left_below_chin", "right_below_chin"), 0.0)
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
        vertical = side in ("left", "right")
        size = h if vertical else w
        face_lo, face_hi = (y, y + h) if vertical else (x, x + w)
        tol = max(3.0, 0.08 * (w if vertical else h))
        best = 0.0
        for at, _, _ in items:
            spans = sorted((lo, hi) for a, lo, hi in items if abs(a - at) <= tol)
            total, overlap, below, end = 0.0, 0.0, 0.0, -np.inf
            for lo, hi in spans:
                lo = max(lo, end)
                if hi > lo:
                    total += hi - lo
                    overlap += max(0.0, min(hi, face_hi) - max(lo, face_lo))
                    below += max(0.0, min(hi, y + 1.5 * h) - max(lo, y + h))
                    end = hi
            if overlap >= th.min_overlap * size and total / size > best:
                best = total / size
                if vertical:
                    found[f"{side}_below_chin"] = below / h
        found[side] = best
    return found


def is_framed(sides: dict[str, float], th: ScreenThresholds = ScreenThresholds()) -> bool:
    """Two opposite sides of the face hold a long straight edge: the face is inside a frame (left
    and right ones running on beside the neck or closed by a bottom edge)."""
    ok = {k: sides.get(k, 0.0) >= th.min_side_share for k in SIDES}
    beside_neck = min(sides.get("left_below_chin", 0.0), sides.get("right_below_chin", 0.0)) >= th.min_below_chin
    closed = sides.get("bottom", 0.0) >= th.min_closing_share
    return bool((ok["left"] and ok["right"] and (beside_neck or closed)) or (ok["top"] and ok["bottom"]))


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
