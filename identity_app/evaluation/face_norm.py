"""Cohort score normalisation for face match, measured held-out (not used: face_match.py says why).

A pair's unit distance d(a, b) is set against how near each face lies to a cohort of other
people's faces: with mu_a the mean distance of a to its K nearest cohort faces,
- `ratio`: d / ((mu_a + mu_b) / 2), a look-alike-dense region asks for a closer match;
- `asnorm` (adaptive symmetric normalisation): ((d - mu_a) / sd_a + (d - mu_b) / sd_b) / 2.
A face's cohort never holds the pair's own two people (in use, neither would be in it).

Nested subject-wise cross-validation: for each outer fold, the method's K is chosen by an
inner cross-validation on the other folds' people (cohort: the inner training people), then
the threshold for the target FMR on all the other folds' people (cohort: them); both are
measured on the fold's own people, who took no part in either.

    python -m identity_app.evaluation.face_norm --data ../shared/data [--people DIR] --cache DIR
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np

from identity_app.evaluation import face_calibration as cal

GRIDS = {"unit": (0,), "ratio": (5, 10, 25, 50, 400), "asnorm": (10, 25, 50, 100, 400)}


@dataclass
class Faces:
    """Unit embeddings with their people, groups and folds, and the pairs face_eval counts."""

    emb: np.ndarray
    person: np.ndarray   # person index of each image
    fold: np.ndarray
    genuine: np.ndarray  # (n, n) bool, upper triangle
    impostor: np.ndarray
    folds: int


def faces_of(emb: np.ndarray, identities: list[str], groups: list[str], folds: int = 5) -> Faces:
    E = cal.unit(emb)
    n = len(identities)
    _, person = np.unique(np.array(identities), return_inverse=True)
    _, group = np.unique(np.array(groups), return_inverse=True)
    d = np.linalg.norm(E[:, None] - E[None], axis=2)
    upper = np.triu(np.ones((n, n), bool), 1)
    same = person[:, None] == person[None]
    genuine = upper & same & (group[:, None] != group[None]) & (d >= 0.05 / 1.4)  # near-copies as face_eval
    return Faces(E, person, np.array([cal.fold_of(i, folds) for i in identities]), genuine, upper & ~same, folds)


def scores(f: Faces, cohort: np.ndarray, method: str, k: int) -> np.ndarray:
    """(n, n) pair scores, lower = more alike; `cohort`: indices of the cohort's images."""
    E = f.emb
    d = np.linalg.norm(E[:, None] - E[None], axis=2)
    if method == "unit":
        return d
    dc = np.linalg.norm(E[:, None] - E[cohort][None], axis=2)
    width = min(len(cohort), k + 45)  # at most 20 images a person: K left after dropping two people
    order = np.argsort(dc, axis=1)[:, :width]
    near = np.take_along_axis(dc, order, 1)
    near_person = f.person[cohort][order]
    n = len(E)
    mu, sd = np.zeros((n, n)), np.zeros((n, n))
    for a in range(n):
        keep = (near_person[a][None, :] != f.person[a]) & (near_person[a][None, :] != f.person[:, None])
        use = keep & (np.cumsum(keep, 1) <= k)
        count = np.maximum(use.sum(1), 1)
        m = (near[a][None] * use).sum(1) / count
        mu[a] = m
        sd[a] = np.sqrt(np.maximum((near[a][None] ** 2 * use).sum(1) / count - m * m, 1e-8))
    if method == "ratio":
        return d / ((mu + mu.T) / 2)
    if method == "asnorm":
        return ((d - mu) / sd + (d - mu.T) / sd.T) / 2
    raise ValueError(method)


def _threshold(impostor_scores: np.ndarray, fmr: float) -> float:
    return cal.threshold_for_fmr(impostor_scores, len(impostor_scores), fmr, float("inf"))


@dataclass(frozen=True)
class Counts:
    false_non_matches: int
    genuine: int
    false_matches: int
    impostors: int

    @property
    def fnmr(self) -> float:
        return self.false_non_matches / self.genuine if self.genuine else float("nan")

    @property
    def fmr(self) -> float:
        return self.false_matches / self.impostors if self.impostors else float("nan")


def _measure(f: Faces, method: str, k: int, train: np.ndarray, test: np.ndarray,
             fmrs: tuple[float, ...]) -> list[Counts]:
    """Thresholds for each FMR chosen on the train images' pairs (cohort: them), counted on the test's."""
    s = scores(f, np.nonzero(train)[0], method, k)
    inside = train[:, None] & train[None]
    held = test[:, None] & test[None]
    g, i = s[f.genuine & held], s[f.impostor & held]
    out = []
    for fmr in fmrs:
        t = _threshold(s[f.impostor & inside], fmr)
        out.append(Counts(int((g > t).sum()), len(g), int((i <= t).sum()), len(i)))
    return out


@dataclass(frozen=True)
class Nested:
    method: str
    fmr_target: float
    k_per_fold: tuple[int, ...]
    counts: Counts


def nested(f: Faces, method: str, fmr: float = 0.001) -> Nested:
    """Held-out FNMR and FMR of `method`, its K chosen per outer fold by an inner cross-validation
    (lowest inner FNMR at `fmr`, ties by the inner FNMR at FMR 1%)."""
    total, chosen = np.zeros(4, int), []
    for outer in range(f.folds):
        train = f.fold != outer
        best: tuple[tuple[float, float], int] | None = None
        for k in GRIDS[method]:
            inner = [_measure(f, method, k, train & (f.fold != j), train & (f.fold == j), (fmr, 0.01))
                     for j in range(f.folds) if j != outer]
            key = tuple(sum(c[m].false_non_matches for c in inner) / max(1, sum(c[m].genuine for c in inner))
                        for m in (0, 1))
            if best is None or key < best[0]:
                best = ((key[0], key[1]), k)
        assert best is not None
        chosen.append(best[1])
        c = _measure(f, method, best[1], train, f.fold == outer, (fmr,))[0]
        total += [c.false_non_matches, c.genuine, c.false_matches, c.impostors]
    return Nested(method, fmr, tuple(chosen), Counts(*map(int, total)))


def main(argv: list[str] | None = None) -> int:
    from identity_app.evaluation import face_eval

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--people", action="append", default=[])
    p.add_argument("--cache", required=True)
    p.add_argument("--mirrored", action="store_true", help="the mean with the mirrored chip's embedding")
    args = p.parse_args(argv)
    gathered = face_eval.gather(args.data, args.people, args.cache)
    if gathered is None:
        raise SystemExit(f"no labelled faces under {args.data}")
    _, e = gathered
    emb = cal.unit(e.emb) + cal.unit(e.emb_flip) if args.mirrored else e.emb
    f = faces_of(emb, [s.identity for s in e.samples], [s.group for s in e.samples])
    print(f"{len(e.samples)} faces of {len(set(f.person.tolist()))} people, {int(f.genuine.sum())} genuine pairs,"
          f" {int(f.impostor.sum())} impostor pairs")
    for method in GRIDS:
        r = nested(f, method)
        c = r.counts
        print(f"  {method}: held-out FNMR {c.fnmr:.2%} ({c.false_non_matches}/{c.genuine}) at FMR {c.fmr:.3%}"
              f" ({c.false_matches}/{c.impostors}); K per fold {list(r.k_per_fold)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
