"""Face match evaluation: FNMR at fixed FMR, EER and accuracy on labelled pairs.

Reads every `pairs*.csv` under DIR (recursively, so a parent folder of
several datasets works too): columns `img_a,img_b,label` with label
same/different (also 1/0, true/false, match/non-match), image paths relative
to the CSV. Without CSVs, an LFW-style pairs text file (`pairs*.txt`:
`name i j` same, `name1 i name2 j` different) is read against images laid
out as `name/name_000i.jpg` or `name_000i.jpg`; pairs whose images are
missing are counted and skipped.

    python -m identity_app.evaluation.face_eval DIR [--json FILE]
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

SAME = {"same", "1", "true", "match", "genuine", "mated", "yes"}
DIFFERENT = {"different", "0", "false", "non-match", "nonmatch", "impostor", "non-mated", "no"}


def _label(raw: str) -> bool | None:
    v = raw.strip().lower()
    return True if v in SAME else False if v in DIFFERENT else None


def _read_csv_pairs(path: Path) -> list[tuple[Path, Path, bool]]:
    out = []
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        cols = {c.strip().lower(): c for c in reader.fieldnames or ()}
        a_col = cols.get("img_a") or cols.get("image_a") or cols.get("a")
        b_col = cols.get("img_b") or cols.get("image_b") or cols.get("b")
        l_col = cols.get("label") or cols.get("same") or cols.get("is_same")
        if not (a_col and b_col and l_col):
            return []
        for row in reader:
            label = _label(row[l_col])
            if label is not None:
                out.append((path.parent / row[a_col].strip(), path.parent / row[b_col].strip(), label))
    return out


def _lfw_image(root: Path, name: str, idx: str) -> Path:
    fname = f"{name}_{int(idx):04d}.jpg"
    nested = root / name / fname
    return nested if nested.exists() else root / fname


def _read_lfw_pairs(path: Path) -> list[tuple[Path, Path, bool]]:
    out = []
    for line in path.read_text().splitlines():
        f = line.split()
        if len(f) == 3:
            out.append((_lfw_image(path.parent, f[0], f[1]), _lfw_image(path.parent, f[0], f[2]), True))
        elif len(f) == 4:
            out.append((_lfw_image(path.parent, f[0], f[1]), _lfw_image(path.parent, f[2], f[3]), f[0] == f[2]))
    return out


def load_pairs(data_dir: Path) -> list[tuple[Path, Path, bool]]:
    """Unique labelled pairs (order-insensitive) from every pairs file under data_dir."""
    files = sorted(data_dir.rglob("pairs*.csv"))
    pairs = [p for f in files for p in _read_csv_pairs(f)]
    if not pairs:
        pairs = [p for f in sorted(data_dir.rglob("pairs*.txt")) for p in _read_lfw_pairs(f)]
    seen: set[frozenset[str]] = set()
    unique = []
    for a, b, same in pairs:
        key = frozenset((str(a.resolve()), str(b.resolve())))
        if key not in seen:
            seen.add(key)
            unique.append((a, b, same))
    return unique


def fnmr_at_fmr(genuine: np.ndarray, impostor: np.ndarray, fmr: float) -> tuple[float, float]:
    """(FNMR, distance threshold) at the loosest threshold whose FMR <= fmr.

    A pair matches when distance <= threshold. With N impostors, FMR can
    only be resolved to 1/N: at fmr < 1/N no impostor may match.
    """
    imp = np.sort(impostor)
    allowed = int(np.floor(fmr * len(imp) + 1e-9))
    threshold = float(np.nextafter(imp[allowed], -np.inf)) if allowed < len(imp) else float("inf")
    return float(np.mean(genuine > threshold)), threshold


def equal_error_rate(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    """(EER, distance threshold) where FNMR and FMR are closest."""
    best_gap, best = float("inf"), (1.0, 0.0)
    for t in np.unique(np.concatenate([genuine, impostor])):
        fnmr, fmr = float(np.mean(genuine > t)), float(np.mean(impostor <= t))
        if abs(fnmr - fmr) < best_gap:
            best_gap, best = abs(fnmr - fmr), ((fnmr + fmr) / 2, float(t))
    return best


def run_pair_evaluation(data_dir: str | Path, json_path: str | Path | None = None) -> dict[str, Any]:
    """A folder of pair lists only (no known layout of people): FNMR at fixed FMR on those pairs."""
    from identity_app.checks import face_match, faces
    from identity_app.checks.face_models import warm_up

    data_dir = Path(data_dir)
    pairs = load_pairs(data_dir)
    if not pairs:
        raise SystemExit(f"no labelled pairs found under {data_dir}")
    warm_up()
    encodings: dict[Path, np.ndarray | None] = {}
    encode_ms: list[float] = []

    def encode(path: Path) -> np.ndarray | None:
        if path not in encodings:
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if image is None:  # unreadable file: a failure to acquire
                encodings[path] = None
                return None
            t0 = time.perf_counter()
            found = faces.find_face(image, allow_multiple=True)
            encodings[path] = faces.encode_face(image, found.box) if found.box else None
            encode_ms.append((time.perf_counter() - t0) * 1000)
        return encodings[path]

    genuine, impostor, no_face_pairs, skipped = [], [], 0, 0
    for a, b, same in pairs:
        if not (a.is_file() and b.is_file()):
            skipped += 1
            continue
        ea, eb = encode(a), encode(b)
        if ea is None or eb is None:
            no_face_pairs += 1
            distance = float("inf")  # failure to acquire counts as a non-match
        else:
            distance = faces.unit_distance(ea, eb)
        (genuine if same else impostor).append(distance)
    gen, imp = np.array(genuine), np.array(impostor)
    result: dict[str, Any] = {
        "data_dir": str(data_dir),
        "pairs": int(len(gen) + len(imp)),
        "genuine_pairs": int(len(gen)),
        "impostor_pairs": int(len(imp)),
        "pairs_skipped_missing_image": skipped,
        "pairs_without_face": no_face_pairs,
        "images_encoded": len(encode_ms),
        "encode_ms_per_image_median": round(statistics.median(encode_ms), 1) if encode_ms else None,
        "default_threshold_confidence": face_match.DEFAULT_THRESHOLD,
        "default_max_distance": face_match.DEFAULT_MAX_DISTANCE,
    }
    if len(gen) and len(imp):
        for fmr in (0.01, 0.001):
            fnmr, thr = fnmr_at_fmr(gen, imp, fmr)
            result[f"fnmr_at_fmr_{fmr:g}"] = round(fnmr, 4)
            result[f"threshold_distance_at_fmr_{fmr:g}"] = round(thr, 4)
        result["fmr_resolution"] = round(1 / len(imp), 5)
        eer, eer_t = equal_error_rate(gen, imp)
        result["eer"] = round(eer, 4)
        result["eer_threshold_distance"] = round(eer_t, 4)
        t = face_match.DEFAULT_MAX_DISTANCE
        result["at_default_threshold"] = {
            "fmr": round(float(np.mean(imp <= t)), 4),
            "fnmr": round(float(np.mean(gen > t)), 4),
            "accuracy": round(float((np.sum(gen <= t) + np.sum(imp > t)) / (len(gen) + len(imp))), 4),
        }
        finite = lambda x: x[np.isfinite(x)]  # noqa: E731
        result["genuine_distance_max"] = round(float(finite(gen).max()), 4) if np.isfinite(gen).any() else None
        result["impostor_distance_min"] = round(float(finite(imp).min()), 4) if np.isfinite(imp).any() else None
    # End-to-end time of the whole check (detect, quality, encode both, decide) on a few pairs.
    report_ms = []
    for a, b, _ in pairs[:10]:
        ia, ib = cv2.imread(str(a), cv2.IMREAD_UNCHANGED), cv2.imread(str(b), cv2.IMREAD_UNCHANGED)
        if ia is None or ib is None:
            continue
        t0 = time.perf_counter()
        face_match.face_match_report(ia, ib)
        report_ms.append((time.perf_counter() - t0) * 1000)
    if report_ms:
        result["face_match_report_ms_per_pair_median"] = round(statistics.median(report_ms), 1)
        result["face_match_report_pairs_timed"] = len(report_ms)
    _print(result)
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def _print(r: dict[str, Any]) -> None:
    print(f"Face match evaluation: {r['data_dir']}")
    print(f"  pairs {r['pairs']} ({r['genuine_pairs']} same, {r['impostor_pairs']} different); "
          f"skipped (missing image) {r['pairs_skipped_missing_image']}; without a face {r['pairs_without_face']}")
    if "eer" in r:
        print(f"  FNMR at FMR 1%:   {r['fnmr_at_fmr_0.01']:.2%} (distance <= {r['threshold_distance_at_fmr_0.01']})")
        print(f"  FNMR at FMR 0.1%: {r['fnmr_at_fmr_0.001']:.2%} (distance <= {r['threshold_distance_at_fmr_0.001']});"
              f" FMR resolvable to {r['fmr_resolution']:.2%} with these impostor pairs")
        print(f"  EER: {r['eer']:.2%} (distance {r['eer_threshold_distance']})")
        d = r["at_default_threshold"]
        print(f"  default threshold confidence {r['default_threshold_confidence']} (distance {r['default_max_distance']}):"
              f" accuracy {d['accuracy']:.2%}, FMR {d['fmr']:.2%}, FNMR {d['fnmr']:.2%}")
        print(f"  max genuine distance {r['genuine_distance_max']}, min impostor distance {r['impostor_distance_min']}")
    print(f"  encode per image (detect+encode) median {r['encode_ms_per_image_median']} ms;"
          f" face_match_report per pair median {r.get('face_match_report_ms_per_pair_median')} ms")


# ----------------------------------------------------------------- people: the calibration set


def _representation(e, mirrored: bool, jittered: bool = False) -> np.ndarray:
    """An embedding face match can encode: the chip's, the mean with its mirror image's, or the mean
    of the jittered chips' (faces.jittered_chips; not with the mirror image, whose cost is not worth it)."""
    if jittered:
        return e.emb_jit
    return (e.emb + e.emb_flip) / 2 if mirrored else e.emb


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


# (name, jittered chips, mirrored chips, embeddings scaled to length 1, directions from the faces' mean):
# face match compares the variant with JITTERED, MIRRORED, unit=True and centred=False
# (faces.unit_distance); the others for the record (centred: face_calibration.cross_validate_centred;
# measured, not used: face_match.py).
VARIANTS = (("unit jittered", True, False, True, False), ("unit", False, False, True, False),
            ("unit mirrored", False, True, True, False), ("centred", False, False, True, True),
            ("euclidean", False, False, False, False))


def gather(data_dir: str | Path, people: list[str | Path] = (), cache_dir: str | Path | None = None,
           workers: int = 1, max_per_identity: int = 20):
    """Samples of ../shared/data (when `data_dir` is laid out like it) and of each people folder,
    embedded (cached per source in `cache_dir`), at most `max_per_identity` images a person."""
    from identity_app.evaluation import face_calibration as cal, face_sets

    parts = []
    shared = face_sets.shared_samples(data_dir)
    lfw_stems: set[str] = set()
    for folder in people:
        has_people = any(p.is_dir() for p in Path(folder).iterdir())
        samples = face_sets.people_samples(folder) if has_people else face_sets.pair_labelled_samples(folder)
        lfw_stems |= {Path(s.path).stem for s in samples}
        cache = Path(cache_dir) / f"{Path(folder).name}.npz" if cache_dir else None
        parts.append(face_sets.embed(samples, cache, workers=workers, progress=True))
    # The LFW samples of ../shared/data are LFW's own photos: once is enough.
    shared = [s for s in shared if not (s.source == "face-lfw-samples" and Path(s.path).stem in lfw_stems)]
    if shared:
        cache = Path(cache_dir) / "shared.npz" if cache_dir else None
        parts.insert(0, face_sets.embed(shared, cache, workers=workers))
    if not parts:
        return None
    samples = [s for p in parts for s in p.samples]
    merged = face_sets.Embedded(samples, *(np.concatenate([getattr(p, k) for p in parts]) for k in
                                           ("found", "width", "sharpness", "brightness", "emb", "emb_flip", "ms",
                                            "emb_jit")))
    found = np.nonzero(merged.found)[0]
    kept = found[cal.select([samples[i].identity for i in found], [samples[i].path + str(samples[i].frame)
                                                                  for i in found], max_per_identity)]
    return merged, merged.subset(kept)


def _figures(ps, fmrs=(0.001, 0.01), held_out: dict | None = None) -> dict[str, Any]:
    """`held_out`: the cross-validated figures per FMR when they are not cross_validate(ps, fmr)'s
    (centred directions: each fold's centre fitted without its people)."""
    from identity_app.evaluation import face_calibration as cal

    out: dict[str, Any] = {}
    for fmr in fmrs:
        cv = held_out[fmr] if held_out else cal.cross_validate(ps, fmr)
        fnmr, thr = cal.oracle_fnmr(ps, fmr)
        out[f"fmr_{fmr:g}"] = {
            "heldout_fmr": cv.heldout_fmr, "heldout_false_matches": cv.heldout_false_matches,
            "heldout_impostor_pairs": cv.heldout_impostors, "heldout_false_match_people_pairs": cv.heldout_false_match_people,
            "heldout_fnmr": cv.heldout_fnmr, "heldout_genuine_pairs": cv.heldout_genuine,
            "fold_thresholds": [round(t, 4) for t in cv.threshold_per_fold],
            "fold_thresholds_exact": list(cv.threshold_per_fold),
            "training_fnmr": fnmr, "training_threshold": round(thr, 4),
        }
    e, t = cal.eer(ps)
    out["training_eer"], out["training_eer_distance"] = e, round(t, 4)
    return out


def run_face_evaluation(data_dir: str | Path, json_path: str | Path | None = None, *,
                        people: list[str | Path] = (), cache_dir: str | Path | None = None,
                        workers: int = 1, max_per_identity: int = 20, folds: int = 5) -> dict[str, Any]:
    """FNMR at FMR 0.1% and 1%, EER and the FMR at the default threshold on every labelled face of
    ../shared/data and of `people` folders (LFW layout), held-out (subject-wise cross-validation)
    and training figures apart. A folder with only pair lists is measured on its pairs instead."""
    from identity_app.checks import face_match
    from identity_app.evaluation import face_attempts, face_calibration as cal

    gathered = gather(data_dir, people, cache_dir, workers, max_per_identity)
    if gathered is None:
        return run_pair_evaluation(data_dir, json_path)
    everything, e = gathered
    mirrored = face_match.MIRRORED
    people_sources = {Path(p).name for p in people}
    result: dict[str, Any] = {
        "data_dir": str(data_dir), "people_folders": [str(p) for p in people],
        "images": len(everything.samples), "images_without_face": int((~everything.found).sum()),
        "images_used": len(e.samples), "max_images_per_person": max_per_identity,
        "identities": len({s.identity for s in e.samples}),
        "sources": {src: int(sum(1 for s in e.samples if s.source == src)) for src in sorted({s.source for s in e.samples})},
        "encode_ms_per_image_median": round(float(np.median(everything.ms[everything.found])), 1),
        "mirrored": mirrored, "folds": folds,
        "default_threshold_confidence": face_match.DEFAULT_THRESHOLD,
        "default_max_distance": face_match.DEFAULT_MAX_DISTANCE, "stated_fmr": face_match.STATED_FMR,
    }
    widths = e.width.astype(float)
    ids = [s.identity for s in e.samples]
    groups = [s.group for s in e.samples]
    order = [f"{s.path}|{s.frame:04d}" for s in e.samples]
    result["variants"] = [v[0] for v in VARIANTS]
    result["jittered"] = face_match.JITTERED
    for name, jit, mir, unit, centred in VARIANTS:
        raw = _representation(e, mir, jit)
        centres = None
        if centred:
            # Training figures with the centre of all these faces; held-out ones with one fitted per fold.
            ps = cal.build_pairs(cal.centred(raw, cal.fit_centre(raw)), ids, groups, widths, folds=folds, duplicate_below=0.05 / 1.4,
                                 tail_below=cal.CENTRED_TAIL, duplicates_by=_unit(raw))
            cvs = {fmr: cal.cross_validate_centred(raw, ids, groups, widths, fmr, folds=folds) for fmr in (0.001, 0.01)}
            figs = _figures(ps, held_out={fmr: c.figures for fmr, c in cvs.items()})
            centres = cvs[0.001].centres
        else:
            # The same near-copies dropped either way: scaled to length 1, embeddings are ~1/1.4 as long as dlib's.
            ps = cal.build_pairs(_unit(raw) if unit else raw, ids, groups, widths, folds=folds,
                                 duplicate_below=0.05 / 1.4 if unit else 0.05)
            figs = _figures(ps)
        # The multi-frame selfie against the same held-out thresholds as one frame (face_attempts.py).
        att = face_attempts.compare(raw, ids, groups, order, tuple(figs["fmr_0.001"]["fold_thresholds_exact"]),
                                    folds, unit=unit, centres=centres)
        figs["attempts_fmr_0.001"] = dataclasses.asdict(att)
        figs.update({"genuine_pairs": int(len(ps.genuine)), "impostor_pairs": int(ps.impostor_count),
                     "fmr_resolution": 1 / ps.impostor_count, "duplicates_dropped": ps.duplicates_dropped})
        figs["used_by_face_match"] = jit == face_match.JITTERED and mir == mirrored and unit and not centred
        if figs["used_by_face_match"]:
            t = face_match.DEFAULT_MAX_DISTANCE
            fmr, hits = cal.fmr_at(ps, t)
            people_pairs = {tuple(sorted(p)) for p in ps.impostor_tail_people[ps.impostor_tail <= t].tolist()}
            figs["at_default_threshold"] = {
                "fmr": fmr, "false_matches": hits, "false_match_people_pairs": len(people_pairs),
                "fnmr": float(np.mean(ps.genuine > t)),
                "fnmr_faces_under_80px": float(np.mean(ps.genuine[ps.genuine_width < 80] > t))
                if (ps.genuine_width < 80).any() else None,
                "fnmr_faces_80px_and_over": float(np.mean(ps.genuine[ps.genuine_width >= 80] > t))
                if (ps.genuine_width >= 80).any() else None,
            }
            result["genuine_pairs"], result["impostor_pairs"] = figs["genuine_pairs"], figs["impostor_pairs"]
            # On the pairs with a --people image: held out only for people who took no part in choosing
            # the default (face_match.py names the faces it was chosen on).
            marked = np.array([s.source != "shared" and s.source in people_sources for s in e.samples])
            if marked.any():
                x = cal.at_threshold(_unit(raw), ids, groups, marked,
                                     face_match.distance_from_confidence(face_match.DEFAULT_THRESHOLD),
                                     duplicate_below=0.05 / 1.4)
                figs["default_on_people_folders"] = dataclasses.asdict(x) | {"fmr": x.fmr, "fnmr": x.fnmr}
        result[name] = figs
    _print_people(result)
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2, default=float))
    return result


def _print_people(r: dict[str, Any]) -> None:
    print(f"Face match evaluation: {r['data_dir']} {' '.join(r['people_folders'])}")
    print(f"  {r['images_used']} images of {r['identities']} people used ({r['images']} read, "
          f"{r['images_without_face']} without a face found; at most {r['max_images_per_person']} a person)")
    print("  sources: " + ", ".join(f"{k} {v}" for k, v in r["sources"].items()))
    for name in r["variants"]:
        f = r[name]
        used = " (face match uses this)" if f["used_by_face_match"] else ""
        print(f"  {name} embedding{used}: {f['genuine_pairs']} genuine pairs, {f['impostor_pairs']} impostor pairs"
              f" (FMR resolvable to about {f['fmr_resolution']:.1e}; pairs share people, so less in practice)")
        for fmr in ("0.001", "0.01"):
            g = f[f"fmr_{fmr}"]
            print(f"    FMR {float(fmr):.1%}: held-out ({r['folds']}-fold by person) FNMR {g['heldout_fnmr']:.2%}"
                  f" at FMR {g['heldout_fmr']:.3%} ({g['heldout_false_matches']}/{g['heldout_impostor_pairs']},"
                  f" {g['heldout_false_match_people_pairs']} people pairs); training: FNMR {g['training_fnmr']:.2%}"
                  f" at distance {g['training_threshold']}")
        print(f"    EER (training): {f['training_eer']:.2%} at distance {f['training_eer_distance']}")
        a = f["attempts_fmr_0.001"]
        print(f"    selfie of 3 frames vs 1, held-out thresholds for FMR 0.1% ({a['attempts']} attempts of"
              f" {a['people']} people): FNMR {a['fnmr_multi']:.2%} ({a['genuine_multi']} comparisons) vs"
              f" {a['fnmr_single']:.2%} ({a['genuine_single']}); FMR {a['fmr_multi']:.3%}"
              f" ({a['false_matches_multi']}/{a['impostor_multi']}) vs {a['fmr_single']:.3%}"
              f" ({a['false_matches_single']}/{a['impostor_single']})")
        d = f.get("at_default_threshold")
        if d:
            g = f[f"fmr_{r['stated_fmr']:g}"]
            print(f"    default threshold confidence {r['default_threshold_confidence']} (distance {r['default_max_distance']}),"
                  f" stated FMR {r['stated_fmr']:.1%}: on all these pairs (training: face_match.py names the faces it was chosen on) FMR {d['fmr']:.3%}"
                  f" ({d['false_matches']} pairs, {d['false_match_people_pairs']} people pairs), FNMR {d['fnmr']:.2%};"
                  f" chosen so on other people (held-out): FMR {g['heldout_fmr']:.3%}, FNMR {g['heldout_fnmr']:.2%}")
        p = f.get("default_on_people_folders")
        if p:
            print(f"    default threshold on the pairs with a --people image (training figure for the people"
                  f" face_match.py names, held-out for others):"
                  f" FMR {p['fmr']:.3%} ({p['false_matches']}/{p['impostors']}, {p['false_match_people_pairs']} people"
                  f" pairs), FNMR {p['fnmr']:.2%} ({p['false_non_matches']}/{p['genuine']})")
    print(f"  detect + 2 encodings per image, median {r['encode_ms_per_image_median']} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="folder with pairs*.csv (img_a,img_b,label) or LFW pairs*.txt")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--people", action="append", default=[], help="a folder of people (LFW layout); repeatable")
    parser.add_argument("--cache", help="folder for the embedding cache")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    run_face_evaluation(args.data, args.json, people=args.people, cache_dir=args.cache, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
