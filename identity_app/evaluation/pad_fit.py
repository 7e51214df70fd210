"""Fit the passive PAD weights of identity_app/checks/pad.py, with honest figures.

    python -m identity_app.evaluation.pad_fit DIR [--bpcer 0.05] [--C 1.0]

1. Nested leave-one-subject-out: for each held-out subject, fit on the
   others, choose the threshold on the others' own inner
   leave-one-subject-out scores at the target BPCER, and apply both to the
   held-out subject. APCER and BPCER are pooled over held-out subjects.
2. Final weights: fit on every subject; threshold at the target BPCER on
   the (single-level) leave-one-subject-out scores. Printed as Python
   constants to paste into pad.py.

Needs scikit-learn (offline tool only; the check itself uses numpy).
"""
from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from identity_app.checks.pad import pad_features
from identity_app.evaluation.pad_data import load_labels


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


def nested_loso(x: np.ndarray, y: np.ndarray, subjects: np.ndarray, c: float = 1.0,
                bpcer: float = 0.05) -> tuple[float, float, float]:
    """Held-out (APCER, BPCER, ROC AUC): each subject scored by a model and a
    threshold that never saw it (threshold from inner leave-one-subject-out)."""
    from sklearn.metrics import roc_auc_score

    held_out, attack_flag = np.zeros(len(y)), np.zeros(len(y), dtype=bool)
    for s in np.unique(subjects):
        test = subjects == s
        inner = _loso_scores(x[~test], y[~test], subjects[~test], c)
        t = _threshold(inner[y[~test] == 0], bpcer)
        w, b = _fit(x[~test], y[~test], c)
        held_out[test] = _score(x[test], w, b)
        attack_flag[test] = held_out[test] >= t
    return (float(np.mean(~attack_flag[y == 1])), float(np.mean(attack_flag[y == 0])),
            float(roc_auc_score(y, held_out)))


def load_features(data_dir: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    samples = [s for s in load_labels(data_dir) if s.path.is_file()]
    x = np.array([pad_features(cv2.imread(str(s.path))) for s in samples])
    y = np.array([s.is_attack for s in samples], dtype=int)
    return x, y, np.array([s.subject for s in samples])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--bpcer", type=float, default=0.05)
    p.add_argument("--C", type=float, default=1.0)
    a = p.parse_args(argv)
    x, y, subjects = load_features(a.data)

    apcer, bpcer, auc = nested_loso(x, y, subjects, a.C, a.bpcer)
    print(f"samples {len(y)} ({int(y.sum())} attacks, {int((1 - y).sum())} bona fide), subjects {len(np.unique(subjects))}")
    print(f"nested leave-one-subject-out, threshold at BPCER {a.bpcer:.0%} on inner folds:")
    print(f"  APCER {apcer:.2%} ({round(apcer * y.sum())}/{int(y.sum())}),"
          f" BPCER {bpcer:.2%} ({round(bpcer * (1 - y).sum())}/{int((1 - y).sum())}), ROC AUC {auc:.4f}")

    loso = _loso_scores(x, y, subjects, a.C)
    t = _threshold(loso[y == 0], a.bpcer)
    w, b = _fit(x, y, a.C)
    train = _score(x, w, b)
    print(f"final fit on all subjects; threshold {t:.4f} from LOSO scores"
          f" (training-set APCER {np.mean(train[y == 1] < t):.2%}, BPCER {np.mean(train[y == 0] >= t):.2%})")
    print("WEIGHTS = np.array([" + ", ".join(f"{v:.6g}" for v in w) + "])")
    print(f"INTERCEPT = {b:.6g}")
    print(f"DEFAULT_THRESHOLD = {t:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
