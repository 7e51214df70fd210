"""Genuine and impostor pairs from identity-labelled embeddings, the threshold for a target
FMR chosen in a subject-wise cross-validation, and the confidence calibration.

Pairs: every two images of one person from different groups (a group is one clip or
one capture session: its images are near-copies) are a genuine pair; every two images
of different people an impostor pair. A person with many images would dominate both
sets, so at most `max_per_identity` images of a person are used (the first ones by
path).

Subject-wise cross-validation: people are dealt into `folds` folds by a hash of their
name. For each fold the threshold is chosen on the impostor pairs of the other folds'
people only, then measured on the pairs whose two people are both in the fold (pairs
across folds are in neither). The pooled measurements are held-out figures; a threshold
chosen on all pairs and measured on them is a training figure.

With N impostor pairs an FMR can only be resolved to about 1/N, and less than that in
practice: the pairs share images and people, so errors come in clusters (the report
counts the distinct people pairs among false matches).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

TAIL = 0.75  # impostor distances above this are only counted (FMR targets <= 1% lie far below)
CENTRED_TAIL = 1.5  # the same for distances between centred directions (thresholds near 0.9)


def fold_of(identity: str, folds: int) -> int:
    return int(hashlib.md5(identity.encode()).hexdigest(), 16) % folds


@dataclass
class PairSet:
    """Genuine distances in full; impostor distances only below TAIL, plus counts per fold."""

    genuine: np.ndarray             # distances
    genuine_fold: np.ndarray        # fold of the person
    genuine_width: np.ndarray       # smaller face width of the pair (px)
    impostor_tail: np.ndarray       # impostor distances < TAIL
    impostor_tail_fold: np.ndarray  # fold of both people when they share one, else -1
    impostor_tail_folds: np.ndarray  # (k, 2): the fold of each person
    impostor_tail_people: np.ndarray  # (k, 2): index of each person in `people`
    people: np.ndarray               # the people's names
    impostor_count: int             # all impostor pairs
    impostor_count_in_fold: np.ndarray   # impostor pairs with both people in fold f
    impostor_count_outside: np.ndarray   # impostor pairs with neither person in fold f
    impostor_sample: np.ndarray     # distances of random impostor pairs (for the calibration curve)
    duplicates_dropped: int = 0
    identities: int = 0
    images: int = 0
    folds: int = 5
    sources: dict = field(default_factory=dict)
    tail: float = TAIL               # impostor distances at or above this are only counted


def select(identities: list[str], paths: list[str], max_per_identity: int) -> np.ndarray:
    """Indices kept: at most max_per_identity per person, the first by path."""
    order = sorted(range(len(identities)), key=lambda i: (identities[i], paths[i]))
    kept, count = [], {}
    for i in order:
        c = count.get(identities[i], 0)
        if c < max_per_identity:
            kept.append(i)
            count[identities[i]] = c + 1
    return np.array(sorted(kept), dtype=int)


def _pairs_in(counts_by_identity: dict[str, int]) -> int:
    n = sum(counts_by_identity.values())
    return n * (n - 1) // 2 - sum(c * (c - 1) // 2 for c in counts_by_identity.values())


def build_pairs(emb: np.ndarray, identities: list[str], groups: list[str], widths: np.ndarray, *,
                folds: int = 5, duplicate_below: float = 0.05, sample: int = 200_000, seed: int = 0,
                block: int = 768, tail_below: float = TAIL, duplicates_by: np.ndarray | None = None) -> PairSet:
    """All pairs of the given embeddings (rows already selected). `duplicates_by`: other embeddings
    of the same images on which near-copies are judged (so every variant drops the same pairs)."""
    n = len(identities)
    E = np.asarray(emb, dtype=np.float64)
    sq = (E * E).sum(1)
    Q = E if duplicates_by is None else np.asarray(duplicates_by, dtype=np.float64)
    qsq = (Q * Q).sum(1)
    ids = np.array(identities)
    people, id_code = np.unique(ids, return_inverse=True)
    _, grp_code = np.unique(np.array(groups), return_inverse=True)
    fold = np.array([fold_of(i, folds) for i in identities])
    gen, gen_fold, gen_w = [], [], []
    tail, tail_fold, tail_folds, tail_people = [], [], [], []
    dups = 0
    for a in range(0, n, block):
        b = min(n, a + block)
        d2 = sq[a:b, None] + sq[None, a:] - 2 * E[a:b] @ E[a:].T
        d = np.sqrt(np.maximum(d2, 0))
        rows = np.arange(a, b)[:, None]
        cols = np.arange(a, n)[None, :]
        upper = cols > rows
        same = id_code[a:b, None] == id_code[None, a:]
        same_group = grp_code[a:b, None] == grp_code[None, a:]
        g = upper & same & ~same_group
        dq = d if duplicates_by is None else np.sqrt(np.maximum(qsq[a:b, None] + qsq[None, a:] - 2 * Q[a:b] @ Q[a:].T, 0))
        dup = g & (dq < duplicate_below)
        dups += int(dup.sum())
        g &= ~dup
        r, c = np.nonzero(g)
        gen.append(d[r, c])
        gen_fold.append(fold[a + r])
        gen_w.append(np.minimum(widths[a + r], widths[a + c]))
        imp = upper & ~same & (d < tail_below)
        r, c = np.nonzero(imp)
        tail.append(d[r, c])
        fa, fb = fold[a + r], fold[a + c]
        tail_fold.append(np.where(fa == fb, fa, -1))
        tail_folds.append(np.stack([fa, fb], 1))
        tail_people.append(np.stack([id_code[a + r], id_code[a + c]], 1))
    # Counts of impostor pairs per fold, from the number of images of each person.
    per_id: dict[str, int] = {}
    for i in identities:
        per_id[i] = per_id.get(i, 0) + 1
    total = _pairs_in(per_id)
    inside = np.array([_pairs_in({k: v for k, v in per_id.items() if fold_of(k, folds) == f}) for f in range(folds)])
    outside = np.array([_pairs_in({k: v for k, v in per_id.items() if fold_of(k, folds) != f}) for f in range(folds)])
    # Random impostor pairs, for the shape of the whole impostor distribution.
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, sample * 2)
    j = rng.integers(0, n, sample * 2)
    keep = id_code[i] != id_code[j]
    i, j = i[keep][:sample], j[keep][:sample]
    rand = np.linalg.norm(E[i] - E[j], axis=1)
    return PairSet(np.concatenate(gen) if gen else np.zeros(0), np.concatenate(gen_fold) if gen else np.zeros(0, int),
                   np.concatenate(gen_w) if gen else np.zeros(0), np.concatenate(tail) if tail else np.zeros(0),
                   np.concatenate(tail_fold) if tail else np.zeros(0, int),
                   np.concatenate(tail_folds) if tail else np.zeros((0, 2), int),
                   np.concatenate(tail_people) if tail else np.zeros((0, 2), int), people, total, inside, outside, rand,
                   dups, len(per_id), n, folds, tail=tail_below)


def threshold_for_fmr(tail: np.ndarray, count: int, fmr: float, limit: float = TAIL) -> float:
    """The largest distance threshold (match when distance <= threshold) whose FMR on these
    impostors is at most `fmr`; with `count` impostor pairs in all, of which `tail` are the near
    ones (those below `limit`)."""
    allowed = int(math.floor(fmr * count + 1e-9))
    s = np.sort(tail)
    if allowed >= len(s):
        return limit
    return float(np.nextafter(s[allowed], -np.inf))


@dataclass(frozen=True)
class CrossValidated:
    fmr_target: float
    threshold_per_fold: tuple[float, ...]
    heldout_fmr: float
    heldout_false_matches: int
    heldout_impostors: int
    heldout_fnmr: float
    heldout_genuine: int
    heldout_false_match_people: int   # distinct people pairs among the held-out false matches


def cross_validate(ps: PairSet, fmr: float) -> CrossValidated:
    thresholds, fm, imp, fnm, gen, people = [], 0, 0, 0, 0, set()
    for f in range(ps.folds):
        # Training impostors: both people outside fold f (the tail holds pairs across folds too).
        outside = (ps.impostor_tail_folds != f).all(axis=1)
        train_tail = ps.impostor_tail[outside]
        t = threshold_for_fmr(train_tail, int(ps.impostor_count_outside[f]), fmr, ps.tail)
        thresholds.append(t)
        test = ps.impostor_tail_fold == f
        hits = test & (ps.impostor_tail <= t)
        fm += int(hits.sum())
        people |= {tuple(sorted(p)) for p in ps.impostor_tail_people[hits].tolist()}
        imp += int(ps.impostor_count_in_fold[f])
        g = ps.genuine[ps.genuine_fold == f]
        fnm += int((g > t).sum())
        gen += len(g)
    return CrossValidated(fmr, tuple(thresholds), fm / imp if imp else float("nan"), fm, imp,
                          fnm / gen if gen else float("nan"), gen, len(people))


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def fit_centre(emb: np.ndarray) -> np.ndarray:
    """The mean direction of these embeddings (each scaled to length 1 first)."""
    return unit(emb).mean(axis=0)


def centred(emb: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Directions from `centre` (faces.centred_direction on many rows)."""
    return unit(unit(emb) - centre)


def unseen_centre_impostors(emb: np.ndarray, identities: list[str]) -> np.ndarray:
    """Distances of every impostor pair between directions from a centre fitted without either
    person (the mean of everyone else's), as a face is measured from the shipped centre in use:
    a centre fitted with a pair's own people draws their faces apart, so a threshold chosen on
    such distances lets through more impostors among people it never saw."""
    u = unit(emb)
    ids = np.asarray(identities)
    people = list(dict.fromkeys(ids.tolist()))
    rows = [np.nonzero(ids == p)[0] for p in people]
    sums = np.array([u[r].sum(0) for r in rows])
    total, n = u.sum(0), len(u)
    out = []
    for a in range(len(people)):
        for b in range(a + 1, len(people)):
            ra, rb = rows[a], rows[b]
            centre = (total - sums[a] - sums[b]) / (n - len(ra) - len(rb))
            da, db = unit(u[ra] - centre), unit(u[rb] - centre)
            out.append(np.linalg.norm(da[:, None, :] - db[None, :, :], axis=2).ravel())
    return np.concatenate(out) if out else np.zeros(0)


def unseen_centre_threshold(emb: np.ndarray, identities: list[str], fmr: float) -> float:
    """The largest centred distance at which at most `fmr` of the impostor pairs match, each pair
    measured from a centre fitted without its two people (unseen_centre_impostors)."""
    d = unseen_centre_impostors(emb, identities)
    return threshold_for_fmr(d, len(d), fmr, float("inf"))


@dataclass(frozen=True)
class CentredCV:
    """cross_validate's figures when each fold's centre is fitted on the other folds' people too."""

    figures: CrossValidated
    centres: np.ndarray  # (folds, d): the centre each fold was measured with


def cross_validate_centred(emb: np.ndarray, identities: list[str], groups: list[str], widths: np.ndarray, fmr: float,
                           *, folds: int = 5, duplicate_below: float = 0.05 / 1.4) -> CentredCV:
    """Held-out FNMR and FMR of the distance between centred directions: for each fold, the centre
    and then the threshold (unseen_centre_threshold) are chosen on the other folds' people only, and
    measured on the fold's people. Near-copies are judged on the directions before centring."""
    fold = np.array([fold_of(i, folds) for i in identities])
    centres = np.array([fit_centre(np.asarray(emb)[fold != f]) for f in range(folds)])
    thresholds, fm, imp, fnm, gen, people = [], 0, 0, 0, 0, set()
    for f in range(folds):
        ps = build_pairs(centred(emb, centres[f]), identities, groups, widths, folds=folds,
                         duplicate_below=duplicate_below, tail_below=CENTRED_TAIL, duplicates_by=unit(emb), sample=1000)
        train = np.nonzero(fold != f)[0]
        t = unseen_centre_threshold(np.asarray(emb)[train], [identities[i] for i in train], fmr)
        thresholds.append(t)
        hits = (ps.impostor_tail_fold == f) & (ps.impostor_tail <= t)
        fm += int(hits.sum())
        people |= {tuple(sorted(p)) for p in ps.impostor_tail_people[hits].tolist()}
        imp += int(ps.impostor_count_in_fold[f])
        g = ps.genuine[ps.genuine_fold == f]
        fnm += int((g > t).sum())
        gen += len(g)
    cv = CrossValidated(fmr, tuple(thresholds), fm / imp if imp else float("nan"), fm, imp,
                        fnm / gen if gen else float("nan"), gen, len(people))
    return CentredCV(cv, centres)


def oracle_fnmr(ps: PairSet, fmr: float) -> tuple[float, float]:
    """(FNMR, threshold) with the threshold chosen on all impostors (a training figure)."""
    t = threshold_for_fmr(ps.impostor_tail, ps.impostor_count, fmr, ps.tail)
    return float(np.mean(ps.genuine > t)) if len(ps.genuine) else float("nan"), t


def fmr_at(ps: PairSet, threshold: float) -> tuple[float, int]:
    if threshold >= ps.tail:
        raise ValueError("threshold beyond the stored impostor tail")
    hits = int((ps.impostor_tail <= threshold).sum())
    return hits / ps.impostor_count, hits


def eer(ps: PairSet) -> tuple[float, float]:
    """Equal error rate from the genuine distances and the random impostor sample."""
    best = (1.0, 0.0)
    gap = float("inf")
    for t in np.linspace(0.1, 1.2 * ps.tail, 1201):
        fnmr = float(np.mean(ps.genuine > t))
        fmr = float(np.mean(ps.impostor_sample <= t))
        if abs(fnmr - fmr) < gap:
            gap, best = abs(fnmr - fmr), ((fnmr + fmr) / 2, float(t))
    return best


def fit_confidence(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    """Logistic curve confidence = 1 / (1 + exp(-(slope * distance + intercept))), classes balanced."""
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([genuine, impostor])[:, None]
    y = np.concatenate([np.ones(len(genuine)), np.zeros(len(impostor))])
    m = LogisticRegression(C=10.0, class_weight="balanced").fit(x, y)
    return float(m.coef_[0][0]), float(m.intercept_[0])


@dataclass(frozen=True)
class FixedThreshold:
    """A fixed threshold measured on the pairs that involve the marked images."""

    threshold: float
    genuine: int
    false_non_matches: int
    impostors: int
    false_matches: int
    false_match_people_pairs: int

    @property
    def fnmr(self) -> float:
        return self.false_non_matches / self.genuine if self.genuine else float("nan")

    @property
    def fmr(self) -> float:
        return self.false_matches / self.impostors if self.impostors else float("nan")


def at_threshold(emb: np.ndarray, identities: list[str], groups: list[str], marked: np.ndarray,
                 threshold: float, duplicate_below: float = 0.05,
                 duplicates_by: np.ndarray | None = None) -> FixedThreshold:
    """Genuine and impostor pairs (as build_pairs makes them) with at least one marked image,
    at `threshold`. With the marked images left out of choosing it, these are held-out figures."""
    E = np.asarray(emb, dtype=np.float64)
    Q = E if duplicates_by is None else np.asarray(duplicates_by, dtype=np.float64)
    ids, grp = np.array(identities), np.array(groups)
    marked = np.asarray(marked, bool)
    gen = fnm = imp = fm = 0
    people: set[tuple[str, str]] = set()
    for i in np.nonzero(marked)[0]:
        # Each pair once: a marked image with every unmarked one and with the marked ones after it.
        j = np.nonzero(~marked | (np.arange(len(ids)) > i))[0]
        d = np.linalg.norm(E[j] - E[i], axis=1)
        same = ids[j] == ids[i]
        g = same & (grp[j] != grp[i]) & (np.linalg.norm(Q[j] - Q[i], axis=1) >= duplicate_below)
        gen += int(g.sum())
        fnm += int((d[g] > threshold).sum())
        hits = ~same & (d <= threshold)
        imp += int((~same).sum())
        fm += int(hits.sum())
        people |= {tuple(sorted((str(ids[i]), str(x)))) for x in ids[j][hits]}
    return FixedThreshold(threshold, gen, fnm, imp, fm, len(people))
