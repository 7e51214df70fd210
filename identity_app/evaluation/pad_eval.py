"""Presentation-attack evaluation (ISO/IEC 30107-3 APCER / BPCER).

    python -m identity_app.evaluation.pad_eval DIR [--json FILE] [--threshold T]

Reads DIR/labels.csv (`file,label`, see pad_data.py), scores every image
with the shipped single-frame passive score (pad.presentation_attack_score,
the image taken as the face crop), and prints APCER per attack type (the
worst type is the headline figure) and BPCER at the operating threshold,
plus the ROC AUC and time per image.

Caution: the shipped weights were fitted on ../shared/data/pad-nuaa-dev, so
figures on that folder are training figures. The held-out estimate comes
from `python -m identity_app.evaluation.pad_fit ../shared/data/pad-nuaa-dev`
(nested leave-one-subject-out).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from identity_app.evaluation.pad_data import load_labels


def _auc(bona: np.ndarray, attack: np.ndarray) -> float | None:
    if not len(bona) or not len(attack):
        return None
    # Probability an attack scores above a bona fide sample (ties count half).
    greater = (attack[:, None] > bona[None, :]).sum() + 0.5 * (attack[:, None] == bona[None, :]).sum()
    return float(greater / (len(bona) * len(attack)))


def run_pad_evaluation(
    data_dir: str | Path, json_path: str | Path | None = None, threshold: float | None = None
) -> dict[str, Any]:
    from identity_app.checks import pad

    t = pad.DEFAULT_THRESHOLD if threshold is None else threshold
    samples = load_labels(data_dir)
    if not samples:
        raise SystemExit(f"no labels.csv with file,label columns under {data_dir}")
    scores: list[tuple[str | None, float]] = []
    unreadable, times = 0, []
    for s in samples:
        image = cv2.imread(str(s.path), cv2.IMREAD_COLOR)
        if image is None:
            unreadable += 1
            continue
        t0 = time.perf_counter()
        scores.append((s.attack_type, pad.presentation_attack_score(image)))
        times.append((time.perf_counter() - t0) * 1000)
    bona = np.array([v for a, v in scores if a is None])
    per_type: dict[str, dict[str, Any]] = {}
    for attack_type in sorted({a for a, _ in scores if a is not None}):
        vals = np.array([v for a, v in scores if a == attack_type])
        accepted = int(np.sum(vals < t))
        per_type[attack_type] = {"attacks": int(len(vals)), "accepted": accepted, "apcer": round(accepted / len(vals), 4)}
    attacks = np.array([v for a, v in scores if a is not None])
    rejected = int(np.sum(bona >= t))
    result: dict[str, Any] = {
        "data_dir": str(data_dir),
        "threshold": t,
        "bona_fide": int(len(bona)),
        "attacks": int(len(attacks)),
        "unreadable": unreadable,
        "apcer_per_type": per_type,
        "apcer_worst": max((v["apcer"] for v in per_type.values()), default=None),
        "bpcer": round(rejected / len(bona), 4) if len(bona) else None,
        "bona_fide_rejected": rejected,
        "roc_auc": None if (a := _auc(bona, attacks)) is None else round(a, 4),
        "ms_per_image_median": round(statistics.median(times), 2) if times else None,
    }
    print(f"PAD evaluation: {data_dir} (threshold {t})")
    print(f"  bona fide {len(bona)}, attacks {len(attacks)}, unreadable {unreadable}")
    for name, v in per_type.items():
        print(f"  APCER [{name}]: {v['apcer']:.2%} ({v['accepted']}/{v['attacks']} accepted)")
    if result["apcer_worst"] is not None:
        print(f"  APCER (worst type): {result['apcer_worst']:.2%}")
    if result["bpcer"] is not None:
        print(f"  BPCER: {result['bpcer']:.2%} ({rejected}/{len(bona)} bona fide rejected)")
    print(f"  ROC AUC {result['roc_auc']}; {result['ms_per_image_median']} ms per image")
    print("  note: the shipped weights were fitted on ../shared/data/pad-nuaa-dev; on that folder these are"
          " training figures (held-out: python -m identity_app.evaluation.pad_fit DIR)")
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="folder with labels.csv (file,label)")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--threshold", type=float, help="operating threshold (default: pad.DEFAULT_THRESHOLD)")
    a = p.parse_args(argv)
    run_pad_evaluation(a.data, a.json, a.threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
