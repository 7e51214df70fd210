"""Timings of the face checks with warm models (for `bench checks` and the issue's figures).

    python -m identity_app.evaluation.face_timing [DATA_ROOT] [--repeat N] [--json FILE]

DATA_ROOT defaults to ../shared/data. Uses real photos from it: a face
match pair (document stand-in and selfie), and a 30-frame 640 x 480
liveness sequence built from real stills of one person (frontal, turned
right, frontal, turned left by mirroring, eyes closed and open again).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np


def _camera_frame(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    s = min(640 / w, 480 / h)
    small = cv2.resize(image, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
    out = np.zeros((480, 640, 3), dtype=np.uint8)
    y, x = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def _percentiles(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2)}


def liveness_sequence(data_root: Path) -> tuple[list[np.ndarray], list[float], list]:
    """30 frames at 10 fps answering [TURN_RIGHT, BLINK, TURN_LEFT] with real stills of one person."""
    from identity_app.checks.liveness import Challenge

    pose = data_root / "liveness-pose-eyes-insightface"
    closed = _camera_frame(cv2.imread(str(pose / "reaction" / "close_eyes.jpeg")))
    opened = _camera_frame(cv2.imread(str(pose / "reaction" / "open_eyes.png")))
    right = _camera_frame(cv2.imread(str(pose / "pose" / "left_face.jpeg")))  # she turns to her right
    left = cv2.flip(right, 1)
    # "closed" is the frontal still (yaw 0); "opened" is turned 25 degrees, under the turn threshold.
    frames = [closed] * 3 + [right] * 4 + [opened] * 5 + [closed] * 2 + [opened] * 5 + [closed] * 3 + [left] * 4 + [closed] * 4
    return frames, [i / 10 for i in range(len(frames))], [Challenge.TURN_RIGHT, Challenge.BLINK, Challenge.TURN_LEFT]


def run_face_timing(data_root: str | Path, repeat: int = 10, json_path: str | Path | None = None) -> dict[str, Any]:
    from identity_app.checks import face_match, liveness, pad
    from identity_app.checks.face_models import warm_up

    root = Path(data_root)
    t0 = time.perf_counter()
    warm_up()
    result: dict[str, Any] = {"warm_up_s": round(time.perf_counter() - t0, 2)}
    fr = root / "face-verify-face_recognition" / "tests"
    doc, selfie = cv2.imread(str(fr / "obama.jpg")), cv2.imread(str(fr / "obama2.jpg"))
    result["face_match_report_pair"] = _percentiles(lambda: face_match.face_match_report(doc, selfie), repeat)
    frames, ts, challenges = liveness_sequence(root)
    result["analyse_frame_640x480"] = _percentiles(lambda: liveness.analyse_frame(frames[0]), repeat * 10)
    report = liveness.liveness_report(frames, ts, challenges)
    result["liveness_sequence"] = {"frames": len(frames), "challenges": [c.value for c in challenges],
                                   "recommendation": report.recommendation.value, "reason": report.reason}
    result["liveness_report_30_frames"] = _percentiles(lambda: liveness.liveness_report(frames, ts, challenges), repeat)
    analyses = [liveness.analyse_frame(f) for f in frames]
    result["liveness_report_30_frames_precomputed_analyses"] = _percentiles(
        lambda: liveness.liveness_report(frames, ts, challenges, analyses=analyses), repeat)
    crop = frames[0][100:380, 200:440]
    result["presentation_attack_score"] = _percentiles(lambda: pad.presentation_attack_score(crop), repeat * 10)
    for name, v in result.items():
        print(f"{name}: {v}")
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", default=str(Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--json")
    a = p.parse_args(argv)
    run_face_timing(a.data, a.repeat, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
