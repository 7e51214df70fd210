"""Printed photos against the active challenge, and per-frame speed.

    python -m identity_app.evaluation.liveness_eval DIR [--json FILE] [--limit N]

Every face image under DIR (its labels.csv rows if there is one, else all
.jpg/.jpeg/.png files) is treated as a printed photo held in front of the
camera and moved the ways an attacker would: tilted left/right about its
vertical axis, tilted up/down, turned in plane while moved and scaled, and
bent around a vertical cylinder. Each motion becomes a 5 fps sequence of
640 x 480 frames; each sequence is offered to every challenge. The print
shows the photo's largest face with a margin (as an attacker would print
it). An attack is accepted when `evaluate_challenges` completes the challenge (the active
part alone); such sequences then go through the whole `liveness_report`
(3-D motion, same face, passive cues) and APCER counts those it approves. It also times `analyse_frame` on 640 x 480 frames.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from identity_app.evaluation.pad_data import load_labels


def camera_frame(image: np.ndarray, scale: float = 0.8) -> np.ndarray:
    """The image centred on a 640 x 480 grey background, filling `scale` of the height."""
    h, w = image.shape[:2]
    s = min(640 * scale / w, 480 * scale / h)
    small = cv2.resize(image, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_LINEAR)
    out = np.full((480, 640, 3), 90, dtype=np.uint8)
    y, x = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def _perspective(image: np.ndarray, yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """A flat print rotated about its vertical (yaw) and horizontal (pitch) axes, pinhole camera."""
    h, w = image.shape[:2]
    f = 1.2 * max(w, h)
    a, b = np.radians(yaw_deg), np.radians(pitch_deg)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    q = corners @ (rx @ ry).T
    q[:, 2] += f
    dst = np.stack([q[:, 0] * f / q[:, 2] + w / 2, q[:, 1] * f / q[:, 2] + h / 2], axis=1).astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(90, 90, 90))


def _bent(image: np.ndarray, amount: float) -> np.ndarray:
    """The print bent around a vertical cylinder (amount -1..1), seen from the front."""
    h, w = image.shape[:2]
    xs = np.linspace(-1, 1, w, dtype=np.float32)
    # Horizontal compression towards the edges, shifted to one side: a bent sheet turning away.
    src_x = (np.sin(xs * (1 + abs(amount)) * np.pi / 2) / np.sin((1 + abs(amount)) * np.pi / 2) if amount else xs)
    src_x = np.clip(src_x + 0.25 * amount * (1 - xs ** 2), -1, 1)
    map_x = np.tile(((src_x + 1) / 2 * (w - 1)).astype(np.float32), (h, 1))
    map_y = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderValue=(90, 90, 90))


def _in_plane(image: np.ndarray, angle: float, dx: float, scale: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[0, 2] += dx * w
    return cv2.warpAffine(image, m, (w, h), borderValue=(90, 90, 90))


def _print_of_face(image: np.ndarray) -> np.ndarray:
    """What an attacker would print: the largest face with a margin (so it fills the camera)."""
    from identity_app.checks import faces

    found = faces.find_face(image, allow_multiple=True)
    if found.box is None:
        return image
    return faces.crop(image, found.box, margin=0.6)


SWEEP = [0, 0, 0, 10, 20, 30, 40, 50, 40, 30, 20, 10, 0, -10, -20, -30, -40, -50, -40, -20, 0, 0]

MOTIONS: dict[str, Callable[[np.ndarray], list[np.ndarray]]] = {
    "tilt_yaw_50": lambda im: [camera_frame(_perspective(im, a, 0)) for a in SWEEP],
    "tilt_pitch_30": lambda im: [camera_frame(_perspective(im, 0, a * 0.6)) for a in SWEEP],
    "tilt_yaw_pitch": lambda im: [camera_frame(_perspective(im, a, -a * 0.4)) for a in SWEEP],
    "rotate_move_scale": lambda im: [camera_frame(_in_plane(im, a * 0.4, a / 250, 1 + abs(a) / 200)) for a in SWEEP],
    "bend": lambda im: [camera_frame(_bent(im, a / 60)) for a in SWEEP],
}


def _images(data_dir: Path) -> list[Path]:
    labelled = [s.path for s in load_labels(data_dir) if s.path.is_file()]
    if labelled:
        return labelled
    return sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def run_liveness_evaluation(data_dir: str | Path, json_path: str | Path | None = None,
                            limit: int | None = None) -> dict[str, Any]:
    from identity_app.checks import liveness
    from identity_app.checks.face_models import warm_up

    warm_up()
    paths = _images(Path(data_dir))[:limit]
    fps = 5.0
    accepted: dict[str, dict[str, int]] = {m: {c.value: 0 for c in liveness.Challenge} for m in MOTIONS}
    approved: dict[str, dict[str, int]] = {m: {c.value: 0 for c in liveness.Challenge} for m in MOTIONS}
    planar: dict[str, list[float]] = {m: [] for m in MOTIONS}
    offered: dict[str, int] = {m: 0 for m in MOTIONS}
    no_face_sequences = 0
    frame_ms: list[float] = []
    max_yaw_range: dict[str, float] = {m: 0.0 for m in MOTIONS}
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        image = _print_of_face(image)
        for motion, make in MOTIONS.items():
            frames = make(image)
            analyses = []
            for f in frames:
                t0 = time.perf_counter()
                analyses.append(liveness.analyse_frame(f))
                frame_ms.append((time.perf_counter() - t0) * 1000)
            yaws = [a.yaw for a in analyses if a.has_face]
            if len(yaws) < len(frames) // 2:
                no_face_sequences += 1  # the camera would not even see a face: rejected earlier
                continue
            offered[motion] += 1
            max_yaw_range[motion] = max(max_yaw_range[motion], max(yaws) - min(yaws))
            ts = [i / fps for i in range(len(frames))]
            for challenge in liveness.Challenge:
                (o,) = liveness.evaluate_challenges(analyses, ts, [challenge])
                accepted[motion][challenge.value] += int(o.completed)
                if o.completed:  # the whole check, with its 3-D motion, same-face and passive cues
                    report = liveness.liveness_report(frames, ts, [challenge], analyses=analyses)
                    approved[motion][challenge.value] += int(report.recommendation.value == "APPROVE")
            # The flat-sheet cue between the first frame and the most distorted ones.
            for k in (7, 17):
                if analyses[0].has_face and analyses[k].has_face:
                    share, matches = liveness.planar_share(frames[0], analyses[0].face_box, frames[k], analyses[k].face_box)
                    if matches >= liveness.LivenessThresholds().planar_min_matches:
                        planar[motion].append(share)
    total_offered = sum(offered.values()) * len(liveness.Challenge)
    total_accepted = sum(sum(v.values()) for v in accepted.values())
    total_approved = sum(sum(v.values()) for v in approved.values())
    result: dict[str, Any] = {
        "data_dir": str(data_dir),
        "photos": len(paths),
        "sequences_with_face": sum(offered.values()),
        "sequences_without_face": no_face_sequences,
        "attack_presentations": total_offered,
        "accepted": total_accepted,
        "apcer_active_challenge": round(total_accepted / total_offered, 4) if total_offered else None,
        "accepted_per_motion_and_challenge": accepted,
        "approved_by_full_report": total_approved,
        "apcer_full_report": round(total_approved / total_offered, 4) if total_offered else None,
        "approved_per_motion_and_challenge": approved,
        "planar_share_min_per_motion": {k: round(min(v), 3) if v else None for k, v in planar.items()},
        "planar_share_pairs_per_motion": {k: len(v) for k, v in planar.items()},
        "max_3d_yaw_range_deg_per_motion": {k: round(v, 1) for k, v in max_yaw_range.items()},
        "analyse_frame_ms_p50": round(statistics.median(frame_ms), 2) if frame_ms else None,
        "analyse_frame_ms_p95": round(float(np.percentile(frame_ms, 95)), 2) if frame_ms else None,
        "frames_analysed": len(frame_ms),
    }
    print(f"Printed-photo attacks on the active challenge: {data_dir}")
    print(f"  photos {len(paths)}, sequences with a face {result['sequences_with_face']}"
          f" (without {no_face_sequences}), presentations {total_offered}")
    for motion, per in accepted.items():
        low = result["planar_share_min_per_motion"][motion]
        print(f"  {motion:18s} challenge answered {sum(per.values())}/{offered[motion] * len(per)},"
              f" whole check approved {sum(approved[motion].values())};"
              f" widest 3-D yaw range {max_yaw_range[motion]:.1f} deg;"
              f" lowest flat-sheet share {low} over {len(planar[motion])} frame pairs")
    if total_offered:
        print(f"  challenge answered by a print: {result['apcer_active_challenge']:.2%} ({total_accepted}/{total_offered})")
        print(f"  APCER (whole liveness check): {result['apcer_full_report']:.2%} ({total_approved}/{total_offered})")
    print(f"  analyse_frame 640x480: p50 {result['analyse_frame_ms_p50']} ms,"
          f" p95 {result['analyse_frame_ms_p95']} ms over {len(frame_ms)} frames")
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="folder of face photos (labels.csv rows, or every image)")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--limit", type=int, help="use only the first N photos")
    a = p.parse_args(argv)
    run_liveness_evaluation(a.data, a.json, a.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
