"""Fit the passive PAD weights of identity_app/checks/pad.py, with honest figures.

    python -m identity_app.evaluation.pad_fit DIR [--bpcer 0.05] [--whole-image]

Features are taken from the crop the app scores (pad_data.app_face_crop:
the face's landmark box), unless --whole-image.

1. Nested subject-wise cross-validation (leave one subject out, twice): for
   each held-out subject, the feature set (among `CANDIDATES`) and the
   regularisation C (among `C_GRID`) are chosen on the other subjects' own
   inner leave-one-subject-out scores (the pair with the lowest APCER at the
   target BPCER, ties to the higher ROC AUC), the threshold is taken at the
   target BPCER on those inner scores, and the model fitted on the other
   subjects with that pair scores the held-out one. APCER and BPCER are
   pooled over held-out subjects: held-out figures.
2. Final weights: the (feature set, C) pair the outer folds chose most often
   (ties to the one chosen on every subject's leave-one-subject-out scores),
   fitted on every subject; threshold at the target BPCER on that pair's
   leave-one-subject-out scores. Printed as Python constants to paste into pad.py.

numpy only (the logistic regression is fitted by Newton steps here).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass

import cv2
import numpy as np

from identity_app.checks.pad import FeatureSpec, features
from identity_app.evaluation.pad_data import app_face_crop, load_labels

# The candidate feature sets: the texture cues alone, with the image-quality cues, and with
# the colour LBP too; each on the crop as it is and shrunk to 96 px first.
CANDIDATES = tuple(FeatureSpec(g, b) for g in (("texture",), ("texture", "quality"),
                                               ("texture", "quality", "colour_lbp"))
                   for b in (None, 96))
C_GRID = (0.01, 0.1, 1.0, 10.0)

Features = dict  # FeatureSpec -> (samples x features) matrix, rows in the same order for every spec


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression on standardised features (sklearn's objective:
    0.5 |w|^2 + C * log-loss, intercept not penalised) by damped Newton steps, folded back to
    raw-feature weights. Newton on ~100 features converges in ~10 steps of a few ms: the
    nested CV's ~1,500 fits take seconds (sklearn's lbfgs took minutes at small C)."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    reg = np.ones(z.shape[1])
    reg[-1] = 0.0
    beta = np.zeros(z.shape[1])

    def loss(b: np.ndarray) -> float:
        m = z @ b
        return float(0.5 * np.sum(reg * b * b) + c * np.sum(np.logaddexp(0, m) - y * m))

    f = loss(beta)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -50, 50)))
        g = reg * beta + c * (z.T @ (p - y))
        if np.abs(g).max() < 1e-6 * max(1.0, c * len(y)):
            break
        step = np.linalg.solve(np.diag(reg + 1e-10) + c * (z.T * (p * (1 - p))) @ z, g)
        t = 1.0
        while (new := loss(beta - t * step)) > f - 1e-4 * t * (g @ step) and t > 1e-8:
            t /= 2
        converged = f - new < 1e-12 * max(1.0, abs(f))
        beta, f = beta - t * step, new
        if converged:
            break
    w = beta[:-1] / std
    return w, float(beta[-1] - np.dot(w, mean))


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
    """Probability that an attack scores above a bona fide sample (ties count half)."""
    a, b = scores[y == 1], scores[y == 0]
    if not len(a) or not len(b):
        return float("nan")
    return float(((a[:, None] > b[None, :]).sum() + 0.5 * (a[:, None] == b[None, :]).sum()) / (len(a) * len(b)))


@dataclass(frozen=True)
class Choice:
    spec: FeatureSpec | None
    c: float
    threshold: float
    apcer: float        # on the leave-one-subject-out scores it was chosen on
    auc: float
    bpcer: float = 0.0  # idem


def _as_table(x) -> dict:
    return x if isinstance(x, dict) else {None: x}


def _one_thread():
    # Small matrices: BLAS threads only fight over the 2 shared cores (a 10x slowdown measured).
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(1)


def choose(xs, y: np.ndarray, subjects: np.ndarray, bpcer: float,
           grid: tuple[float, ...] = C_GRID) -> Choice:
    """Feature set, C and threshold from leave-one-subject-out scores of these subjects only:
    the pair with the lowest APCER at the threshold that keeps BPCER <= `bpcer` on those
    scores, ties to the higher ROC AUC. `xs`: {FeatureSpec: matrix} of these samples (or one matrix)."""
    best: Choice | None = None
    with _one_thread():
        for spec, x in _as_table(xs).items():
            for c in grid:
                scores = _loso_scores(x, y, subjects, c)
                t = _threshold(scores[y == 0], bpcer)
                cand = Choice(spec, c, t, float(np.mean(scores[y == 1] < t)), _auc(y, scores),
                              float(np.mean(scores[y == 0] >= t)))
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
    chosen_spec: tuple[FeatureSpec | None, ...] = ()   # the feature set each outer fold chose
    scores: tuple[float, ...] = ()       # each sample's held-out score
    thresholds: tuple[float, ...] = ()   # the threshold its outer fold chose


def nested_cv(xs, y: np.ndarray, subjects: np.ndarray, bpcer: float = 0.05,
              grid: tuple[float, ...] = C_GRID) -> NestedResult:
    """Held-out figures: each subject scored by a model, feature set, C and threshold chosen without it.

    `xs`: {FeatureSpec: matrix} (the candidates to choose among) or one matrix."""
    table = _as_table(xs)
    held_out, flagged, chosen = np.zeros(len(y)), np.zeros(len(y), dtype=bool), []
    thresholds = np.zeros(len(y))
    for s in np.unique(subjects):
        test = subjects == s
        ch = choose({k: x[~test] for k, x in table.items()}, y[~test], subjects[~test], bpcer, grid)
        x = table[ch.spec]
        with _one_thread():
            w, b = _fit(x[~test], y[~test], ch.c)
        held_out[test] = _score(x[test], w, b)
        flagged[test] = held_out[test] >= ch.threshold
        thresholds[test] = ch.threshold
        chosen.append(ch)
    return NestedResult(float(np.mean(~flagged[y == 1])), float(np.mean(flagged[y == 0])), _auc(y, held_out),
                        int(y.sum()), int((1 - y).sum()), tuple(c.c for c in chosen), tuple(c.spec for c in chosen),
                        tuple(held_out.tolist()), tuple(thresholds.tolist()))


def final_choice(xs, y: np.ndarray, subjects: np.ndarray, r: NestedResult, bpcer: float = 0.05) -> Choice:
    """The (feature set, C) the outer folds chose most often, ties to the one chosen on all
    subjects; its threshold by the same rule on its leave-one-subject-out scores over all subjects."""
    table = _as_table(xs)
    overall = choose(table, y, subjects, bpcer)
    counts = Counter(zip(r.chosen_spec or (None,) * len(r.chosen_c), r.chosen_c))
    top = max(counts.values())
    tied = [k for k, n in counts.items() if n == top]
    spec, c = (overall.spec, overall.c) if (overall.spec, overall.c) in tied else tied[0]
    return choose({spec: table[spec]}, y, subjects, bpcer, (c,))


def nested_loso(x: np.ndarray, y: np.ndarray, subjects: np.ndarray, c: float = 1.0,
                bpcer: float = 0.05) -> tuple[float, float, float]:
    """Held-out (APCER, BPCER, ROC AUC) with C fixed (the grid of one value)."""
    r = nested_cv(x, y, subjects, bpcer, (c,))
    return r.apcer, r.bpcer, r.auc


def load_features(data_dir: str, whole_image: bool = False,
                  specs: tuple[FeatureSpec, ...] = CANDIDATES) -> tuple[dict, np.ndarray, np.ndarray]:
    """Features ({spec: matrix}) of the crops the app scores (of the whole image with
    `whole_image`); images without a face are left out (the liveness check stops at
    NO_FACE_PRESENT before scoring)."""
    crops, labels, subjects = [], [], []
    for s in load_labels(data_dir):
        image = cv2.imread(str(s.path), cv2.IMREAD_COLOR) if s.path.is_file() else None
        crop = image if image is None or whole_image else app_face_crop(image)
        if crop is not None:
            crops.append(crop)
            labels.append(int(s.is_attack))
            subjects.append(s.subject)
    return feature_table(crops, specs), np.array(labels, dtype=int), np.array(subjects)


def feature_table(crops: list[np.ndarray], specs: tuple[FeatureSpec, ...] = CANDIDATES) -> dict:
    return {spec: np.array([features(c, spec) for c in crops]).reshape(len(crops), len(spec.names))
            for spec in specs}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--bpcer", type=float, default=0.05, help="the BPCER the threshold keeps")
    p.add_argument("--whole-image", action="store_true", help="features of the whole image, not the app's crop")
    p.add_argument("--final", metavar="SPEC:C", help="fit the final weights with this pair (a label as printed,"
                   " e.g. texture+quality+colour_lbp:1) instead of the outer folds' most chosen")
    a = p.parse_args(argv)
    x, y, subjects = load_features(a.data, a.whole_image)

    r = nested_cv(x, y, subjects, a.bpcer)
    print(f"samples {len(y)} ({r.attacks} attacks, {r.bona_fide} bona fide), subjects {len(np.unique(subjects))}")
    print(f"held-out, nested subject-wise CV (feature set among {[c.label() for c in CANDIDATES]}, C among {C_GRID}"
          f" and the threshold at BPCER {a.bpcer:.0%} chosen on inner leave-one-subject-out folds):")
    print("  chosen per outer fold: " + ", ".join(f"{s.label()} C={c}" for s, c in zip(r.chosen_spec, r.chosen_c)))
    print(f"  APCER {r.apcer:.2%} ({round(r.apcer * r.attacks)}/{r.attacks}),"
          f" BPCER {r.bpcer:.2%} ({round(r.bpcer * r.bona_fide)}/{r.bona_fide}), ROC AUC {r.auc:.4f}")

    ch = final_choice(x, y, subjects, r, a.bpcer)
    if a.final:
        label, c = a.final.rsplit(":", 1)
        spec = next(k for k in x if k.label() == label)
        ch = choose({spec: x[spec]}, y, subjects, a.bpcer, (float(c),))
    with _one_thread():
        w, b = _fit(x[ch.spec], y, ch.c)
    train = _score(x[ch.spec], w, b)
    print(f"final fit on all subjects: {ch.spec.label()}, C {ch.c}; threshold {ch.threshold:.4f} from LOSO scores"
          f" (training-set APCER {np.mean(train[y == 1] < ch.threshold):.2%},"
          f" BPCER {np.mean(train[y == 0] >= ch.threshold):.2%})")
    print(f"SHIPPED_SPEC = FeatureSpec({ch.spec.groups!r}, {ch.spec.bottleneck!r})")
    print("WEIGHTS = np.array([" + ", ".join(f"{v:.6g}" for v in w) + "])")
    print(f"INTERCEPT = {b:.6g}")
    print(f"DEFAULT_THRESHOLD = {ch.threshold:.4f}  # LOSO APCER {ch.apcer:.2%}, BPCER {ch.bpcer:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
