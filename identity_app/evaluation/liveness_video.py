"""Liveness on real video, sampled as the capture page sends it.

    python -m identity_app.cli evaluate liveness-video --data DIR [--labels FILE] [--json FILE]
                                                        [--draws N] [--seed S]

DIR holds video files (anything OpenCV reads) and a `labels.csv`; a folder
without one is read with `--labels FILE`, or else with the file of the same
name as the folder in identity_app/evaluation/labels/ (our labels of
../shared/data: the videos are not ours, the labels are). Columns:

    file,kind,actions[,times][,attack][,incidental][,notes]

- `kind`: `live` or `spoof`; `actions`: the challenges the clip really
  performs, space-separated, among TURN_LEFT TURN_RIGHT BLINK OPEN_MOUTH;
  `times`: the second at which each is performed (its peak), in the same
  order; `attack`: the attack kind of a spoof (e.g. screen_replay,
  printed_photo; APCER is given per kind); `incidental`: fleeting natural
  actions (`BLINK@1.72 ...`), reported but outside the target.

Every clip goes through what production does to a frame (capture_frames):
the page grabs a frame every 1/8 s (assets/capture.js: `fps = 8`), scales
it to a long side of 480 px and encodes JPEG quality 85; the web process
decodes it, analyses it (`analyse_frame`, timed here: the per-frame figure)
and stores it re-encoded at quality 90 (capture.add_liveness_frames); the
worker decodes the stored JPEG and decides (`liveness_report`, the whole
check: challenges, same face, passive cues), with the selfie that
checks/selfie.py chooses (choose_selfie, encoded over its match frames) joining the same-face comparison, as
services/review/verification.py does.

Live clips: each labelled action is offered on its own, as a challenge
shown `LEAD_S` before the action's labelled time (its peak; not before the
previous labelled action's time) and followed for `TAIL_S` after it (not
past the next labelled action's time), and counts as passed
when the challenge logic answers it (bona fide rejections per action); the
whole check is run on the same window too. Spoof clips: `--draws`
challenge sets drawn as production draws them (`random_challenges` of 2
or 3, flow._challenge_count), each from a random moment of the clip, the
attempt ending once every challenge is answered; plus each challenge
alone. APCER per attack kind = sets approved by the whole check / sets.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

LABELS_DIR = Path(__file__).resolve().parent / "labels"
CAPTURE_FPS = 8.0          # assets/capture.js runLiveness: fps = 8
CAPTURE_LONG_SIDE = 480    # grab(el, 480, 0.85)
CAPTURE_JPEG_QUALITY = 85
STORED_JPEG_QUALITY = 90   # capture.add_liveness_frames re-encodes at 90
LEAD_S = 2.5               # a live action's challenge appears this long before the action's peak
TAIL_S = 1.5               # and the attempt goes on this long after it
DONE_TAIL_FRAMES = 8       # once all is answered, the page sends about a batch more (8 frames)
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".y4m", ".m4v"}


@dataclass(frozen=True)
class ClipLabel:
    file: str
    kind: str                                  # "live" or "spoof"
    actions: tuple[str, ...] = ()
    times: tuple[float | None, ...] = ()
    attack: str = ""
    incidental: tuple[tuple[str, float], ...] = ()
    notes: str = ""

    @property
    def is_live(self) -> bool:
        return self.kind == "live"


def read_labels(path: str | Path) -> list[ClipLabel]:
    from identity_app.checks.liveness import Challenge

    names = {c.value for c in Challenge}
    out = []
    with Path(path).open(newline="") as fh:
        for row in csv.DictReader(fh):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            kind = row.get("kind", "").lower()
            if kind not in ("live", "spoof"):
                raise ValueError(f"{path}: kind must be live or spoof, not {kind!r} ({row.get('file')})")
            actions = tuple(row.get("actions", "").split())
            bad = [a for a in actions if a not in names]
            if bad:
                raise ValueError(f"{path}: unknown actions {bad} ({row.get('file')})")
            times_raw = row.get("times", "").split()
            if times_raw and len(times_raw) != len(actions):
                raise ValueError(f"{path}: {len(actions)} actions but {len(times_raw)} times ({row.get('file')})")
            times = tuple(float(t) for t in times_raw) if times_raw else tuple(None for _ in actions)
            incidental = []
            for item in row.get("incidental", "").split():
                name, _, t = item.partition("@")
                if name not in names:
                    raise ValueError(f"{path}: unknown incidental action {item!r}")
                incidental.append((name, float(t)))
            attack = row.get("attack", "") or ("" if kind == "live" else "spoof")
            out.append(ClipLabel(row["file"], kind, actions, times, attack, tuple(incidental), row.get("notes", "")))
    return out


def find_labels(data_dir: str | Path, labels: str | Path | None = None) -> Path:
    """The labels file: `labels`, else DIR/labels.csv, else labels/<DIR's name>.csv beside this module."""
    data_dir = Path(data_dir)
    for candidate in ([Path(labels)] if labels else [data_dir / "labels.csv", LABELS_DIR / f"{data_dir.name}.csv"]):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"no labels for {data_dir}: give --labels FILE, or put a labels.csv in the folder "
                     f"(or {LABELS_DIR / (data_dir.name + '.csv')})")


# ---------------------------------------------------------------- frames as production sees them


def read_video(path: str | Path) -> tuple[list[np.ndarray], float]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if not frames:
        raise ValueError(f"no frames could be read from {path}")
    return frames, float(fps)


def capture_frames(frames: Sequence[np.ndarray], video_fps: float, fps: float = CAPTURE_FPS,
                   long_side: int = CAPTURE_LONG_SIDE, quality: int = CAPTURE_JPEG_QUALITY) -> list[tuple[float, bytes]]:
    """(seconds, JPEG bytes) as the capture page sends them: the frame on screen every 1/fps s,
    scaled to `long_side` (never up) and encoded at `quality`."""
    import cv2

    from identity_app.checks.image_io import encode_jpeg

    duration = len(frames) / video_fps
    out = []
    k = 0
    while k / fps < duration:
        frame = frames[min(len(frames) - 1, int(k / fps * video_fps))]
        h, w = frame.shape[:2]
        scale = min(1.0, long_side / max(h, w))
        if scale < 1.0:
            frame = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        out.append((k / fps, encode_jpeg(frame, quality)))
        k += 1
    return out


@dataclass
class Attempt:
    """A clip after the web process (analysis, stored JPEG) and the worker (decoded frames)."""

    times: list[float]
    frames: list[np.ndarray]      # as the worker decodes them
    analyses: list                # FrameAnalysis, made by the web process on the sent JPEG
    analysis_ms: list[float] = field(default_factory=list)


def server_side(sent: Sequence[tuple[float, bytes]]) -> Attempt:
    """What capture.add_liveness_frames and the worker make of the sent frames."""
    from identity_app.checks.image_io import decode_image, encode_jpeg
    from identity_app.checks.liveness import analyse_frame

    attempt = Attempt([], [], [], [])
    for t, data in sent:
        image = decode_image(data)
        t0 = time.perf_counter()
        analysis = analyse_frame(image)
        attempt.analysis_ms.append((time.perf_counter() - t0) * 1000)
        attempt.times.append(t)
        attempt.analyses.append(analysis)
        attempt.frames.append(decode_image(encode_jpeg(image, STORED_JPEG_QUALITY)))
    return attempt


def load_attempt(path: str | Path) -> Attempt:
    frames, fps = read_video(path)
    return server_side(capture_frames(frames, fps))


# ---------------------------------------------------------------- deciding


def decide(attempt: Attempt, lo: int, hi: int, challenges: Sequence, t0: float | None = None,
           stop_when_done: bool = False) -> dict[str, Any]:
    """The worker's decision on frames lo..hi-1 (challenges shown at t0, default the first frame's time)."""
    from identity_app.checks.face_match import MIRRORED
    from identity_app.checks.faces import encode_selfie_frames
    from identity_app.checks.liveness import evaluate_challenges, liveness_report
    from identity_app.checks.selfie import choose_selfie

    t0 = attempt.times[lo] if t0 is None else t0
    analyses = attempt.analyses[lo:hi]
    times = [t - t0 for t in attempt.times[lo:hi]]
    outcomes = evaluate_challenges(analyses, times, list(challenges))
    answered = all(o.completed for o in outcomes)
    if stop_when_done and answered:  # the page stops sending once the last challenge is answered
        last = max(o.frame_index for o in outcomes if o.frame_index is not None)
        hi = min(hi, lo + last + 1 + DONE_TAIL_FRAMES)
        analyses, times = analyses[: hi - lo], times[: hi - lo]
    frames = attempt.frames[lo:hi]
    # The selfie as the worker takes it (verification._analyse_attempt): choose_selfie's frame, its
    # embedding the mean over the choice's match frames.
    choice = choose_selfie(frames, analyses)
    best = choice.index
    selfie_face = encode_selfie_frames([frames[i] for i in choice.match_frames], mirrored=MIRRORED) \
        if best is not None else None
    report = liveness_report(frames, times, list(challenges), analyses=analyses,
                             selfie_index=best, selfie_face=selfie_face)
    failed = [s.sub_check for s in report.breakdown if not s.passed]
    return {"answered": answered, "approved": report.recommendation.value == "APPROVE",
            "recommendation": report.recommendation.value, "reason": report.reason,
            "failed_sub_checks": failed, "peaks": [None if o.peak is None else round(o.peak, 3) for o in outcomes]}


def _window(label: ClipLabel, k: int, attempt: Attempt) -> tuple[int, int]:
    """Frames of the attempt in which labelled action k is offered (see the module docstring)."""
    t = label.times[k]
    if t is None:
        return 0, len(attempt.times)
    prev_t = label.times[k - 1] if k > 0 else None
    next_t = label.times[k + 1] if k + 1 < len(label.times) else None
    # Never past a neighbouring labelled action's peak: each window holds one labelled action's
    # completion (the previous one's eyes reopening or head coming back is the natural lead-in).
    start = t - LEAD_S if prev_t is None else max(t - LEAD_S, prev_t)
    end = t + TAIL_S if next_t is None else min(t + TAIL_S, next_t)
    lo = next((i for i, x in enumerate(attempt.times) if x >= start), 0)
    hi = next((i for i, x in enumerate(attempt.times) if x > end), len(attempt.times))
    return lo, max(hi, lo + 1)


def evaluate_live(label: ClipLabel, attempt: Attempt) -> dict[str, Any]:
    from identity_app.checks.liveness import Challenge, evaluate_challenges

    actions = []
    for k, (name, t) in enumerate(zip(label.actions, label.times)):
        lo, hi = _window(label, k, attempt)
        ts = [x - attempt.times[lo] for x in attempt.times[lo:hi]]
        (o,) = evaluate_challenges(attempt.analyses[lo:hi], ts, [Challenge(name)])
        whole = decide(attempt, lo, hi, [Challenge(name)])
        actions.append({"action": name, "time_s": t, "passed": o.completed, "note": o.note or "ok",
                        "peak": None if o.peak is None else round(o.peak, 3),
                        "whole_check": whole["recommendation"], "whole_check_reason": whole["reason"],
                        "whole_check_failed": whole["failed_sub_checks"]})
    incidental = []
    for name, t in label.incidental:
        fake = ClipLabel(label.file, "live", (name,), (t,))
        lo, hi = _window(fake, 0, attempt)
        ts = [x - attempt.times[lo] for x in attempt.times[lo:hi]]
        (o,) = evaluate_challenges(attempt.analyses[lo:hi], ts, [Challenge(name)])
        incidental.append({"action": name, "time_s": t, "passed": o.completed})
    return {"actions": actions, "incidental": incidental}


def evaluate_spoof(label: ClipLabel, attempt: Attempt, draws: int, rng: random.Random) -> dict[str, Any]:
    from identity_app.checks.liveness import Challenge, random_challenges

    n = len(attempt.times)
    single = {}
    for c in Challenge:
        single[c.value] = decide(attempt, 0, n, [c], stop_when_done=True)
    sets = []
    for _ in range(draws):
        challenges = random_challenges(2 + rng.randrange(2), rng)
        start = rng.randrange(max(1, n // 2))
        end = min(n, start + int((10 * len(challenges) + 5) * CAPTURE_FPS))
        d = decide(attempt, start, end, challenges, stop_when_done=True)
        sets.append({"challenges": [c.value for c in challenges], "start_s": attempt.times[start], **d})
    return {"single": single, "sets": sets}


def _passive_on_clip(attempt: Attempt) -> dict[str, Any]:
    """The passive cues of the whole check on the clip (up to its first 30 s), whatever the challenges."""
    from identity_app.checks import liveness

    hi = min(len(attempt.frames), int(30 * CAPTURE_FPS))
    cues = liveness.passive_cues(attempt.frames[:hi], attempt.analyses[:hi])
    return {c.name: {"attack": c.attack, "score": c.score, "reason": c.reason} for c in cues}


def run_liveness_video_evaluation(data_dir: str | Path, json_path: str | Path | None = None,
                                  labels: str | Path | None = None, draws: int = 12,
                                  seed: int = 11) -> dict[str, Any]:
    from identity_app.checks import face_models

    face_models.warm_up()
    data_dir = Path(data_dir)
    labels_path = find_labels(data_dir, labels)
    clips = read_labels(labels_path)
    rng = random.Random(seed)
    results, frame_ms = [], []
    print(f"Liveness on video: {data_dir} (labels {labels_path}); frames as the capture page sends them"
          f" ({CAPTURE_FPS:g} fps, long side {CAPTURE_LONG_SIDE}, JPEG {CAPTURE_JPEG_QUALITY})")
    for label in clips:
        path = data_dir / label.file
        if not path.is_file():
            print(f"  {label.file}: missing, skipped")
            continue
        attempt = load_attempt(path)
        frame_ms += attempt.analysis_ms
        with_face = sum(a.has_face for a in attempt.analyses)
        clip: dict[str, Any] = {"file": label.file, "kind": label.kind, "attack": label.attack,
                                "frames": len(attempt.frames), "frames_with_face": with_face,
                                "passive": _passive_on_clip(attempt)}
        fired = [k for k, v in clip["passive"].items() if v["attack"]]
        if label.is_live:
            clip.update(evaluate_live(label, attempt))
            passed = sum(a["passed"] for a in clip["actions"])
            whole = sum(a["whole_check"] == "APPROVE" for a in clip["actions"])
            print(f"  {label.file} (live, {len(attempt.frames)} frames, {with_face} with a face): actions passed"
                  f" {passed}/{len(clip['actions'])}, whole check approved {whole}/{len(clip['actions'])};"
                  f" passive cues fired on the clip: {', '.join(fired) or 'none'}")
            for a in clip["actions"]:
                if not a["passed"] or a["whole_check"] != "APPROVE":
                    print(f"      {a['action']} at {a['time_s']} s: challenge {'passed' if a['passed'] else 'FAILED'}"
                          f" ({a['note']}, peak {a['peak']}); whole check {a['whole_check']}"
                          f" {a['whole_check_reason'] or ''} {','.join(a['whole_check_failed'])}")
            if clip["incidental"]:
                caught = sum(a["passed"] for a in clip["incidental"])
                print(f"      incidental (fleeting) actions caught: {caught}/{len(clip['incidental'])}")
        else:
            clip.update(evaluate_spoof(label, attempt, draws, rng))
            single = clip["single"]
            print(f"  {label.file} (spoof: {label.attack}, {len(attempt.frames)} frames, {with_face} with a face):"
                  f" challenge sets approved {sum(s['approved'] for s in clip['sets'])}/{len(clip['sets'])}"
                  f" (answered {sum(s['answered'] for s in clip['sets'])}); single challenges answered"
                  f" {[k for k, v in single.items() if v['answered']]}, approved"
                  f" {[k for k, v in single.items() if v['approved']]}; passive cues fired: {', '.join(fired) or 'none'}")
            reasons: dict[str, int] = {}
            for s in clip["sets"]:
                reasons[str(s["reason"])] = reasons.get(str(s["reason"]), 0) + 1
            print(f"      reasons of the sets: {reasons}")
        results.append(clip)

    live_actions = [a for c in results if c["kind"] == "live" for a in c["actions"]]
    per_action: dict[str, dict[str, int]] = {}
    for a in live_actions:
        d = per_action.setdefault(a["action"], {"performed": 0, "rejected": 0, "whole_check_rejected": 0})
        d["performed"] += 1
        d["rejected"] += int(not a["passed"])
        d["whole_check_rejected"] += int(a["whole_check"] != "APPROVE")
    per_kind: dict[str, dict[str, Any]] = {}
    for c in results:
        if c["kind"] != "spoof":
            continue
        d = per_kind.setdefault(c["attack"], {"clips": 0, "sets": 0, "approved": 0, "answered": 0,
                                              "single_offered": 0, "single_answered": 0, "single_approved": 0,
                                              "sets_digital_copy": 0, "single_digital_copy": 0})
        d["clips"] += 1
        d["sets"] += len(c["sets"])
        d["approved"] += sum(s["approved"] for s in c["sets"])
        d["answered"] += sum(s["answered"] for s in c["sets"])
        d["single_offered"] += len(c["single"])
        d["single_answered"] += sum(v["answered"] for v in c["single"].values())
        d["single_approved"] += sum(v["approved"] for v in c["single"].values())
        d["sets_digital_copy"] += sum(s["reason"] == "DIGITAL_COPY" for s in c["sets"])
        d["single_digital_copy"] += sum(v["reason"] == "DIGITAL_COPY" for v in c["single"].values())
    for d in per_kind.values():
        d["apcer"] = round(d["approved"] / d["sets"], 4) if d["sets"] else None
    live_clips = [c for c in results if c["kind"] == "live"]
    summary = {
        "data_dir": str(data_dir), "labels": str(labels_path), "clips": len(results),
        "live_actions": len(live_actions),
        "live_actions_rejected": sum(not a["passed"] for a in live_actions),
        "bpcer_per_action": round(sum(not a["passed"] for a in live_actions) / len(live_actions), 4) if live_actions else None,
        "live_actions_whole_check_rejected": sum(a["whole_check"] != "APPROVE" for a in live_actions),
        "live_actions_refused_as_digital_copy": sum(a["whole_check_reason"] == "DIGITAL_COPY" for a in live_actions),
        "per_action": per_action,
        "live_clips_with_a_passive_cue_fired": sum(any(v["attack"] for v in c["passive"].values()) for c in live_clips),
        "live_clips": len(live_clips),
        "apcer_per_attack_kind": per_kind,
        "apcer_worst": max((d["apcer"] for d in per_kind.values() if d["apcer"] is not None), default=None),
        "analyse_frame_ms_p50": round(statistics.median(frame_ms), 2) if frame_ms else None,
        "analyse_frame_ms_p95": round(float(np.percentile(frame_ms, 95)), 2) if frame_ms else None,
        "frames_analysed": len(frame_ms),
        "draws_per_spoof_clip": draws, "seed": seed,
    }
    print("  overall:")
    if live_actions:
        print(f"    live: performed actions rejected {summary['live_actions_rejected']}/{len(live_actions)}"
              f" ({summary['bpcer_per_action']:.1%}); per action "
              + ", ".join(f"{k} {v['rejected']}/{v['performed']}" for k, v in per_action.items())
              + f"; whole check rejected {summary['live_actions_whole_check_rejected']}/{len(live_actions)}"
              f" (as DIGITAL_COPY {summary['live_actions_refused_as_digital_copy']})")
    if live_clips:
        print(f"    live clips on which a passive cue fired: {summary['live_clips_with_a_passive_cue_fired']}/{len(live_clips)}")
    for kind, d in per_kind.items():
        print(f"    {kind}: APCER {d['apcer']:.1%} ({d['approved']}/{d['sets']} challenge sets approved by the whole check,"
              f" {d['answered']} answered by the challenges alone); single challenges answered"
              f" {d['single_answered']}/{d['single_offered']}, approved {d['single_approved']}/{d['single_offered']};"
              f" refused as DIGITAL_COPY: {d['sets_digital_copy']}/{d['sets']} sets,"
              f" {d['single_digital_copy']}/{d['single_offered']} single challenges")
    print(f"    analyse_frame on the sent frames: p50 {summary['analyse_frame_ms_p50']} ms,"
          f" p95 {summary['analyse_frame_ms_p95']} ms over {len(frame_ms)} frames")
    out = {"summary": summary, "clips": results}
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=2, default=str))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="folder of videos")
    p.add_argument("--labels", help="labels CSV when the folder has no labels.csv")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--draws", type=int, default=12, help="challenge sets drawn per spoof clip")
    p.add_argument("--seed", type=int, default=11)
    a = p.parse_args(argv)
    run_liveness_video_evaluation(a.data, a.json, a.labels, a.draws, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
