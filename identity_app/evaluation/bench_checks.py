"""`python -m identity_app.cli bench checks`: check latencies with warm models.

Prints p50/p95 per check and for a whole verification (document front +
selfie + a 30-frame liveness sequence), on the machine it runs on. Inputs are
real images from ../shared/data (evaluation use only, read in place).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
DOCUMENTS = ["testdata/100_pass-cze.jpg", "testdata/100_id-che.jpg", "testdata/100_pass-chn.jpg"]
SELFIE = "face-verify-face_recognition/tests/obama.jpg"
LIVENESS_STILLS = ["reaction/open_eyes.png", "pose/left_face.jpeg", "pose/right_face.png",
                   "reaction/close_eyes.jpeg"]


def camera_frame(image: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """Fit an image into a camera-sized frame (letterboxed), as a webcam would deliver."""
    w, h = size
    scale = min(w / image.shape[1], h / image.shape[0])
    resized = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
    out = np.zeros((h, w, 3), np.uint8)
    y, x = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    out[y:y + resized.shape[0], x:x + resized.shape[1]] = resized
    return out


def liveness_sequence(data: Path, n: int = 30) -> list[np.ndarray]:
    stills = [camera_frame(cv2.imread(str(data / "liveness-pose-eyes-insightface" / s))) for s in LIVENESS_STILLS]
    frontal, left, right, closed = stills
    # frontal, turn left, back, blink, turn right, back: 30 frames at ~10 fps.
    pattern = [frontal] * 6 + [left] * 4 + [frontal] * 5 + [closed] * 2 + [frontal] * 5 + [right] * 4 + [frontal] * 4
    return pattern[:n]


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    return statistics.median(s), p95


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m identity_app.cli bench checks")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    p.add_argument("--runs", type=int, default=10, help="whole verifications to time")
    args = p.parse_args(argv or [])
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    data = args.data.resolve()
    if not (data / "mrz-passporteye").is_dir():
        print(f"evaluation data not found under {data}")
        return 2

    from identity_app.checks import face_models
    from identity_app.checks.document_authenticity import (AuthenticityThresholds, DocumentPolicy,
                                                           document_authenticity_report)
    from identity_app.checks.face_match import face_match_report
    from identity_app.checks.image_quality import assess_quality
    from identity_app.checks.liveness import Challenge, analyse_frame, best_frontal_frame, liveness_report
    from identity_app.checks.text_extraction import extract_document_text, text_data_report

    t0 = time.perf_counter()
    face_models.warm_up()
    print(f"models warm-up (once per worker process): {time.perf_counter() - t0:.2f} s")

    docs = [cv2.imread(str(data / "mrz-passporteye" / d)) for d in DOCUMENTS]
    selfie = cv2.imread(str(data / SELFIE))
    frames = liveness_sequence(data)
    timestamps = [i / 10 for i in range(len(frames))]
    challenges = [Challenge.TURN_LEFT, Challenge.BLINK, Challenge.TURN_RIGHT]
    today = date.today()
    doc_thresholds = AuthenticityThresholds(specimen_ocr=False)  # text extraction's raw text is reused

    def verification(doc: np.ndarray) -> None:
        text = extract_document_text(doc, today=today)
        text_data_report(text)
        document_authenticity_report(doc, text, DocumentPolicy(), today=today, thresholds=doc_thresholds)
        analyses = [analyse_frame(f) for f in frames]
        liveness_report(frames, timestamps, challenges, analyses=analyses)
        best = best_frontal_frame(frames, analyses)
        face_match_report(doc, frames[best] if best is not None else selfie)

    # one untimed pass, so lazy loaders (OCR engines) are warm
    verification(docs[0])

    rows: list[tuple[str, list[float]]] = []
    frame = frames[0]
    rows.append(("image quality, one 640x480 frame", timed(lambda: assess_quality(camera_frame(docs[0])), 30)))
    rows.append(("liveness analysis, one 640x480 frame", timed(lambda: analyse_frame(frame), 60)))
    texts = [extract_document_text(d, today=today) for d in docs]
    rows.append(("text extraction (MRZ + printed fields)",
                 [x for d in docs for x in timed(lambda d=d: extract_document_text(d, today=today), 2)]))
    rows.append(("document authenticity",
                 [x for d, t in zip(docs, texts) for x in timed(
                     lambda d=d, t=t: document_authenticity_report(d, t, DocumentPolicy(), today=today,
                                                                   thresholds=doc_thresholds), 2)]))
    rows.append(("face match (document vs selfie)",
                 [x for d in docs for x in timed(lambda d=d: face_match_report(d, selfie), 2)]))
    analyses = [analyse_frame(f) for f in frames]
    rows.append(("liveness decision, 30 frames analysed live",
                 timed(lambda: liveness_report(frames, timestamps, challenges, analyses=analyses), 5)))
    rows.append(("liveness, 30 frames analysed in the check",
                 timed(lambda: liveness_report(frames, timestamps, challenges), 5)))
    whole = [x for i in range(args.runs) for x in timed(lambda: verification(docs[i % len(docs)]), 1)]
    rows.append(("whole verification (all four checks)", whole))

    print(f"{'check':<45} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}")
    for name, samples in rows:
        p50, p95 = percentiles(samples)
        print(f"{name:<45} {len(samples):>4} {p50:>9.1f} {p95:>9.1f}")
    print(f"cores: {os.cpu_count()}, OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
