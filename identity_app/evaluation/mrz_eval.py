"""MRZ evaluation: our reader against the ground truth, with PassportEye's
baseline on the same images in the same run.

Reads every `ground_truth_mrz.csv` under DIR (columns `file,mrz`, the MRZ
lines joined by `|`, image paths relative to the CSV; other columns are
ignored). Prints:

- documents read exactly (every line), and the exact-line rate;
- per-field accuracy (the fields parsed from the reading vs from the truth);
- integrity negatives: rows whose true check digits are invalid as printed,
  and how many of them the reader reported invalid;
- how many readings carry valid check digits, and how many of those are
  wrong anyway (valid-but-wrong: a checksum collision or a misread field
  that no check digit covers);
- with --with-visual-zone, the printed fields read and how many agree with
  the true MRZ;
- mean and median seconds per image (MRZ reading only unless
  --with-visual-zone; models warmed on the first image before timing);
- per true format, national formats (the French identity card, FRA_ID)
  counted as their own: documents, MRZ found, read exactly, and readings
  reported as another format or as "not an ICAO MRZ";
- with the visual zone, valid-but-wrong readings the cross-check did not
  flag (no printed field disagreeing, no alternative reading reported, no
  unknown country code or impossible sex: the report approves none of these);
- the same for PassportEye's read_mrz (its `valid` flag: all check digits),
  and the ratios of valid reads and median times (no ratio of valid reads
  when PassportEye read none).

--generated N measures on N synthetic documents instead of (or beside) a
folder (evaluation/synthetic_documents.py; written as JPEG to a temporary
folder outside the repository so both readers open the same files).

    python -m identity_app.evaluation.mrz_eval [DIR] [--generated N] [--json FILE] [--no-baseline] [--with-visual-zone]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from identity_app.checks.document_data import FIELD_NAMES
from identity_app.checks.mrz_parse import parse_mrz
from identity_app.checks.text_extraction import PRINTED_COMPARED, comparable, implausible_fields


@dataclass(frozen=True)
class Sample:
    path: Path
    lines: tuple[str, ...]
    kind: str = ""            # generated documents: scan, photo, small, two_sides, wide_spacing


def load_samples(data_dir: Path) -> tuple[list[Sample], int]:
    """Samples from every ground_truth_mrz.csv under data_dir; also the count of missing images."""
    samples, missing = [], 0
    for csv_path in sorted(data_dir.rglob("ground_truth_mrz.csv")):
        with csv_path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                file, mrz = (row.get("file") or "").strip(), (row.get("mrz") or "").strip()
                if not file or not mrz:
                    continue
                path = csv_path.parent / file
                if not path.is_file():
                    missing += 1
                    continue
                samples.append(Sample(path, tuple(mrz.split("|"))))
    return samples, missing


def generated_samples(n: int, folder: Path, seed: int = 1000) -> list[Sample]:
    """n synthetic documents written to `folder` as JPEG (quality 95: the
    generator has already compressed the ones it meant to), with their truth."""
    from identity_app.evaluation.synthetic_documents import generate

    out = []
    for i in range(n):
        doc = generate(seed + i)
        path = folder / f"{doc.seed}_{doc.format}_{doc.kind}.jpg"
        cv2.imwrite(str(path), doc.image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        out.append(Sample(path, doc.lines, doc.kind))
    return out


def _format(lines) -> str:
    parsed = parse_mrz(lines, repair=False) if lines else None
    return parsed.format if parsed else "none"


def _fields(lines) -> dict[str, str]:
    parsed = parse_mrz(lines, repair=False) if lines else None
    return dict(parsed.fields) if parsed else {}


def _truth_valid(lines: tuple[str, ...]) -> bool:
    parsed = parse_mrz(lines, repair=False)
    return bool(parsed and parsed.valid)


def _ours(samples: list[Sample], visual_zone: bool = False) -> list[dict[str, Any]]:
    from identity_app.checks.text_extraction import extract_document_text

    if samples:  # warm the OCR engines (model loading is not per-image work)
        extract_document_text(cv2.imread(str(samples[0].path)), read_visual_zone=visual_zone)
    out = []
    for s in samples:
        image = cv2.imread(str(s.path), cv2.IMREAD_COLOR)
        t0 = time.perf_counter()
        doc = extract_document_text(image, read_visual_zone=visual_zone) if image is not None else None
        elapsed = time.perf_counter() - t0
        found = bool(doc and doc.mrz_found)
        printed = dict(doc.printed_fields) if doc is not None else {}
        # The report's printed_vs_mrz sub-checks (a held MRZ glyph outweighs the printed confusable).
        disagreeing = [k for k in printed if found and k in PRINTED_COMPARED and doc.printed_agrees(k) is False]
        disagree = bool(disagreeing)
        implausible = implausible_fields(doc) if found else ()
        out.append({
            "lines": tuple(doc.mrz_lines) if found else (),
            "valid": bool(found and doc.check_digits_valid),
            "found": found,
            "seconds": elapsed,
            "rotation": doc.rotation if found else None,
            "engine": doc.engine if found else "",
            "repairs": len(doc.repairs) if found else 0,
            "printed": printed,
            "format": doc.mrz_format if found else "none",
            # Lines whose length was fitted (a character dropped or doubled by the engines).
            "refitted": sorted({r.line for r in doc.repairs if r.reason.startswith("line too")}) if found else [],
            # The reading carries its own warning: printed fields disagree, it reads two ways, or
            # a field no check digit covers cannot be right (the report does not approve it).
            "flagged": bool(found and (doc.mrz_alternatives or disagree or implausible or doc.mrz_against_glyphs)),
            # Why it is flagged: the fields the printed ones disagree on, "alternatives", implausible fields.
            "why": ([f"printed {k}: {printed[k]!r} vs {doc.field(k)!r}" for k in disagreeing]
                    + (["alternatives"] if found and doc.mrz_alternatives else [])
                    + [f"implausible {f}" for f in implausible]
                    + [f"against held glyph {ch} at line {li + 1} position {pos + 1}"
                       for li, pos, ch in (doc.mrz_against_glyphs if found else ())]),
        })
    return out


def _passporteye(samples: list[Sample]) -> list[dict[str, Any]]:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    warnings.filterwarnings("ignore")
    from passporteye import read_mrz

    if samples:
        read_mrz(str(samples[0].path))
    out = []
    for s in samples:
        t0 = time.perf_counter()
        try:
            mrz = read_mrz(str(s.path))
        except Exception:  # noqa: BLE001 - a crash on one image is a failed read
            mrz = None
        elapsed = time.perf_counter() - t0
        text = (mrz.aux.get("text") or "") if mrz is not None else ""
        out.append({
            "lines": tuple(line for line in text.splitlines() if line),
            "valid": bool(mrz is not None and mrz.valid),
            "found": mrz is not None,
            "seconds": elapsed,
            "format": _format(tuple(line for line in text.splitlines() if line)) if mrz is not None else "none",
            "flagged": False,
        })
    return out


def _summarise(samples: list[Sample], results: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(samples)
    truth_valid = [_truth_valid(s.lines) for s in samples]
    exact = [r["lines"] == s.lines for s, r in zip(samples, results)]
    total_lines = sum(len(s.lines) for s in samples)
    exact_lines = sum(
        sum(1 for a, b in zip(s.lines, r["lines"]) if a == b) if len(r["lines"]) == len(s.lines) else 0
        for s, r in zip(samples, results)
    )
    field_hits = {name: 0 for name in FIELD_NAMES}
    for s, r in zip(samples, results):
        truth, got = _fields(s.lines), _fields(r["lines"])
        for name in FIELD_NAMES:
            field_hits[name] += int(bool(got) and got.get(name) == truth.get(name))
    printed = [r.get("printed") or {} for r in results]
    # A printed field agrees when it says what the true MRZ says (dates as YYMMDD, names without
    # fillers); a disagreement can also be the document's (transliteration, a truncated MRZ name).
    printed_agree = sum(comparable(k, v) == comparable(k, _fields(s.lines).get(k, ""))
                        for s, p in zip(samples, printed) for k, v in p.items())
    negatives = [i for i, v in enumerate(truth_valid) if not v]
    positives = [i for i, v in enumerate(truth_valid) if v]
    times = [r["seconds"] for r in results]
    by_format: dict[str, dict[str, int]] = {}
    for s, r, e, tv in zip(samples, results, exact, truth_valid):
        row = by_format.setdefault(_format(s.lines), {"documents": 0, "found": 0, "exact": 0, "valid_as_printed": 0,
                                                      "exact_valid_as_printed": 0, "read_as_other_format": 0,
                                                      "read_as_not_icao": 0})
        row["documents"] += 1
        row["found"] += r["found"]
        row["exact"] += e
        row["valid_as_printed"] += tv
        row["exact_valid_as_printed"] += e and tv
        row["read_as_not_icao"] += r.get("format") == "NON_ICAO"
        row["read_as_other_format"] += r["found"] and r.get("format") not in (_format(s.lines), "NON_ICAO")
    kinds: dict[str, dict[str, int]] = {}
    for s, r, e in zip(samples, results, exact):
        if s.kind:
            row = kinds.setdefault(s.kind, {"documents": 0, "found": 0, "exact": 0})
            row["documents"] += 1
            row["found"] += r["found"]
            row["exact"] += e
    return {
        "images": n,
        "found": sum(r["found"] for r in results),
        "exact_documents": sum(exact),
        "exact_documents_valid_as_printed": sum(exact[i] for i in positives),
        "valid_as_printed": len(positives),
        "exact_line_rate": exact_lines / total_lines if total_lines else 0.0,
        "field_accuracy": {k: v / n if n else 0.0 for k, v in field_hits.items()},
        "integrity_negatives": len(negatives),
        "integrity_negatives_reported_invalid": sum(results[i]["found"] and not results[i]["valid"] for i in negatives),
        "integrity_negatives_not_read": sum(not results[i]["found"] for i in negatives),
        "read_with_valid_check_digits": sum(r["valid"] for r in results),
        "valid_but_wrong": sum(r["valid"] and not e for r, e in zip(results, exact)),
        "valid_but_wrong_not_flagged": sum(r["valid"] and not e and not r.get("flagged") for r, e in zip(results, exact)),
        # The cross-check's false alarms: read exactly and valid, yet not approved.
        "exact_but_flagged": sum(r["valid"] and e and bool(r.get("flagged")) for r, e in zip(results, exact)),
        "by_format": by_format,
        "by_kind": kinds,
        "printed_fields": sum(len(p) for p in printed),
        "printed_field_images": sum(bool(p) for p in printed),
        "printed_fields_agreeing_with_truth": printed_agree,
        "seconds_mean": statistics.mean(times) if times else 0.0,
        "seconds_median": statistics.median(times) if times else 0.0,
        "per_image": [
            {"file": s.path.name, "exact": e, "valid": r["valid"], "found": r["found"],
             "truth_valid": tv, "flagged": bool(r.get("flagged")), "why": r.get("why", []),
             "refitted": r.get("refitted", []),
             "seconds": round(r["seconds"], 4),
             "read": "|".join(r["lines"]),
             "truth": "|".join(s.lines)}
            for s, r, e, tv in zip(samples, results, exact, truth_valid)
        ],
    }


def _print(name: str, m: dict[str, Any]) -> None:
    print(f"== {name}")
    print(f"  images: {m['images']}   MRZ found: {m['found']}")
    print(f"  read exactly (all lines): {m['exact_documents']}/{m['images']}"
          f"   of those valid as printed: {m['exact_documents_valid_as_printed']}/{m['valid_as_printed']}")
    print(f"  exact-line rate: {m['exact_line_rate']:.1%}")
    print("  field accuracy: " + ", ".join(f"{k} {v:.0%}" for k, v in m["field_accuracy"].items()))
    print(f"  integrity negatives reported invalid: {m['integrity_negatives_reported_invalid']}/{m['integrity_negatives']}"
          f" (not read at all: {m['integrity_negatives_not_read']})")
    print(f"  read with valid check digits: {m['read_with_valid_check_digits']}/{m['images']}"
          f"   valid but wrong: {m['valid_but_wrong']}"
          f" (not flagged by the visual-zone cross-check: {m['valid_but_wrong_not_flagged']})"
          f"   read exactly but flagged: {m['exact_but_flagged']}")
    for fmt, row in sorted(m["by_format"].items()):
        print(f"  {fmt:7s} documents {row['documents']:3d}  found {row['found']:3d}  exact {row['exact']:3d}"
              f"  (of valid as printed {row['exact_valid_as_printed']}/{row['valid_as_printed']})"
              f"  read as another format {row['read_as_other_format']}  as not ICAO {row['read_as_not_icao']}")
    for kind, row in sorted(m["by_kind"].items()):
        print(f"  {kind:12s} documents {row['documents']:3d}  found {row['found']:3d}  exact {row['exact']:3d}")
    if m.get("printed_fields"):
        print(f"  printed (visual zone) fields read: {m['printed_fields']} on {m['printed_field_images']} images;"
              f" agreeing with the true MRZ: {m['printed_fields_agreeing_with_truth']}")
    print(f"  seconds per image: mean {m['seconds_mean']:.3f}  median {m['seconds_median']:.3f}")


def _print_documents(m: dict[str, Any], every: bool = False) -> None:
    """One line per document read wrong with valid check digits, not found, or invalid as printed
    yet reported valid (with `every`, also each other one not read exactly or flagged): what a
    reviewer of the figures needs to find its kind (the file name says seed, format and kind)."""
    for row in m["per_image"]:
        ok = row["exact"] and (row["valid"] == row["truth_valid"]) and not row["flagged"]
        serious = not row["found"] or row["valid"] and not row["exact"]
        if ok or not (every or serious):
            continue
        if not row["found"]:
            label = "NOT FOUND"
        elif row["valid"] and not row["exact"]:
            label = "VALID BUT WRONG" + ("" if row["flagged"] else " UNFLAGGED")
        elif row["exact"]:
            label = "exact, flagged" if row["flagged"] else "exact"
        elif not row["truth_valid"]:
            label = "invalid as printed" + (", reported valid" if row["valid"] else "")
        else:
            label = "wrong, invalid" + (", flagged" if row["flagged"] else "")
        print(f"  - {row['file']}: {label}" + (f" [{'; '.join(row['why'])}]" if row["why"] else ""))
        if not row["exact"]:
            print(f"      read  {row['read']}\n      truth {row['truth']}")


def capture_figures(n: int, data_dir: Path | None = None, seed: int = 5000) -> dict[str, Any]:
    """The capture assessment (checks/document_frame.assess_frame) on the real phone photos of
    docs-photographed-dev and on n generated photos cycling through the capture variants: per
    variant, how many were accepted and how many refused for the reason the variant is."""
    from identity_app.checks.document_frame import assess_frame
    from identity_app.evaluation.synthetic_documents import DATA_DIR, capture_photos

    expected = {"partial": "PARTLY_OUT_OF_FRAME", "far": "TOO_SMALL", "glare": "GLARE", "blurry": "BLURRED"}
    out: dict[str, Any] = {"dev": {}, "generated": {}, "seeds": [seed, seed + n - 1]}
    dev = Path(data_dir or DATA_DIR) / "docs-photographed-dev"
    for path in sorted(dev.glob("*.png")):
        image = cv2.imread(str(path))
        if image is not None:
            a = assess_frame(image)
            out["dev"][path.name] = list(a.problems) or ["accepted"]
    for doc in capture_photos(n, seed):  # one at a time: not n photos in memory
        a = assess_frame(doc.image)
        row = out["generated"].setdefault(doc.capture, {"photos": 0, "accepted": 0, "refused_for_its_reason": 0})
        row["photos"] += 1
        row["accepted"] += a.usable
        row["refused_for_its_reason"] += expected.get(doc.capture, "") in a.problems
    print(f"== capture assessment (document_frame.assess_frame), generated seeds {seed}-{seed + n - 1}")
    for name, problems in out["dev"].items():
        print(f"  {name}: {', '.join(problems)}")
    for variant, row in out["generated"].items():
        print(f"  generated {variant:7s} photos {row['photos']:3d}  accepted {row['accepted']:3d}"
              + (f"  refused as {expected[variant]} {row['refused_for_its_reason']:3d}" if variant in expected else ""))
    return out


def valid_read_ratio(ours: int, theirs: int) -> str:
    """'ours/theirs = r x', or no ratio when the baseline read none (not 1/0 = 1.0x)."""
    if theirs == 0:
        return f"{ours}/0 (PassportEye read none with valid check digits: no ratio)"
    return f"{ours}/{theirs} = {ours / theirs:.1f}x"


def run_mrz_evaluation(data_dir: Path | None, json_path: Path | None = None, baseline: bool = True,
                       visual_zone: bool = False, generated: int = 0, seed: int = 1000,
                       documents: bool = False, capture: bool = True) -> dict[str, Any]:
    import tempfile

    samples, missing = load_samples(Path(data_dir)) if data_dir else ([], 0)
    with tempfile.TemporaryDirectory(prefix="mrz-generated-") as tmp:
        if generated:
            samples = samples + generated_samples(generated, Path(tmp), seed)
        source = " and ".join(([str(data_dir)] if data_dir else []) +
                              ([f"{generated} generated documents (seed {seed})"] if generated else []))
        if not samples:
            print(f"no ground_truth_mrz.csv rows with images under {data_dir}")
            return {"images": 0, "missing_images": missing}
        print(f"MRZ evaluation on {len(samples)} images from {source}"
              + (f" ({missing} listed images missing)" if missing else "")
              + f"; {os.cpu_count()} CPUs; timings exclude model loading")
        report: dict[str, Any] = {"data": source, "missing_images": missing}
        report["ours"] = _summarise(samples, _ours(samples, visual_zone))
        _print("ours (identity_app.checks.text_extraction, "
               + ("MRZ and visual zone" if visual_zone else "MRZ only") + ")", report["ours"])
        if generated or documents:
            _print_documents(report["ours"], every=documents)
        if baseline:
            try:
                report["passporteye"] = _summarise(samples, _passporteye(samples))
                _print("PassportEye read_mrz (baseline)", report["passporteye"])
            except ImportError as exc:
                print(f"PassportEye baseline skipped: {exc}")
    if generated and capture:
        # the same seeds as the documents read: a held-out --seed is held out for the capture figures too
        report["capture"] = capture_figures(generated, data_dir=None, seed=seed)
    if "passporteye" in report:
        ours, pe = report["ours"], report["passporteye"]
        time_ratio = ours["seconds_median"] / pe["seconds_median"] if pe["seconds_median"] else float("nan")
        print(f"== valid reads ours/PassportEye: {valid_read_ratio(ours['read_with_valid_check_digits'], pe['read_with_valid_check_digits'])};"
              f" median time {ours['seconds_median']:.3f}s vs {pe['seconds_median']:.3f}s = {time_ratio:.2f}x")
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=2))
        print(f"wrote {json_path}")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, nargs="?")
    ap.add_argument("--generated", type=int, default=0, help="also N synthetic documents")
    ap.add_argument("--seed", type=int, default=1000, help="seed of the first synthetic document")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-baseline", action="store_true", help="skip PassportEye")
    ap.add_argument("--with-visual-zone", action="store_true", help="time the full extraction (printed fields too)")
    ap.add_argument("--documents", action="store_true",
                    help="list each document not read exactly and unflagged: file (seed, format, kind), why flagged, read vs truth")
    ap.add_argument("--no-capture", action="store_true", help="skip the capture assessment's figures")
    args = ap.parse_args(argv)
    if args.data is None and not args.generated or args.data is not None and not args.data.is_dir():
        print(f"no such folder: {args.data}" if args.data else "give a folder or --generated N", file=sys.stderr)
        return 2
    run_mrz_evaluation(args.data, args.json, baseline=not args.no_baseline, visual_zone=args.with_visual_zone,
                       generated=args.generated, seed=args.seed, documents=args.documents,
                       capture=not args.no_capture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
