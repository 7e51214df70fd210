"""Fit the passive PAD weights of identity_app/checks/pad.py, with honest figures.

    python -m identity_app.evaluation.pad_fit DIR [--bpcer 0.05] [--whole-image]

Features are taken from the crop the app scores (pad_data.app_face_crop:
the face's landmark box), unless --whole-image.

1. Nested subject-wise cross-validation (leave one subject out, twice): for
   each held-out subject, the regularisation C is chosen among `C_GRID` on
   the other subjects' own inner leave-one-subject-out scores (the C with
   the lowest APCER at the target BPCER, ties to the higher ROC AUC), the
   threshold is taken at the target BPCER on those inner scores, and the
   model fitted on the other subjects with that C scores the held-out one.
   APCER and BPCER are pooled over held-out subjects: held-out figures.
2. Final weights: C chosen the same way on every subject's leave-one-subject-
   out scores, fitted on every subject; threshold at the target BPCER on those
   scores. Printed as Python constants to paste into pad.py.

Needs scikit-learn (offline tool only; the check itself uses numpy).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import cv2
import numpy as np

from identity_app.checks.pad import pad_features
from identity_app.evaluation.pad_data import app_face_crop, load_labels

C_GRID = (0.01, 0.1, 1.0, 10.0)


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, folded back to raw-feature weights."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=10000).fit((x - mean) / std, y)
    w = model.coef_[0] / std
    return w, float(model.intercept_[0] - np.dot(w, mean))


def _score(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -50, 50)))


def _loso_scores(x, y, subjects, c) -> np.ndarray:
    out = np.zeros(len(y))
    for s in np.unique(subjects):
        test = subjects == s
        w, b = _fit(x[~test], y[~test], c)
        out[test] = _score(x[test], w, b)
    return out


def _threshold(bona_fide_scores: np.ndarray, bpcer: float) -> float:
    # Attack when score >= threshold: keep at most `bpcer` of bona fide at or above it.
    return float(np.quantile(bona_fide_scores, 1 - bpcer, method="higher") + 1e-6)


def _auc(y: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, scores)) if 0 < y.sum() < len(y) else float("nan")


@dataclass(frozen=True)
class Choice:
    c: float
    threshold: float
    apcer: float        # on the leave-one-subject-out scores it was chosen on
    auc: float


def choose(x: np.ndarray, y: np.ndarray, subjects: np.ndarray, bpcer: float,
           grid: tuple[float, ...] = C_GRID) -> Choice:
    """C and threshold from leave-one-subject-out scores of these subjects only."""
    best: Choice | None = None
    for c in grid:
        scores = _loso_scores(x, y, subjects, c)
        t = _threshold(scores[y == 0], bpcer)
        cand = Choice(c, t, float(np.mean(scores[y == 1] < t)), _auc(y, scores))
        if best is None or (cand.apcer, -cand.auc) < (best.apcer, -best.auc):
            best = cand
    assert best is not None
    return best


@dataclass(frozen=True)
class NestedResult:
    apcer: float
    bpcer: float
    auc: float
    attacks: int
    bona_fide: int
    chosen_c: tuple[float, ...]   # the C each outer fold chose


def nested_cv(x: np.ndarray, y: np.ndarray, subjects: np.ndarray, bpcer: float = 0.05,
              grid: tuple[float, ...] = C_GRID) -> NestedResult:
    """Held-out figures: each subject scored by a model, C and threshold chosen without it."""
    held_out, flagged, chosen = np.zeros(len(y)), np.zeros(len(y), dtype=bool), []
    for s in np.unique(subjects):
        test = subjects == s
        ch = choose(x[~test], y[~test], subjects[~test], bpcer, grid)
        w, b = _fit(x[~test], y[~test], ch.c)
        held_out[test] = _score(x[test], w, b)
        flagged[test] = held_out[test] >= ch.threshold
        chosen.append(ch.c)
    return NestedResult(float(np.mean(~flagged[y == 1])), float(np.mean(flagged[y == 0])), _auc(y, held_out),
                        int(y.sum()), int((1 - y).sum()), tuple(chosen))


def nested_loso(x: np.ndarray, y: np.ndarray, subjects: np.ndarray, c: float = 1.0,
                bpcer: float = 0.05) -> tuple[float, float, float]:
    """Held-out (APCER, BPCER, ROC AUC) with C fixed (the grid of one value)."""
    r = nested_cv(x, y, subjects, bpcer, (c,))
    return r.apcer, r.bpcer, r.auc


def load_features(data_dir: str, whole_image: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of the crops the app scores (of the whole image with `whole_image`); images
    without a face are left out (the liveness check stops at NO_FACE_PRESENT before scoring)."""
    rows = []
    for s in load_labels(data_dir):
        image = cv2.imread(str(s.path), cv2.IMREAD_COLOR) if s.path.is_file() else None
        crop = image if image is None or whole_image else app_face_crop(image)
        if crop is not None:
            rows.append((pad_features(crop), int(s.is_attack), s.subject))
    return (np.array([r[0] for r in rows]), np.array([r[1] for r in rows], dtype=int),
            np.array([r[2] for r in rows]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--bpcer", type=float, default=0.05)
    p.add_argument("--whole-image", action="store_true", help="features of the whole image, not the app's crop")
    a = p.parse_args(argv)
    x, y, subjects = load_features(a.data, a.whole_image)

    r = nested_cv(x, y, subjects, a.bpcer)
    print(f"samples {len(y)} ({r.attacks} attacks, {r.bona_fide} bona fide), subjects {len(np.unique(subjects))}")
    print(f"held-out, nested subject-wise CV (C among {C_GRID} and the threshold at BPCER {a.bpcer:.0%}"
          f" chosen on inner leave-one-subject-out folds; C chosen per outer fold: {r.chosen_c}):")
    print(f"  APCER {r.apcer:.2%} ({round(r.apcer * r.attacks)}/{r.attacks}),"
          f" BPCER {r.bpcer:.2%} ({round(r.bpcer * r.bona_fide)}/{r.bona_fide}), ROC AUC {r.auc:.4f}")

    ch = choose(x, y, subjects, a.bpcer)
    w, b = _fit(x, y, ch.c)
    train = _score(x, w, b)
    print(f"final fit on all subjects with C {ch.c}; threshold {ch.threshold:.4f} from LOSO scores"
          f" (training-set APCER {np.mean(train[y == 1] < ch.threshold):.2%},"
          f" BPCER {np.mean(train[y == 0] >= ch.threshold):.2%})")
    print("WEIGHTS = np.array([" + ", ".join(f"{v:.6g}" for v in w) + "])")
    print(f"INTERCEPT = {b:.6g}")
    print(f"DEFAULT_THRESHOLD = {ch.threshold:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
