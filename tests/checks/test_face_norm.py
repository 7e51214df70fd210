"""Cohort score normalisation for face match (evaluation/face_norm.py), on plain embeddings."""
from __future__ import annotations

import numpy as np
import pytest

from identity_app.evaluation import face_norm


def _people(n_people: int, per_person: int, spread: float, seed: int = 3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (n_people, 128)) * 0.06 + 0.3
    emb, ids, groups = [], [], []
    for p in range(n_people):
        for k in range(per_person):
            emb.append(centres[p] + rng.normal(0, spread, 128))
            ids.append(f"person{p}")
            groups.append(f"person{p}:session{k // 2}")
    return np.array(emb), ids, groups


def test_the_ratio_sets_a_distance_against_the_nearest_faces_of_other_people() -> None:
    e = np.eye(3)
    # a and b, and a cohort person c whose face lies at 0.5 from a's and b's.
    emb = np.array([e[0], e[1], (e[0] + e[1]) / 2 + 0.5 * e[2]])
    f = face_norm.faces_of(emb, ["a", "b", "c"], ["a", "b", "c"], folds=1)
    d = np.linalg.norm(f.emb[0] - f.emb[1])
    near = np.linalg.norm(f.emb[0] - f.emb[2])
    assert np.isclose(near, np.linalg.norm(f.emb[1] - f.emb[2]))
    everyone = np.arange(3)
    assert face_norm.scores(f, everyone, "unit", 0)[0, 1] == pytest.approx(d)
    assert face_norm.scores(f, everyone, "ratio", 1)[0, 1] == pytest.approx(d / near)


def test_a_pairs_own_people_are_never_in_its_cohort() -> None:
    e = np.eye(4)
    # b's second photo lies right beside a: were it in a's cohort, a would look crowded.
    emb = np.array([e[0], e[1], e[0] + 0.05 * e[1], e[2], e[3]])
    ids = ["a", "b", "b", "c", "d"]
    f = face_norm.faces_of(emb, ids, [f"g{i}" for i in range(5)], folds=1)
    s = face_norm.scores(f, np.arange(5), "ratio", 1)
    d = np.linalg.norm(f.emb[0] - f.emb[1])
    to_c = np.linalg.norm(f.emb[0] - f.emb[3])  # a's nearest other person but b: c (or d, as far)
    b_to_c = np.linalg.norm(f.emb[1] - f.emb[3])
    assert s[0, 1] == pytest.approx(d / ((to_c + b_to_c) / 2))


def test_nested_cross_validation_counts_every_held_out_pair_once() -> None:
    emb, ids, groups = _people(12, 4, 0.02)
    f = face_norm.faces_of(emb, ids, groups, folds=4)
    r = face_norm.nested(f, "ratio", fmr=0.01)
    assert len(r.k_per_fold) == 4 and set(r.k_per_fold) <= set(face_norm.GRIDS["ratio"])
    held = f.fold[:, None] == f.fold[None]
    assert r.counts.genuine == int((f.genuine & held).sum()) == 12 * 4  # 2 sessions of 2: 4 pairs a person
    assert r.counts.impostors == int((f.impostor & held).sum())
    assert 0 <= r.counts.false_matches <= r.counts.impostors
