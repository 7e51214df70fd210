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


def _bent(image: np.ndarray, bend_deg: float, turn_deg: float = 0.0) -> np.ndarray:
    """The print curled around a vertical cylinder and turned, seen by a pinhole camera.

    `bend_deg` is the angle the print's half-width wraps around the cylinder
    (0 = flat); `turn_deg` turns the curled print about the vertical axis.
    """
    h, w = image.shape[:2]
    f = 1.2 * max(w, h)
    half = w / 2
    u = np.linspace(-half, half, 4 * w)                   # arc length across the print
    if abs(bend_deg) > 1e-3:
        radius = half / np.radians(abs(bend_deg))
        x3 = radius * np.sin(u / radius)
        z3 = np.sign(bend_deg) * radius * (1 - np.cos(u / radius))
    else:
        x3, z3 = u, np.zeros_like(u)
    t = np.radians(turn_deg)
    xr, zr = x3 * np.cos(t) + z3 * np.sin(t), -x3 * np.sin(t) + z3 * np.cos(t) + f
    x_out = xr * f / zr + w / 2
    order = np.argsort(x_out)
    cols = np.arange(w, dtype=np.float64)
    u_of_col = np.interp(cols, x_out[order], u[order], left=np.nan, right=np.nan)
    z_of_col = np.interp(cols, x_out[order], zr[order])
    map_x = np.tile((u_of_col + half).astype(np.float32), (h, 1))
    rows = np.arange(h, dtype=np.float64)[:, None] - h / 2
    map_y = (rows * z_of_col[None, :] / f + h / 2).astype(np.float32)
    map_x[np.isnan(map_x)] = -1
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(90, 90, 90))


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
    "bend": lambda im: [camera_frame(_bent(im, abs(a) * 1.2, 0)) for a in SWEEP],
    "bend_and_turn": lambda im: [camera_frame(_bent(im, 40, a)) for a in SWEEP],
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
    offered: dict[str, int] = {m: 0 for m in MOTIONS}
    no_face_sequences = 0
    sequences_with_expression = 0  # sequences that answered a BLINK or an OPEN_MOUTH
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
            expression_answered = False
            for challenge in liveness.Challenge:
                (o,) = liveness.evaluate_challenges(analyses, ts, [challenge])
                accepted[motion][challenge.value] += int(o.completed)
                expression_answered |= o.completed and challenge in liveness.EXPRESSIONS
                if o.completed:  # the whole check, with its 3-D motion, same-face and passive cues
                    report = liveness.liveness_report(frames, ts, [challenge], analyses=analyses)
                    approved[motion][challenge.value] += int(report.recommendation.value == "APPROVE")
            sequences_with_expression += int(expression_answered)

    total_offered = sum(offered.values()) * len(liveness.Challenge)
    total_accepted = sum(sum(v.values()) for v in accepted.values())
    total_approved = sum(sum(v.values()) for v in approved.values())
    expressions = sum(v[c.value] for v in accepted.values() for c in liveness.EXPRESSIONS)
    turns = sum(v[c.value] for v in accepted.values() for c in liveness.TURNS)
    per_kind = sum(offered.values()) * 2
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
        "expression_challenges_answered": expressions,
        "sequences_answering_an_expression": sequences_with_expression,
        "apcer_challenge_set_with_expression_max": round(sequences_with_expression / max(1, sum(offered.values())), 4),
        "turn_challenges_answered": turns,
        "max_3d_yaw_range_deg_per_motion": {k: round(v, 1) for k, v in max_yaw_range.items()},
        "analyse_frame_ms_p50": round(statistics.median(frame_ms), 2) if frame_ms else None,
        "analyse_frame_ms_p95": round(float(np.percentile(frame_ms, 95)), 2) if frame_ms else None,
        "frames_analysed": len(frame_ms),
    }
    print(f"Printed-photo attacks on the active challenge: {data_dir}")
    print(f"  photos {len(paths)}, sequences with a face {result['sequences_with_face']}"
          f" (without {no_face_sequences}), presentations {total_offered}")
    for motion, per in accepted.items():
        answered = ", ".join(f"{k.lower()} {v}" for k, v in per.items())
        print(f"  {motion:18s} {offered[motion]} sequences; answered: {answered};"
              f" whole check approved {sum(approved[motion].values())};"
              f" widest 3-D yaw range {max_yaw_range[motion]:.1f} deg")
    if total_offered:
        print(f"  single challenge answered by a print: {result['apcer_active_challenge']:.2%} ({total_accepted}/{total_offered});"
              f" turns {turns}/{per_kind}, blink or open mouth {expressions}/{per_kind}")
        n_seq = sum(offered.values())
        print(f"  APCER of any challenge set holding an expression (random_challenges): at most"
              f" {sequences_with_expression / n_seq:.2%} ({sequences_with_expression}/{n_seq} sequences answered one)")
        print(f"  APCER (whole liveness check, single challenge): {result['apcer_full_report']:.2%} ({total_approved}/{total_offered})")
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
