"""`python -m identity_app.cli bench checks`: check latencies with warm models.

Prints p50/p95 per check and for a whole verification (document front +
selfie + a 30-frame liveness sequence), on the machine it runs on. The
whole verification is timed as the worker runs it: the frames' analyses
were made by the web process while they streamed in (one per frame, timed
on its own row) and are read, not redone; a last row also times the
analyses inside the job. Faces are encoded in the worker's encoder process
(faces.use_encoder_process), as in the worker. Inputs are
real images from ../shared/data (evaluation use only, read in place).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
DOCUMENTS = ["testdata/100_pass-cze.jpg", "testdata/100_id-che.jpg", "testdata/100_pass-chn.jpg"]
SELFIE = "face-verify-face_recognition/tests/obama.jpg"
# frontal (eyes closed), eyes open, turned to her right: one person
LIVENESS_STILLS = ["reaction/close_eyes.jpeg", "reaction/open_eyes.png", "pose/left_face.jpeg"]


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
    """30 frames at 10 fps of one person answering TURN_RIGHT, BLINK, TURN_LEFT (CHALLENGES).

    The stills show one person (dlib distances 0.39-0.47), so the sequence
    passes every sub-check, same face and passive cues included: the timing
    covers the whole decision, not an early rejection.
    """
    def still(rel: str) -> np.ndarray:
        return camera_frame(cv2.imread(str(data / "liveness-pose-eyes-insightface" / rel)))

    frontal, opened, turned_right = still(LIVENESS_STILLS[0]), still(LIVENESS_STILLS[1]), still(LIVENESS_STILLS[2])
    turned_left = cv2.flip(turned_right, 1)
    pattern = ([frontal] * 4 + [turned_right] * 4 + [opened] * 5 + [frontal] * 2 + [opened] * 4
               + [frontal] * 3 + [turned_left] * 4 + [opened] * 4)
    return pattern[:n]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    return statistics.median(s), p95


def _cpu_seconds() -> float:
    """This process's CPU time plus its face encoder process's."""
    from identity_app.checks import faces

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + faces.encoder_process_cpu_seconds()


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

    from identity_app.checks import face_models, faces
    from identity_app.checks.document_authenticity import (AuthenticityThresholds, DocumentPolicy,
                                                           document_authenticity_report)
    from identity_app.checks.face_match import MIRRORED, face_match_report
    from identity_app.checks.faces import encode_selfie_frames
    from identity_app.checks.image_quality import assess_quality
    from identity_app.checks.liveness import Challenge, analyse_frame, liveness_report
    from identity_app.checks.selfie import choose_selfie
    from identity_app.checks.text_extraction import extract_document_text, text_data_report

    load_before = _load()
    t0 = time.perf_counter()
    face_models.warm_up()
    faces.use_encoder_process()  # as the worker does
    print(f"models warm-up (once per worker process): {time.perf_counter() - t0:.2f} s")

    docs = [cv2.imread(str(data / "mrz-passporteye" / d)) for d in DOCUMENTS]
    selfie = cv2.imread(str(data / SELFIE))
    frames = liveness_sequence(data)
    timestamps = [i / 10 for i in range(len(frames))]
    challenges = [Challenge.TURN_RIGHT, Challenge.BLINK, Challenge.TURN_LEFT]
    today = date.today()
    doc_thresholds = AuthenticityThresholds(specimen_ocr=False)  # text extraction's raw text is reused

    def document_branch(doc: np.ndarray) -> list[str]:
        text = extract_document_text(doc, today=today)
        reports = [text_data_report(text),
                   document_authenticity_report(doc, text, DocumentPolicy(), today=today, thresholds=doc_thresholds)]
        return [r.recommendation.value for r in reports]

    # The web process analyses each frame as it streams in (the per-frame row below) and stores the
    # analysis with the frame; the worker reads those analyses (services/review/verification.py).
    streamed = [analyse_frame(f) for f in frames]

    def face_branch(doc: np.ndarray, analyses_in_job: bool = False) -> list[str]:
        # As the worker: the selfie chosen and encoded once, compared with the challenge frames
        # in liveness and reused by face match.
        analyses = [analyse_frame(f) for f in frames] if analyses_in_job else streamed
        choice = choose_selfie(frames, analyses)
        best = choice.index
        chosen = frames[best] if best is not None else selfie
        selfie_face = encode_selfie_frames([frames[i] for i in choice.match_frames] if best is not None else [selfie],
                                           mirrored=MIRRORED)
        live = liveness_report(frames, timestamps, challenges, analyses=analyses,
                               selfie_index=best, selfie_face=selfie_face)
        match = face_match_report(doc, chosen, selfie_face=selfie_face)
        return [live.recommendation.value, match.recommendation.value]

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="document-checks")

    def verification(doc: np.ndarray, analyses_in_job: bool = False) -> list[str]:
        """As the worker runs a session (services/review/verification.py): the document branch on a
        second thread, liveness then face match on this one."""
        document = pool.submit(document_branch, doc)
        face = face_branch(doc, analyses_in_job)
        return document.result() + face

    def verification_one_thread(doc: np.ndarray) -> list[str]:
        return document_branch(doc) + face_branch(doc)

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
    # What the selfie's extra encodings cost (the worker encodes the selfie once, for liveness and face match).
    match = choose_selfie(frames, streamed).match_frames
    for n, mirrored in ((1, False), (1, True), (len(match), MIRRORED)):
        rows.append((f"  selfie encoding, {n} frame(s){', mirrored' if mirrored else ''}",
                     timed(lambda n=n, m=mirrored: encode_selfie_frames([frames[i] for i in match[:n]], mirrored=m), 5)))
    analyses = streamed
    rows.append(("liveness decision, 30 frames analysed live",
                 timed(lambda: liveness_report(frames, timestamps, challenges, analyses=analyses), 5)))
    rows.append(("liveness, 30 frames analysed in the check",
                 timed(lambda: liveness_report(frames, timestamps, challenges), 5)))
    outcomes = {d: "/".join(verification(doc)) for d, doc in zip(DOCUMENTS, docs)}
    rows.append(("whole verification, one thread",
                 [x for i in range(args.runs) for x in timed(lambda: verification_one_thread(docs[i % len(docs)]), 1)]))
    cpu_before = _cpu_seconds()
    rows.append(("whole verification, 2 threads (as the worker)",
                 [x for i in range(args.runs) for x in timed(lambda: verification(docs[i % len(docs)]), 1)]))
    cpu_per_verification = (_cpu_seconds() - cpu_before) / args.runs
    rows.append(("  the same, 30 frames analysed in the job",
                 [x for i in range(args.runs) for x in timed(
                     lambda: verification(docs[i % len(docs)], analyses_in_job=True), 1)]))
    pool.shutdown()

    print(f"{'check':<45} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}")
    for name, samples in rows:
        p50, p95 = percentiles(samples)
        print(f"{name:<45} {len(samples):>4} {p50:>9.1f} {p95:>9.1f}")
    # CPU time does not depend on what else shares the cores: wall time on 2 cores cannot go
    # below half of it, and nears it only when this process gets both cores to itself.
    print(f"CPU time per whole verification (2 threads, face encoder process included): "
          f"{cpu_per_verification * 1000:.0f} ms")
    print("outcomes (text data / authenticity / liveness / face match):")
    for name, outcome in outcomes.items():
        print(f"  {name}: {outcome}")
    print(f"cores: {os.cpu_count()}, OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}, "
          f"load average before/after: {load_before} / {_load()} (other processes share these cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
