"""Document authenticity over a folder with ground-truth MRZs: one row per
image with the recommendation, reason and failed sub-checks, so a person
can look at what the check decides on real documents.

    python -m identity_app.evaluation.doc_eval --data ../shared/data/mrz-passporteye \
        [--today 2026-11-25] [--accept-expired] [--no-ocr]
    python -m identity_app.evaluation.doc_eval --quality-timing   # ms per 640x480 frame

DocumentText is built from `ground_truth_mrz.csv` (file,mrz with lines
joined by '|'), parsed WITHOUT repairs, so the check sees exactly the MRZ as
printed: this measures the authenticity logic, not MRZ reading.
"""
from __future__ import annotations

import argparse
import csv
import time
from datetime import date
from pathlib import Path

from identity_app.checks.document_authenticity import (
    AuthenticityThresholds,
    DocumentPolicy,
    document_authenticity_report,
    reasons_of,
)
from identity_app.checks.document_data import DocumentText


def document_text_from_mrz(mrz: str, today: date) -> DocumentText:
    from identity_app.checks.mrz_parse import parse_mrz

    lines = mrz.split("|")
    parsed = parse_mrz(lines, repair=False, today=today)
    if parsed is None:
        return DocumentText(mrz_found=False)
    return DocumentText(
        mrz_found=True,
        mrz_format=parsed.format,
        mrz_lines=parsed.lines,
        fields=parsed.fields,
        check_digits=parsed.check_digits,
        engine="ground_truth",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mrz-passporteye"))
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--accept-expired", action="store_true")
    parser.add_argument("--no-ocr", action="store_true", help="skip the own OCR pass for stamped specimen words")
    parser.add_argument("--quality-timing", action="store_true",
                        help="only time assess_quality on 640x480 frames made from the images")
    args = parser.parse_args(argv)

    import cv2

    if args.quality_timing:
        return quality_timing(args.data)

    gt = args.data / "ground_truth_mrz.csv"
    if not gt.is_file():
        parser.error(f"{gt} not found")
    policy = DocumentPolicy(accept_expired=args.accept_expired)
    thresholds = AuthenticityThresholds(specimen_ocr=not args.no_ocr)
    counts: dict[str, int] = {}
    times = []
    print(f"today={args.today} accept_expired={args.accept_expired} specimen_ocr={not args.no_ocr}")
    print(f"{'file':34s} {'fmt':5s} {'recommendation':14s} {'reason':24s} {'s':>5s}  failed sub-checks")
    with gt.open(newline="") as fh:
        for row in csv.DictReader(fh):
            image = cv2.imread(str(args.data / row["file"]))
            if image is None:
                print(f"{row['file']:34s} unreadable")
                continue
            doc = document_text_from_mrz(row["mrz"], args.today)
            start = time.perf_counter()
            report = document_authenticity_report(image, doc, policy, today=args.today, thresholds=thresholds)
            elapsed = time.perf_counter() - start
            times.append(elapsed)
            key = f"{report.recommendation.value} {report.reason or ''}".strip()
            counts[key] = counts.get(key, 0) + 1
            failed = ",".join(reasons_of(report))
            specimen = next((s for s in report.breakdown if s.sub_check == "specimen"), None)
            found = dict((d.name, d.value) for d in specimen.details).get("found") if specimen else None
            extra = f"  specimen:{found}" if found and found != "none" else ""
            print(
                f"{row['file']:34s} {doc.mrz_format or '-':5s} {report.recommendation.value:14s} "
                f"{report.reason or '-':24s} {elapsed:5.2f}  {failed}{extra}"
            )
    print("\nsummary:")
    for key, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {n:3d}  {key}")
    if times:
        times.sort()
        print(f"time per image: median {times[len(times) // 2]:.2f} s, max {times[-1]:.2f} s")
    return 0


def quality_timing(folder: Path, repeats: int = 5) -> int:
    """assess_quality per live frame: each image placed on a table-coloured
    background and scaled to 640x480, as a webcam would deliver it."""
    import cv2
    import numpy as np

    from identity_app.checks.image_quality import assess_quality

    frames = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".png"):
            continue
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        canvas = np.full((int(h * 1.6), int(w * 1.6), 3), (70, 95, 120), np.uint8)
        y, x = (canvas.shape[0] - h) // 2, (canvas.shape[1] - w) // 2
        canvas[y : y + h, x : x + w] = image
        frames.append(cv2.resize(canvas, (640, 480), interpolation=cv2.INTER_AREA))
    assess_quality(frames[0])  # warm up OpenCV
    times, ok = [], 0
    for _ in range(repeats):
        for frame in frames:
            start = time.perf_counter()
            result = assess_quality(frame)
            times.append((time.perf_counter() - start) * 1000)
            ok += result.ok
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    print(f"assess_quality on {len(frames)} frames x {repeats}, 640x480: "
          f"p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, max {times[-1]:.1f} ms; "
          f"ok {ok / repeats:.0f}/{len(frames)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
