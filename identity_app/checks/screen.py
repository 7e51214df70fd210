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

Two cues that need no full bezel (evaluation/replay_cues.py measures them held out by source):

- `is_cornered`: a long edge above the face and one beside it that meet in a corner and end
  there, as a phone's top and side edges do when the fingers hide its other side or the
  recording's dark clothes merge with its bottom bezel. It counts in the same share as a frame.
  Room lines rarely do: a ceiling line runs on past the curtain edge beside a face (a fetched
  live webcam clip had a top edge in most frames and a side edge in 41%: 0 corners).
- `blown_out_face`: the median share of the face's pixels with a channel clipped at 250 over 8
  frames. A screen's backlight is brighter than the room a webcam exposes for (a phone replay:
  0.49); live faces lit by their room stayed under 0.03 in every frame of 12 live clips.

Held out, leaving one recording source out (`python -m identity_app.evaluation.replay_cues`:
the corner and clipping parameters chosen on the other sources, attempts of 4 s every 2 s):
every replay attempt of each held-out source refused (lestari15 1/1, manikantha 6/6, tran 9/9,
zubair 1/1; the frame alone 16/17 before the corner rule, missing lestari15 and zubair), no live
attempt refused (0/64 over 5 sources); no corner on the 49 portrait photos with a face in
../shared/data. The defaults are the parameters the same rule chooses on every source
(training). Measured and not kept (they did not separate the held-out clips): a moire peak in
the face crop's spectrum (peak over median log-magnitude 2.9-3.6 on replays, 2.0-4.0 on live
clips: the 480-px JPEG frames keep no pixel grid), high-frequency energy (a replay's blur is
within the live range of low-quality webcams), and face-versus-surroundings rigid motion (a
phone selfie's face and room move by one homography as often as a replay's: 23% against
18-33% of moving frame pairs; a replay held still does not move at all).

Pure: frames (BGR) and face boxes (x, y, w, h) in, numbers out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

ALGORITHM_VERSION = "screen-frame/hough/2"


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
    # A corner (is_cornered): an edge above the face at least this share of its width, one beside it
    # at least this share of its height, meeting within this share of the face's size.
    corner_top_share: float = 1.0
    corner_side_share: float = 0.8
    corner_tolerance: float = 0.3
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
    # (and the segment's own ends along the side, unclipped: where a corner is)
    pieces: dict[str, list[tuple[float, float, float, float, float]]] = {k: [] for k in SIDES}
    for x1, y1, x2, y2 in segments[:, 0].astype(float):
        angle = float(np.degrees(np.arctan2(abs(y2 - y1), abs(x2 - x1))))
        if angle >= 90 - th.max_tilt_deg:
            at = x1 + (x2 - x1) * (cy - y1) / (y2 - y1) if y2 != y1 else x1
            lo, hi = max(min(y1, y2), y - 0.5 * h), min(max(y1, y2), y + 1.5 * h)
            if hi <= lo:
                continue
            if th.min_gap * w <= x - at <= th.max_gap * w:
                pieces["left"].append((at, lo, hi, min(y1, y2), max(y1, y2)))
            elif th.min_gap * w <= at - (x + w) <= th.max_gap * w:
                pieces["right"].append((at, lo, hi, min(y1, y2), max(y1, y2)))
        elif angle <= th.max_tilt_deg:
            at = y1 + (y2 - y1) * (cx - x1) / (x2 - x1) if x2 != x1 else y1
            lo, hi = max(min(x1, x2), x - 0.5 * w), min(max(x1, x2), x + 1.5 * w)
            if hi <= lo:
                continue
            if th.min_gap * h <= y - at <= th.max_gap * h:
                pieces["top"].append((at, lo, hi, min(x1, x2), max(x1, x2)))
            elif th.min_gap * h <= at - (y + h) <= th.max_gap * h:
                pieces["bottom"].append((at, lo, hi, min(x1, x2), max(x1, x2)))
    for side, items in pieces.items():
        vertical = side in ("left", "right")
        size = h if vertical else w
        face_lo, face_hi = (y, y + h) if vertical else (x, x + w)
        tol = max(3.0, 0.08 * (w if vertical else h))
        best = 0.0
        for at, _, _, _, _ in items:
            near = [p for p in items if abs(p[0] - at) <= tol]
            spans = sorted((lo, hi) for _, lo, hi, _, _ in near)
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
                found[f"{side}_at"] = float(np.mean([p[0] for p in near]))
                found[f"{side}_from"] = float(min(p[3] for p in near))
                found[f"{side}_to"] = float(max(p[4] for p in near))
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
    share: float            # frames showing a screen's frame or corner / frames scored
    framed: int             # frames with a screen's frame or corner beside the face
    scored: int
    fired: bool
    cornered: int = 0       # of those, frames with only a corner (is_cornered)


def screen_frame_share(frames: Sequence[np.ndarray], boxes: Sequence[tuple[int, int, int, int]],
                       th: ScreenThresholds = ScreenThresholds()) -> ScreenFinding:
    """Share of frames framed (is_framed) or cornered (is_cornered) among up to `th.frames` spread
    over the attempt (frames with a face)."""
    n = len(frames)
    if n == 0:
        return ScreenFinding(0.0, 0, 0, False)
    framed = cornered = 0
    for i in _spread(n, th.frames):
        sides = frame_sides(frames[i], boxes[i], th)
        if is_framed(sides, th):
            framed += 1
        elif is_cornered(sides, boxes[i], th):
            framed, cornered = framed + 1, cornered + 1
    scored = min(n, th.frames)
    share = framed / scored
    return ScreenFinding(share, framed, scored, bool(share >= th.min_share and framed >= th.min_framed_frames),
                         cornered)


def _spread(n: int, k: int) -> list[int]:
    return list(range(n)) if n <= k else [round(j * (n - 1) / (k - 1)) for j in range(k)]


# ---------------------------------------------------------------- blown-out face


@dataclass(frozen=True)
class GamutThresholds:
    # A channel at or above this value is clipped. Screens filmed by a camera blow the face out: its
    # backlight is brighter than the room the camera exposes for (a phone replay before a webcam:
    # median 0.49 of the face clipped); a live face lit by the room is not (live clips: median per
    # clip at most 0.011, single frames at most 0.024).
    clip_level: int = 250
    max_clipped_share: float = 0.2   # median share of clipped face pixels over the frames scored
    frames: int = 8


def clipped_share(frame: np.ndarray, box: tuple[int, int, int, int], level: int = 250) -> float:
    """Share of the inner face's pixels (the box less a tenth each side, no background) with a
    channel at or above `level`."""
    x, y, w, h = (int(v) for v in box)
    mx, my = w // 10, h // 10
    crop = frame[max(0, y + my):max(0, y + h - my), max(0, x + mx):max(0, x + w - mx)]
    if crop.size == 0:
        return 0.0
    return float(np.mean((crop.max(axis=2) if crop.ndim == 3 else crop) >= level))


@dataclass(frozen=True)
class GamutFinding:
    clipped: float          # median share of clipped face pixels
    scored: int
    fired: bool


def blown_out_face(frames: Sequence[np.ndarray], boxes: Sequence[tuple[int, int, int, int]],
                   th: GamutThresholds = GamutThresholds()) -> GamutFinding:
    """Median clipped share of the face over up to `th.frames` frames spread over the attempt."""
    if not frames:
        return GamutFinding(0.0, 0, False)
    idx = _spread(len(frames), th.frames)
    values = [clipped_share(frames[i], boxes[i], th.clip_level) for i in idx]
    med = float(np.median(values))
    return GamutFinding(med, len(values), med >= th.max_clipped_share)

def is_cornered(sides: dict[str, float], box: tuple[int, int, int, int],
                th: ScreenThresholds = ScreenThresholds()) -> bool:
    """A screen's corner beside the face: a long edge above it and a long edge beside it that meet
    there and end there (the vertical edge does not run on above the top one, the top edge not past
    the vertical one). A phone whose other side the fingers hide, or a small phone in the hand,
    shows one; the straight lines of a room rarely end in the same point: a ceiling line runs on
    past the curtain beside a face, a door frame's top past its side."""
    _, _, w, h = box
    if sides.get("top", 0.0) < th.corner_top_share:
        return False
    tol_x, tol_y = th.corner_tolerance * w, th.corner_tolerance * h
    top_at, top_from, top_to = sides.get("top_at", 0.0), sides.get("top_from", 0.0), sides.get("top_to", 0.0)
    for side, end in (("left", top_from), ("right", top_to)):
        if sides.get(side, 0.0) < th.corner_side_share:
            continue
        at = sides.get(f"{side}_at", 0.0)
        if abs(sides.get(f"{side}_from", 0.0) - top_at) <= tol_y and abs(end - at) <= tol_x:
            return True
    return False
