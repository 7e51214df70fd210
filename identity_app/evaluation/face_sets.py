"""Labelled faces for measuring face match: which images, whose face, and their embeddings.

Sources (each optional; a missing folder is skipped and reported):
- ../shared/data (`shared_samples`): face-verify-face_recognition and face-verify-openface
  (manifest / labels files), face-lfw-samples (names in the file names), pad-nuaa-dev's
  live crops (8 subjects, 3 sessions), frames of liveness-video-dev (8 people) and
  liveness-replay-dev (2 people), liveness-pose-eyes-insightface (1 person) and the
  document portraits of mrz-passporteye (identity = the MRZ name).
- a folder of people (`people_samples`): `DIR/<Person_Name>/*.jpg` as LFW lays it out
  (e.g. the LFW site's images), or a folder of photos labelled by same/different pairs
  (`pair_labelled_samples`, e.g. serengil/deepface's tests/unit/dataset), passed with
  `--people DIR`; evaluation only, never copied into the repository.

Each sample carries a `group`: images of one clip or one capture session. Two images of
one group are near-copies, so they never make a genuine pair (`pairs` skips them).

Embeddings (`embed`) are computed as face match computes them (HOG detection, 5-point
alignment, dlib's ResNet on the 150 px chip) together with the embedding of the
mirrored chip and the mean of the jittered chips' (faces.jittered_chips, what face match
encodes), and cached in an .npz file keyed by path, size, mtime and CACHE_VERSION.
"""
from __future__ import annotations

import csv
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
CACHE_VERSION = 2  # 2: with the jittered chips' embedding


@dataclass(frozen=True)
class Sample:
    path: str
    identity: str
    source: str
    group: str              # same group = near-copies (one clip, one session, one file's frames)
    frame: int = -1         # frame index for video sources (-1 = a still image)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


# ----------------------------------------------------------------- sources


def _face_recognition(root: Path) -> list[Sample]:
    d = root / "face-verify-face_recognition"
    if not (d / "manifest.csv").is_file():
        return []
    out, seen = [], set()
    for row in csv.DictReader((d / "manifest.csv").open(newline="")):
        ident = row["identity"]
        if "+" in ident or ident.startswith(("unknown", "2 faces")) or row["file"] in seen:
            continue
        if "partial" in row["file"]:  # half faces: a capture never gives one
            continue
        seen.add(row["file"])
        group = "fr:obama_res" if re.search(r"obama(-\d+p|_small)", row["file"]) else f"fr:{row['file']}"
        out.append(Sample(str(d / row["file"]), _norm(ident), "face-verify-face_recognition", group))
    return out


def _openface(root: Path) -> list[Sample]:
    d = root / "face-verify-openface"
    if not (d / "labels.csv").is_file():
        return []
    return [Sample(str(d / r["file"]), _norm(r["identity"]), "face-verify-openface", f"of:{r['file']}")
            for r in csv.DictReader((d / "labels.csv").open(newline="")) if "+" not in r["identity"]]


def _lfw_samples(root: Path) -> list[Sample]:
    d = root / "face-lfw-samples"
    out = []
    for p in sorted(d.glob("*.jpg")) if d.is_dir() else []:
        m = re.match(r"(.+?)_\d{4}", p.stem)
        if m:
            out.append(Sample(str(p), _norm(m.group(1)), "face-lfw-samples", f"lfws:{p.stem[:len(m.group(0))]}"))
    return out


def _nuaa(root: Path) -> list[Sample]:
    d = root / "pad-nuaa-dev"
    if not (d / "labels.csv").is_file():
        return []
    return [Sample(str(d / r["file"]), f"nuaa_{r['subject']}", "pad-nuaa-dev", f"nuaa:{r['subject']}:{r['session']}")
            for r in csv.DictReader((d / "labels.csv").open(newline="")) if r["label"] == "bona_fide"]


def _pose_eyes(root: Path) -> list[Sample]:
    d = root / "liveness-pose-eyes-insightface"
    files = sorted(p for p in d.rglob("*") if p.suffix.lower() in IMAGE_EXT) if d.is_dir() else []
    # One woman in stills of one sitting: a group of her own (turned heads are no selfie anyway).
    return [Sample(str(p), "insightface_pose_woman", "liveness-pose-eyes-insightface", "pose:all") for p in files]


def _documents(root: Path) -> list[Sample]:
    d = root / "mrz-passporteye"
    gt = d / "ground_truth_mrz.csv"
    if not gt.is_file():
        return []
    out = []
    for r in csv.DictReader(gt.open(newline="")):
        lines = r["mrz"].split("|")
        raw = lines[2] if len(lines) == 3 else lines[0][5:]
        name = _norm(raw.replace("<", " "))
        if name.startswith("mustermann"):
            # German specimens of different years show different women under one name.
            name = f"{name}_{Path(r['file']).stem}"
        out.append(Sample(str(d / r["file"]), f"doc_{name}", "mrz-passporteye", f"doc:{r['file']}"))
    return out


def _video_frames(root: Path, folder: str, identity_of, per_clip: int = 6) -> list[Sample]:
    d = root / folder
    out = []
    for clip in sorted(d.glob("*.mp4")) if d.is_dir() else []:
        ident, group = identity_of(clip.stem)
        for k in range(per_clip):
            out.append(Sample(str(clip), ident, folder, group, frame=k))
    return out


def shared_samples(root: str | Path) -> list[Sample]:
    """Every labelled face of ../shared/data (see the module docstring)."""
    root = Path(root)
    samples = (_face_recognition(root) + _openface(root) + _lfw_samples(root) + _nuaa(root) + _pose_eyes(root)
               + _documents(root))
    samples += _video_frames(root, "liveness-video-dev", lambda s: (f"video_{s}", f"video:{s}"))
    # The replay clips film a phone showing a recorded person: still that person's face.
    samples += _video_frames(root, "liveness-replay-dev",
                             lambda s: (f"replay_{s.split('_')[0]}", f"replay:{s}"))
    return samples


def people_samples(folder: str | Path, source: str | None = None) -> list[Sample]:
    """`folder/<Person_Name>/<image>`: one identity per sub-folder; every image its own group.
    An image whose name says another person (LFW names files `Person_Name_0001.jpg`) counts as that person."""
    folder = Path(folder)
    source = source or folder.name
    out = []
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        for img in sorted(person.iterdir()):
            if img.suffix.lower() not in IMAGE_EXT:
                continue
            m = re.match(r"(.+?)_\d{4}$", img.stem)
            ident = _norm(m.group(1) if m else person.name)
            out.append(Sample(str(img), ident, source, f"{source}:{img.stem}"))
    return out


def pair_labelled_samples(folder: str | Path, source: str | None = None) -> list[Sample]:
    """Images labelled only by pairs: CSVs in `folder` with columns file_x, file_y and a same/different
    decision (Yes/No, as serengil/deepface's tests/unit/dataset labels its photos). People are the
    groups of images joined by "same" pairs; a "different" pair inside one group is refused."""
    folder = Path(folder)
    source = source or folder.name
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = []
    for f in sorted(folder.glob("*.csv")):
        for row in csv.DictReader(f.open(newline="")):
            cols = {k.lower(): v for k, v in row.items() if k}
            if {"file_x", "file_y"} <= cols.keys() and "decision" in cols:
                a, b = Path(cols["file_x"]).name, Path(cols["file_y"]).name
                pairs.append((a, b, cols["decision"].strip().lower() in ("yes", "same", "1", "true")))
    for a, b, same in pairs:
        if same:
            parent[root(a)] = root(b)
        else:
            root(a), root(b)
    if any(not same and root(a) == root(b) for a, b, same in pairs):
        raise ValueError(f"{folder}: a pair labelled different joins images labelled the same person")
    members: dict[str, list[str]] = {}
    for name in parent:
        if (folder / name).is_file():
            members.setdefault(root(name), []).append(name)
    out = []
    for names in members.values():
        ident = _norm(f"{source}_{min(names, key=lambda n: (len(n), n))}")
        out += [Sample(str(folder / n), ident, source, f"{source}:{n}") for n in sorted(names)]
    return out


# ----------------------------------------------------------------- video frames


def _clip_frame(path: str, k: int, per_clip: int = 6):
    """Frame k of `per_clip` spread over the clip, as the capture page sends it (long side 480, JPEG 85)."""
    import cv2

    cap = cv2.VideoCapture(path)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
    cap.set(cv2.CAP_PROP_POS_FRAMES, int((k + 0.5) * n / per_clip))
    ok, frame = cap.read()
    cap.release()
    if not ok:
        return None
    h, w = frame.shape[:2]
    s = 480 / max(h, w)
    if s < 1:
        frame = cv2.resize(frame, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def load_image(sample: Sample):
    import cv2

    if sample.frame >= 0:
        return _clip_frame(sample.path, sample.frame)
    return cv2.imread(sample.path, cv2.IMREAD_COLOR)


# ----------------------------------------------------------------- embeddings


def _embed_one(sample: Sample) -> tuple[bool, int, float, float, np.ndarray, np.ndarray, float, np.ndarray]:
    """(found, face width, sharpness, brightness, embedding, mirrored-chip embedding, ms of detection and
    those two encodings, mean embedding of the jittered chips)."""
    import dlib

    from identity_app.checks import face_models, faces

    t0 = time.perf_counter()
    image = load_image(sample)
    zero = np.zeros(128)
    if image is None:
        return False, 0, 0.0, 0.0, zero, zero, 0.0, zero
    found = faces.find_face(image, allow_multiple=True, min_face_px=1)
    if found.box is None:
        return False, 0, 0.0, 0.0, zero, zero, (time.perf_counter() - t0) * 1000, zero
    rgb = faces.to_rgb(image)
    top, right, bottom, left = found.box
    shape = face_models.shape_predictor_5()(rgb, dlib.rectangle(left, top, right, bottom))
    chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    enc = face_models.face_encoder()
    e = np.asarray(enc.compute_face_descriptor(chip), dtype=np.float64)
    ef = np.asarray(enc.compute_face_descriptor(np.ascontiguousarray(chip[:, ::-1])), dtype=np.float64)
    ms = (time.perf_counter() - t0) * 1000
    ej = np.mean([np.asarray(enc.compute_face_descriptor(c), dtype=np.float64) for c in faces.jittered_chips(chip)],
                 axis=0)
    return True, found.width_px, found.sharpness, found.brightness, e, ef, ms, ej


def _key(s: Sample) -> str:
    try:
        st = os.stat(s.path)
        return f"{s.path}|{s.frame}|{st.st_size}|{int(st.st_mtime)}|v{CACHE_VERSION}"
    except OSError:
        return f"{s.path}|{s.frame}|missing|v{CACHE_VERSION}"


@dataclass
class Embedded:
    samples: list[Sample]
    found: np.ndarray       # bool (N,)
    width: np.ndarray       # face box width, px
    sharpness: np.ndarray
    brightness: np.ndarray
    emb: np.ndarray         # (N, 128)
    emb_flip: np.ndarray    # (N, 128) of the mirrored chip
    ms: np.ndarray          # detect + 2 encodings, per image
    emb_jit: np.ndarray     # (N, 128) mean of the jittered chips' (faces.jittered_chips)

    def subset(self, idx) -> "Embedded":
        idx = np.asarray(idx)
        return Embedded([self.samples[i] for i in idx], self.found[idx], self.width[idx], self.sharpness[idx],
                        self.brightness[idx], self.emb[idx], self.emb_flip[idx], self.ms[idx], self.emb_jit[idx])


def embed(samples: list[Sample], cache: str | Path | None = None, workers: int = 1,
          progress: bool = False) -> Embedded:
    """Embeddings of every sample, from `cache` where it holds them; new ones are added to it."""
    cached: dict[str, tuple] = {}
    if cache and Path(cache).is_file():
        z = np.load(cache, allow_pickle=False)
        if "emb_jit" in z:  # an older cache is computed again
            for i, k in enumerate(z["keys"]):
                cached[str(k)] = (bool(z["found"][i]), int(z["width"][i]), float(z["sharpness"][i]),
                                  float(z["brightness"][i]), z["emb"][i], z["emb_flip"][i], float(z["ms"][i]),
                                  z["emb_jit"][i])
    keys = [_key(s) for s in samples]
    todo = [i for i, k in enumerate(keys) if k not in cached]
    if todo:
        from identity_app.checks.face_models import warm_up

        if workers <= 1:
            warm_up()
            results = map(_embed_one, (samples[i] for i in todo))
        else:
            pool = ProcessPoolExecutor(max_workers=workers)
            results = pool.map(_embed_one, (samples[i] for i in todo), chunksize=16)
        t0 = time.time()
        for n, (i, r) in enumerate(zip(todo, results), 1):
            cached[keys[i]] = r
            if progress and n % 500 == 0:
                print(f"  embedded {n}/{len(todo)} in {time.time() - t0:.0f} s", flush=True)
            if cache and n % 2000 == 0:
                _save(cache, cached)
        if workers > 1:
            pool.shutdown()
        if cache:
            _save(cache, cached)
    rows = [cached[k] for k in keys]
    return Embedded(
        samples,
        np.array([r[0] for r in rows], bool), np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]), np.array([r[4] for r in rows]).reshape(-1, 128),
        np.array([r[5] for r in rows]).reshape(-1, 128), np.array([r[6] for r in rows]),
        np.array([r[7] for r in rows]).reshape(-1, 128),
    )


def _save(cache: str | Path, cached: dict[str, tuple]) -> None:
    keys = list(cached)
    rows = [cached[k] for k in keys]
    tmp = Path(str(cache) + ".tmp.npz")
    np.savez(tmp, keys=np.array(keys), found=np.array([r[0] for r in rows], bool),
             width=np.array([r[1] for r in rows]), sharpness=np.array([r[2] for r in rows]),
             brightness=np.array([r[3] for r in rows]), emb=np.array([r[4] for r in rows]).reshape(-1, 128),
             emb_flip=np.array([r[5] for r in rows]).reshape(-1, 128), ms=np.array([r[6] for r in rows]),
             emb_jit=np.array([r[7] for r in rows]).reshape(-1, 128))
    os.replace(tmp, cache)
