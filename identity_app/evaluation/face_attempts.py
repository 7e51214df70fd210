"""Does a selfie encoded from several frames of one attempt match better than one frame?

An attempt is a group of face_sets (one clip, one capture session) with at least
`frames` images: its first `frames` images (by path and frame) stand in for the frames
selfie.choose_selfie names. Each attempt is compared with every image outside it, once
as each of its frames alone (the single-frame selfie) and once as the mean of their
embeddings (faces.encode_selfie_frames): genuine when the image shows the same person,
impostor otherwise.

Held-out, as face_calibration.cross_validate: the threshold for the target FMR is the one
chosen on the single-image impostor pairs of the other folds' people, and an attempt is
measured only against images of people in its own fold. Single and multi-frame selfies
face the same thresholds and the same images, so their FNMR and FMR compare directly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from identity_app.evaluation import face_calibration as cal


@dataclass(frozen=True)
class AttemptFigures:
    attempts: int
    people: int
    genuine_single: int         # comparisons of one frame with an image of the same person
    genuine_multi: int
    fnmr_single: float
    fnmr_multi: float
    impostor_single: int
    impostor_multi: int
    fmr_single: float
    fmr_multi: float
    false_matches_single: int
    false_matches_multi: int


def attempts_of(identities: list[str], groups: list[str], order: list[str], frames: int) -> list[np.ndarray]:
    """Indices of each group's first `frames` images (by `order`), for groups that have as many."""
    by_group: dict[str, list[int]] = {}
    for i in sorted(range(len(groups)), key=lambda i: order[i]):
        by_group.setdefault(groups[i], []).append(i)
    return [np.array(v[:frames]) for v in by_group.values() if len(v) >= frames]


def compare(emb: np.ndarray, identities: list[str], groups: list[str], order: list[str],
            thresholds: tuple[float, ...], folds: int, frames: int = 3, unit: bool = False,
            centres: np.ndarray | None = None) -> AttemptFigures:
    """Single vs multi-frame selfies against the held-out fold thresholds (see the module docstring).
    `unit`: distances between embeddings scaled to length 1 (faces.unit_distance), the multi-frame
    selfie's scaled after averaging, as face match compares the worker's mean embedding.
    `centres` (one a fold, fitted without that fold's people): distances between centred directions
    (faces.centred_distance), the mean embedding centred after averaging."""
    raw = np.asarray(emb, dtype=np.float64)

    def scaled(x: np.ndarray, f: int) -> np.ndarray:
        if centres is not None:
            return cal.centred(x, centres[f])
        return x / np.linalg.norm(x, axis=-1, keepdims=True) if unit else x

    ids = np.array(identities)
    grp = np.array(groups)
    fold = np.array([cal.fold_of(i, folds) for i in identities])
    gs = gm = fs = fm = ims = imm = fms = fmm = 0
    attempts = attempts_of(identities, groups, order, frames)
    for idx in attempts:
        person, f = ids[idx[0]], fold[idx[0]]
        t = thresholds[f]
        E = scaled(raw, f)
        gallery = (grp != grp[idx[0]]) & (fold == f)
        same = gallery & (ids == person)
        other = gallery & (ids != person)
        single = np.linalg.norm(E[idx][:, None, :] - E[None, :, :], axis=2)  # (frames, N)
        multi = np.linalg.norm(scaled(raw[idx].mean(0), f)[None, :] - E, axis=1)  # (N,)
        gs += int(same.sum()) * len(idx)
        fs += int((single[:, same] > t).sum())
        gm += int(same.sum())
        fm += int((multi[same] > t).sum())
        ims += int(other.sum()) * len(idx)
        fms += int((single[:, other] <= t).sum())
        imm += int(other.sum())
        fmm += int((multi[other] <= t).sum())

    def rate(a: int, b: int) -> float:
        return a / b if b else float("nan")

    return AttemptFigures(len(attempts), len({ids[a[0]] for a in attempts}), gs, gm, rate(fs, gs), rate(fm, gm),
                          ims, imm, rate(fms, ims), rate(fmm, imm), fms, fmm)
