"""Presentation-attack evaluation (ISO/IEC 30107-3 APCER / BPCER).

    python -m identity_app.evaluation.pad_eval DIR [--json FILE] [--threshold T] [--no-nested]

Reads DIR/labels.csv (`file,label[,subject]`, see pad_data.py) and scores
what the app scores: the face's landmark box cut from the image
(pad_data.app_face_crop, as liveness.passive_cues cuts it from each frame);
an image in which no face is found is counted apart (the liveness check
stops at NO_FACE_PRESENT before scoring it).

Two sets of figures:
- the shipped model (pad.presentation_attack_score at its threshold): APCER
  per attack type (the worst type is the headline figure), BPCER, ROC AUC,
  time per crop. On ../shared/data/pad-nuaa-dev, which the shipped weights
  were fitted on, these are TRAINING figures;
- held-out: a subject-wise nested cross-validation on DIR (pad_fit.nested_cv:
  for each held-out subject, the feature set among pad_fit.CANDIDATES, C and
  the threshold chosen on inner leave-one-subject-out folds of the other
  subjects, the model fitted on them). Needs at least 3 subjects; numpy
  only, a few seconds on 160 images.
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

from identity_app.evaluation.pad_data import PadSample, app_face_crop, attempts, load_labels


def _auc(bona: np.ndarray, attack: np.ndarray) -> float | None:
    if not len(bona) or not len(attack):
        return None
    # Probability an attack scores above a bona fide sample (ties count half).
    greater = (attack[:, None] > bona[None, :]).sum() + 0.5 * (attack[:, None] == bona[None, :]).sum()
    return float(greater / (len(bona) * len(attack)))


def _per_attempt(samples: list[PadSample], scores: np.ndarray, thresholds: np.ndarray) -> dict[str, Any]:
    """APCER / BPCER per attempt: the median score of up to 3 frames of one presentation
    against the threshold, as the liveness check judges an attempt (pad_data.attempts)."""
    groups = attempts(samples)
    attack = np.array([samples[g[0]].is_attack for g in groups], dtype=bool)
    flagged = np.array([np.median(scores[g]) >= thresholds[g[0]] for g in groups], dtype=bool)
    missed, rejected = int(np.sum(attack & ~flagged)), int(np.sum(~attack & flagged))
    return {"attacks": int(attack.sum()), "bona_fide": int((~attack).sum()),
            "accepted": missed, "rejected": rejected,
            "apcer": round(missed / max(1, attack.sum()), 4), "bpcer": round(rejected / max(1, (~attack).sum()), 4)}


def _print_attempts(a: dict[str, Any], indent: str) -> None:
    print(f"{indent}per attempt (median of up to 3 frames of one presentation, as the liveness check):"
          f" APCER {a['apcer']:.2%} ({a['accepted']}/{a['attacks']}), BPCER {a['bpcer']:.2%}"
          f" ({a['rejected']}/{a['bona_fide']})")


def _held_out(crops: list[np.ndarray], y: np.ndarray, subjects: np.ndarray,
              bpcer: float = 0.05, samples: list[PadSample] | None = None) -> dict[str, Any] | None:
    """Subject-wise nested CV figures (pad_fit.nested_cv), or None when they cannot be made."""
    n_subjects = len(set(subjects.tolist()))
    if n_subjects < 3 or not 0 < y.sum() < len(y):
        print(f"  held-out: not computed ({n_subjects} subjects; needs 3 and both classes)")
        return None
    from identity_app.evaluation.pad_fit import C_GRID, CANDIDATES, feature_table, nested_cv

    r = nested_cv(feature_table(crops), y, subjects, bpcer)
    out = {"method": f"subject-wise nested CV, leave one subject out; feature set among"
                     f" {[c.label() for c in CANDIDATES]}, C among {list(C_GRID)} and the threshold"
                     f" at BPCER {bpcer:.0%} chosen on inner leave-one-subject-out folds",
           "subjects": n_subjects, "attacks": r.attacks, "bona_fide": r.bona_fide,
           "apcer": round(r.apcer, 4), "bpcer": round(r.bpcer, 4), "roc_auc": round(r.auc, 4),
           "c_per_outer_fold": list(r.chosen_c),
           "features_per_outer_fold": [s.label() for s in r.chosen_spec]}
    print(f"  held-out ({out['method']}; {n_subjects} subjects):")
    print("    chosen per outer fold: " + ", ".join(f"{f} C={c}" for f, c in
                                                  zip(out["features_per_outer_fold"], r.chosen_c)))
    print(f"    APCER {r.apcer:.2%} ({round(r.apcer * r.attacks)}/{r.attacks}),"
          f" BPCER {r.bpcer:.2%} ({round(r.bpcer * r.bona_fide)}/{r.bona_fide}), ROC AUC {r.auc:.4f}")
    if samples:
        out["per_attempt"] = _per_attempt(samples, np.array(r.scores), np.array(r.thresholds))
        _print_attempts(out["per_attempt"], "    ")
    return out


def run_pad_evaluation(
    data_dir: str | Path, json_path: str | Path | None = None, threshold: float | None = None,
    nested: bool = True, bpcer: float = 0.05,
) -> dict[str, Any]:
    from identity_app.checks import pad

    t = pad.DEFAULT_THRESHOLD if threshold is None else threshold
    samples = load_labels(data_dir)
    if not samples:
        raise SystemExit(f"no labels.csv with file,label columns under {data_dir}")
    scores: list[tuple[str | None, float]] = []
    unreadable, no_face, times = 0, {"bona_fide": 0, "attack": 0}, []
    crops, labels, subjects, kept = [], [], [], []
    for s in samples:
        image = cv2.imread(str(s.path), cv2.IMREAD_COLOR) if s.path.is_file() else None
        if image is None:
            unreadable += 1
            continue
        crop = app_face_crop(image)
        if crop is None:
            no_face["attack" if s.is_attack else "bona_fide"] += 1
            continue
        t0 = time.perf_counter()
        f = pad.pad_features(crop)
        scores.append((s.attack_type, pad.score_features(f)))
        times.append((time.perf_counter() - t0) * 1000)
        crops.append(crop)
        kept.append(s)
        labels.append(int(s.is_attack))
        subjects.append(s.subject)
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
        "no_face_found": no_face,
        "scored": "the app's face crop (landmark box)",
        "apcer_per_type": per_type,
        "apcer_worst": max((v["apcer"] for v in per_type.values()), default=None),
        "bpcer": round(rejected / len(bona), 4) if len(bona) else None,
        "bona_fide_rejected": rejected,
        "roc_auc": None if (a := _auc(bona, attacks)) is None else round(a, 4),
        "ms_per_image_median": round(statistics.median(times), 2) if times else None,
    }
    print(f"PAD evaluation: {data_dir}, scoring the face crop the app scores")
    print(f"  bona fide {len(bona)}, attacks {len(attacks)}, unreadable {unreadable},"
          f" no face found {no_face['bona_fide']} bona fide / {no_face['attack']} attacks (not scored)")
    print(f"  shipped model at threshold {t}:")
    for name, v in per_type.items():
        print(f"  APCER [{name}]: {v['apcer']:.2%} ({v['accepted']}/{v['attacks']} accepted)")
    if result["apcer_worst"] is not None:
        print(f"  APCER (worst type): {result['apcer_worst']:.2%}")
    if result["bpcer"] is not None:
        print(f"  BPCER: {result['bpcer']:.2%} ({rejected}/{len(bona)} bona fide rejected)")
    print(f"  ROC AUC {result['roc_auc']}; {result['ms_per_image_median']} ms per image")
    if kept:
        all_scores = np.array([v for _, v in scores])
        result["per_attempt"] = _per_attempt(kept, all_scores, np.full(len(kept), t))
        _print_attempts(result["per_attempt"], "  ")
    print("  note: the shipped weights were fitted on ../shared/data/pad-nuaa-dev; on that folder the figures"
          " above are training figures")
    result["held_out"] = _held_out(crops, np.array(labels), np.array(subjects), samples=kept) if nested else None
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="folder with labels.csv (file,label)")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--threshold", type=float, help="operating threshold (default: pad.DEFAULT_THRESHOLD)")
    p.add_argument("--no-nested", action="store_true", help="skip the held-out nested cross-validation")
    a = p.parse_args(argv)
    run_pad_evaluation(a.data, a.json, a.threshold, nested=not a.no_nested)
    return 0


if __name__ == "__main__":
    sys.exit(main())
