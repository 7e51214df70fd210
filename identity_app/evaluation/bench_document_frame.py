"""`python -m identity_app.evaluation.bench_document_frame`: CPU per live document frame.

The capture page sends a 640-px JPEG of the camera about every 500 ms while a person
holds a document up (issue 13); the server runs document_frame.assess_frame on each.
This times that call, CPU time (time.process_time, one thread: cv2.setNumThreads(1) as in
the pool's children) beside wall time and the load average, on a fixed set of frames:

- "video": a real passport (mrz-passporteye 100_pass-uto.jpg) on a desk, swaying by a
  pixel or two, and held too near (cut by the frame), as the browser tests' fake camera
  shows it (I420 and back, then JPEG as the page sends it);
- "synthetic": synthetic_documents.capture_set photos (every capture variant) scaled to
  640 px and JPEG-encoded as the page would send them, and a few at their full size
  (find_document also runs on uploads, see text_extraction);
- "real": the phone photos of docs-photographed-dev, at their size and at 640 px.

`--reference FILE` times another version of document_frame.py (say `git show
22291e9:identity_app/checks/document_frame.py > /tmp/before.py`) frame by frame beside this
one, interleaved, so both see the same load, and compares their answers.
`--save PATH` writes every frame's answer (corners, problems, auto readiness) as JSON;
`--compare PATH` says how many answers are the same as a saved run's and the largest
corner difference. Data are read in place from ../shared/data (evaluation use only).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
PASSPORT = "mrz-passporteye/testdata/100_pass-uto.jpg"
SIZE = (640, 480)
# The frame problems that stop the automatic capture (services/capture/flow.FRAME_PROBLEMS_SHOWN).
STOPS_AUTO = ("PARTLY_OUT_OF_FRAME", "TOO_SMALL", "BLURRED")


def _jpeg(image: np.ndarray, quality: int = 80) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _camera(image: np.ndarray) -> np.ndarray:
    """What the page sends: the fake camera's I420, the canvas, a JPEG."""
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)
    return _jpeg(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420))


def _to_640(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    s = 640 / max(h, w)
    return cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else image


def _desk_frame(doc: np.ndarray, fill: float, turn: float) -> np.ndarray:
    """The document on a dark textured desk, `fill` of the frame, its right edge `turn` px nearer."""
    rng = np.random.default_rng(7)
    desk = np.zeros((SIZE[1], SIZE[0], 3), np.float32)
    desk[:] = (52, 66, 84)
    noise = cv2.GaussianBlur(rng.normal(0, 9, (SIZE[1], SIZE[0])).astype(np.float32), (0, 0), 3)
    frame = np.clip(desk + noise[..., None], 0, 255).astype(np.uint8)
    h, w = doc.shape[:2]
    scale = min(fill * SIZE[0] / w, fill * SIZE[1] / h)
    dw, dh = w * scale, h * scale
    x0, y0 = (SIZE[0] - dw) / 2, (SIZE[1] - dh) / 2
    dst = np.float32([[x0, y0 + turn], [x0 + dw, y0 - turn], [x0 + dw, y0 + dh + turn], [x0, y0 + dh - turn]])
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), dst)
    warped = cv2.warpPerspective(doc, m, SIZE, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, SIZE)
    frame[mask > 0] = warped[mask > 0]
    return frame


def frame_set(data: Path, synthetic: int = 60, full_size: int = 10) -> list[tuple[str, np.ndarray]]:
    frames: list[tuple[str, np.ndarray]] = []
    passport = cv2.imread(str(data / PASSPORT))
    if passport is not None:
        for k in range(32):
            frames.append((f"video/held-{k}", _camera(_desk_frame(passport, 0.86, 2.0 * np.sin(k / 3)))))
        for k in range(3):
            frames.append((f"video/cut-{k}", _camera(_desk_frame(passport, 1.25, 2.0 * k))))
    from identity_app.evaluation import synthetic_documents as synth

    if synth.fonts_available():
        for doc in synth.capture_set(synthetic, 5000, data_dir=data):
            frames.append((f"synthetic/{doc.seed}-{doc.capture}", _jpeg(_to_640(doc.image))))
            if doc.seed - 5000 < full_size:
                frames.append((f"synthetic-full/{doc.seed}-{doc.capture}", doc.image))
    for path in sorted((data / "docs-photographed-dev").glob("*.png")):
        image = cv2.imread(str(path))
        frames.append((f"real/{path.stem}", image))
        frames.append((f"real-640/{path.stem}", _jpeg(_to_640(image))))
    return frames


def answer(assessment) -> dict:
    return {"corners": [list(c) for c in assessment.corners] if assessment.corners else None,
            "problems": list(assessment.problems),
            "auto": assessment.corners is not None and not any(p in STOPS_AUTO for p in assessment.problems)}


def compare(saved: dict, now: dict) -> None:
    same_problems = same_auto = 0
    worst, worst_name, lost = 0.0, "", []
    for name, a in now.items():
        b = saved.get(name)
        if b is None:
            continue
        same_problems += a["problems"] == b["problems"]
        same_auto += a["auto"] == b["auto"]
        if (a["corners"] is None) != (b["corners"] is None):
            lost.append(name)
        elif a["corners"] is not None:
            d = float(np.abs(np.array(a["corners"]) - np.array(b["corners"])).max())
            if d > worst:
                worst, worst_name = d, name
        if a["problems"] != b["problems"] or a["auto"] != b["auto"]:
            print(f"  differs: {name}: {b['problems']} auto={b['auto']} -> {a['problems']} auto={a['auto']}")
    n = len([k for k in now if k in saved])
    print(f"compared {n} frames: same problems {same_problems}, same auto {same_auto}, "
          f"corners found in one run only {len(lost)} {lost}, max corner difference {worst:.2f} px ({worst_name})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m identity_app.evaluation.bench_document_frame")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    p.add_argument("--synthetic", type=int, default=60, help="synthetic capture photos (5000 on)")
    p.add_argument("--runs", type=int, default=3, help="timed passes over the set")
    p.add_argument("--save", type=Path, help="write the answers here (JSON)")
    p.add_argument("--compare", type=Path, help="compare the answers with a saved run's")
    p.add_argument("--reference", type=Path, help="another document_frame.py to time beside this one")
    p.add_argument("--profile", action="store_true", help="print the cProfile of one pass")
    args = p.parse_args(argv)
    cv2.setNumThreads(1)  # as in the image pool's children
    from identity_app.checks.document_frame import assess_frame

    data = args.data.resolve()
    frames = frame_set(data, args.synthetic)
    if not frames:
        print(f"evaluation data not found under {data}")
        return 2
    answers = {name: answer(assess_frame(image)) for name, image in frames}  # also warms up
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    cpu: dict[str, list[float]] = {}
    wall: list[float] = []
    for _ in range(args.runs):
        for name, image in frames:
            w0, c0 = time.perf_counter(), time.process_time()
            assess_frame(image)
            cpu.setdefault(name.split("/")[0], []).append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
    # The live feedback does not use GLARE (flow.FRAME_PROBLEMS_SHOWN): what it costs without it.
    for _ in range(args.runs):
        for name, image in frames:
            c0 = time.process_time()
            assess_frame(image, with_glare=False)
            cpu.setdefault("all, no glare", []).append((time.process_time() - c0) * 1000)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"assess_frame, {len(frames)} frames x {args.runs} runs, CPU ms per frame (time.process_time):")
    print(f"{'set':<16} {'n':>5} {'mean':>7} {'p50':>7} {'p95':>7}")
    everything = [x for k, v in cpu.items() if k != "all, no glare" for x in v]
    rows = [(k, v) for k, v in cpu.items() if k != "all, no glare"] + [("all", everything)]
    for name, samples in rows + [("all, no glare", cpu["all, no glare"])]:
        s = sorted(samples)
        print(f"{name:<16} {len(s):>5} {statistics.mean(s):>7.1f} {statistics.median(s):>7.1f} "
              f"{s[int(round(0.95 * (len(s) - 1)))]:>7.1f}")
    print(f"wall ms per frame (with glare): mean {statistics.mean(wall):.1f}, p50 {statistics.median(wall):.1f}; "
          f"load average before/after: {load_before} / {load_after} (other processes share the 2 cores)")
    if args.reference:
        import importlib.util

        spec = importlib.util.spec_from_file_location("document_frame_reference", args.reference)
        ref = importlib.util.module_from_spec(spec)
        import sys

        sys.modules[spec.name] = ref  # its dataclasses look their module up
        spec.loader.exec_module(ref)  # type: ignore[union-attr]
        theirs = {name: answer(ref.assess_frame(image)) for name, image in frames}
        pair: dict[str, list[float]] = {"reference": [], "this": [], "this, no glare": []}
        for _ in range(args.runs):
            for name, image in frames:
                for key, call in (("reference", lambda: ref.assess_frame(image)), ("this", lambda: assess_frame(image)),
                                  ("this, no glare", lambda: assess_frame(image, with_glare=False))):
                    c0 = time.process_time()
                    call()
                    pair[key].append((time.process_time() - c0) * 1000)
        print(f"interleaved with {args.reference}, CPU ms per frame (load average now "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}):")
        for key, samples in pair.items():
            s = sorted(samples)
            print(f"  {key:<16} {len(s):>5} mean {statistics.mean(s):6.1f}  p50 {statistics.median(s):6.1f}  "
                  f"p95 {s[int(round(0.95 * (len(s) - 1)))]:6.1f}")
        print(f"  mean ratio reference / this: {statistics.mean(pair['reference']) / statistics.mean(pair['this']):.2f}x"
              f", / this without glare: {statistics.mean(pair['reference']) / statistics.mean(pair['this, no glare']):.2f}x")
        compare(theirs, answers)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for name, image in frames:
            if name.split("/")[0] in ("video", "synthetic", "real-640"):
                assess_frame(image)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    if args.save:
        args.save.write_text(json.dumps(answers, indent=1))
        print(f"answers written to {args.save}")
    if args.compare:
        compare(json.loads(args.compare.read_text()), answers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
