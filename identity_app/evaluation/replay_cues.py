"""Screen-replay cues held out by source: calibrate on some sources' clips, measure on another's.

    python -m identity_app.evaluation.replay_cues DIR [DIR ...] [--json FILE]

Each DIR holds videos and a labels.csv (or our labels of it in
identity_app/evaluation/labels/, as `evaluate liveness-video` reads them). A
clip's *source* is its file name up to the first `_` (`lp_d0.mp4` -> `lp`,
`tran_fake.mp4` -> `tran`): the people, room and camera of one recording
session. Clips are sampled as the capture page sends frames (liveness_video.load_attempt)
and cut into attempts of `WINDOW_S` seconds every `STEP_S` seconds (a clip shorter than a
window is one attempt).

Leave one source out: for each source, the cue parameters (screen.py's corner rule and the
blown-out face threshold) are chosen on the other sources only: among the grid points that
fire on none of their live attempts, those refusing most of their replay attempts, and of
these the middle one in strictness (`choose`). Those
parameters are then applied to the held-out source's attempts: its replays refused and
its live attempts refused are held-out figures. The same is printed for the screen frame
alone (the cue before the corner and gamut rules) and for the parameters chosen on every
source (training figures).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

WINDOW_S = 4.0
STEP_S = 2.0
GRID = {
    "corner_top_share": (0.8, 1.0, 1.2),
    "corner_side_share": (0.6, 0.8, 1.0),
    "corner_tolerance": (0.2, 0.3),
    "max_clipped_share": (0.1, 0.2, 0.3),
}
# The strictest first: larger edge shares and clipping, tighter corners.
_STRICT = {"corner_top_share": -1, "corner_side_share": -1, "corner_tolerance": 1, "max_clipped_share": -1}


@dataclass
class ClipCues:
    """Per-frame screen measures of one clip (frames with a face only)."""

    file: str
    source: str
    live: bool
    times: list[float]
    sides: list[dict[str, float]]
    boxes: list[tuple[int, int, int, int]]
    clipped: list[float]


def source_of(file: str) -> str:
    return Path(file).stem.split("_")[0]


def clip_cues(file: str, live: bool, attempt) -> ClipCues:
    from identity_app.checks import screen

    idx = [i for i, a in enumerate(attempt.analyses) if a.has_face]
    boxes = [attempt.analyses[i].face_box for i in idx]
    return ClipCues(file, source_of(file), live, [attempt.times[i] for i in idx],
                    [screen.frame_sides(attempt.frames[i], b) for i, b in zip(idx, boxes)], boxes,
                    [screen.clipped_share(attempt.frames[i], b) for i, b in zip(idx, boxes)])


def windows(clip: ClipCues) -> list[list[int]]:
    """Indices (into the clip's face frames) of each attempt."""
    if not clip.times:
        return []
    end = clip.times[-1]
    # every STEP_S, the last one starting less than a step before the window would run past the end
    starts = np.arange(0.0, max(end - WINDOW_S, 0.0) + STEP_S - 1e-9, STEP_S)
    out = []
    for s in starts:
        idx = [i for i, t in enumerate(clip.times) if s <= t < s + WINDOW_S]
        if idx:
            out.append(idx)
    return out


def refused(clip: ClipCues, idx: Sequence[int], params: dict[str, float] | None) -> bool:
    """The attempt's screen cues as liveness.screen_cues decides them (params None: the screen
    frame alone, as before the corner and gamut rules)."""
    from identity_app.checks import screen

    th = screen.ScreenThresholds()
    if params is not None:
        th = replace(th, **{k: v for k, v in params.items() if k != "max_clipped_share"})
    pick = [idx[j] for j in screen._spread(len(idx), th.frames)]
    hits = sum(screen.is_framed(clip.sides[i], th) or
               (params is not None and screen.is_cornered(clip.sides[i], clip.boxes[i], th)) for i in pick)
    if hits / len(pick) >= th.min_share and hits >= th.min_framed_frames:
        return True
    if params is None:
        return False
    g = screen.GamutThresholds()
    gamut = [clip.clipped[idx[j]] for j in screen._spread(len(idx), g.frames)]
    return float(np.median(gamut)) >= params["max_clipped_share"]


def _count(clips: Sequence[ClipCues], params) -> dict[str, int]:
    c = {"live": 0, "live_refused": 0, "replay": 0, "replay_refused": 0}
    for clip in clips:
        for idx in windows(clip):
            key = "live" if clip.live else "replay"
            c[key] += 1
            c[key + "_refused"] += int(refused(clip, idx, params))
    return c


def choose(clips: Sequence[ClipCues]) -> dict[str, float]:
    """Among the grid points refusing none of the live attempts of `clips`, those refusing most of
    their replay attempts; of these, the middle one in strictness (not the edge of the plateau: a
    replay just caught at the strictest point, or a live clip just spared at the loosest, is a
    margin of one frame)."""
    scored = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values))
        c = _count(clips, params)
        if not c["live_refused"]:
            scored.append((c["replay_refused"], tuple(_STRICT[k] * -v for k, v in params.items()), params))
    if not scored:
        return dict(zip(GRID, (max(v) for v in GRID.values())))
    top = max(r for r, _, _ in scored)
    plateau = sorted((key, params) for r, key, params in scored if r == top)
    return plateau[len(plateau) // 2][1]


def leave_one_source_out(clips: Sequence[ClipCues]) -> dict[str, Any]:
    sources = sorted({c.source for c in clips})
    rows = {}
    for s in sources:
        train = [c for c in clips if c.source != s]
        test = [c for c in clips if c.source == s]
        params = choose(train)
        rows[s] = {"clips": [c.file for c in test], "params": params, "held_out": _count(test, params),
                   "frame_only": _count(test, None)}
    every = choose(clips)
    return {"per_source": rows, "params_on_all": every, "training": _count(clips, every),
            "frame_only_all": _count(clips, None)}


def run(dirs: Sequence[str | Path], json_path: str | Path | None = None) -> dict[str, Any]:
    from identity_app.checks import face_models
    from identity_app.evaluation import liveness_video as lv

    face_models.warm_up()
    clips = []
    for d in dirs:
        d = Path(d)
        for label in lv.read_labels(lv.find_labels(d)):
            path = d / label.file
            if path.is_file():
                clips.append(clip_cues(label.file, label.is_live, lv.load_attempt(path)))
    out = leave_one_source_out(clips)
    print(f"Screen-replay cues, leave one source out ({len(clips)} clips; attempts of {WINDOW_S:g} s every {STEP_S:g} s)")
    for s, r in out["per_source"].items():
        h, f = r["held_out"], r["frame_only"]
        print(f"  {s:12s} held out: replay attempts refused {h['replay_refused']}/{h['replay']}"
              f" (screen frame alone {f['replay_refused']}/{f['replay']}), live attempts refused"
              f" {h['live_refused']}/{h['live']} (frame alone {f['live_refused']}/{f['live']});"
              f" chosen on the others: {r['params']}")
    tot = {k: sum(r["held_out"][k] for r in out["per_source"].values()) for k in ("replay", "replay_refused", "live", "live_refused")}
    out["held_out_total"] = tot
    print(f"  held out, all sources: replays refused {tot['replay_refused']}/{tot['replay']},"
          f" live refused {tot['live_refused']}/{tot['live']}")
    t = out["training"]
    print(f"  training figures (chosen on every source, {out['params_on_all']}): replays refused"
          f" {t['replay_refused']}/{t['replay']}, live refused {t['live_refused']}/{t['live']}")
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=2))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+", help="folders of videos with labels")
    p.add_argument("--json", help="also write the figures to this JSON file")
    a = p.parse_args(argv)
    run(a.dirs, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
