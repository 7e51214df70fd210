"""Score-level fusion of two face embeddings: the fused distance, and the weight chosen inside the
cross-validation by person (evaluation/face_fusion.py)."""
from __future__ import annotations

import numpy as np

from identity_app.evaluation import face_fusion as fusion


def _people(n_people: int, per_person: int, spread: float, seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (n_people, 64))
    emb, ids, groups = [], [], []
    for p in range(n_people):
        for k in range(per_person):
            emb.append(centres[p] + rng.normal(0, spread, 64))
            ids.append(f"person{p}")
            groups.append(f"person{p}:session{k // 2}")
    return np.array(emb), ids, groups


def test_the_fused_squared_distance_is_the_weighted_sum_of_the_unit_distances_squared() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 128)), rng.normal(size=(2, 512))
    w = 0.3
    f = fusion.fused(a, b, w)
    ua, ub = fusion.unit(a), fusion.unit(b)
    expected = w * np.sum((ua[0] - ua[1]) ** 2) + (1 - w) * np.sum((ub[0] - ub[1]) ** 2)
    assert np.isclose(np.sum((f[0] - f[1]) ** 2), fusion.SCALE ** 2 * expected)
    # Scaled so that no unit distance (at most 2) passes the calibration's stored tail.
    assert 2 * fusion.SCALE < fusion.cal.TAIL


def test_the_weight_chosen_on_other_people_favours_the_model_that_tells_people_apart() -> None:
    good, ids, groups = _people(25, 6, 0.3, seed=1)
    noise = np.random.default_rng(2).normal(size=(len(ids), 32))  # knows nobody
    widths = np.full(len(ids), 100.0)
    n = fusion.nested_fusion(good, noise, ids, groups, widths, fmr=0.01, weights=(0.0, 0.5, 1.0))
    assert all(w == 1.0 for w in n.weight_per_fold)
    assert n.heldout_genuine > 0 and n.heldout_impostors > 0
    assert n.heldout_fnmr <= fusion.alone(good, ids, groups, widths, fmr=0.01).heldout_fnmr + 1e-12
    assert n.heldout_fnmr < fusion.alone(noise, ids, groups, widths, fmr=0.01).heldout_fnmr
