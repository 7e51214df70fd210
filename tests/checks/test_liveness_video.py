"""`evaluate liveness-video`: clips sampled as the capture page sends them, live actions and spoof sets.

Synthetic clips are written by the tests from real stills
(../shared/data/liveness-pose-eyes-insightface: one person frontal and turned;
a photo tilted back and forth as a held print); the small real clip is a
screen replay of ../shared/data/liveness-replay-dev. Every test skips where
its data is absent.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks.image_io import decode_image
from identity_app.evaluation import liveness_video as lv

pytestmark = pytest.mark.slow  # not in the fast tier: real face models on real video

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
POSE = DATA / "liveness-pose-eyes-insightface"
REPLAY = DATA / "liveness-replay-dev"


def _still(rel: str) -> np.ndarray:
    path = POSE / rel
    if not path.is_file():
        pytest.skip(f"evaluation data missing: {path} (see ../shared/data/README.md)")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def _camera_frame(image: np.ndarray, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A still letterboxed into a camera frame larger than the 480 px the page sends."""
    w, h = size
    s = min(w / image.shape[1], h / image.shape[0]) * 0.8
    small = cv2.resize(image, (int(image.shape[1] * s), int(image.shape[0] * s)), interpolation=cv2.INTER_AREA)
    out = np.full((h, w, 3), 90, dtype=np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def _tilted(image: np.ndarray, degrees: float) -> np.ndarray:
    """The image as a flat print rotated about its vertical axis, seen by a pinhole camera."""
    h, w = image.shape[:2]
    f, a = 1.2 * w, np.radians(degrees)
    corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    q = corners @ rot.T
    q[:, 2] += f
    dst = np.stack([q[:, 0] * f / q[:, 2] + w / 2, q[:, 1] * f / q[:, 2] + h / 2], axis=1).astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(255, 255, 255))


def _write_video(path: Path, segments: list[tuple[np.ndarray, float]], fps: float = 30.0) -> None:
    """An mp4 of (frame, seconds shown) segments."""
    h, w = segments[0][0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened()
    for frame, seconds in segments:
        for _ in range(round(seconds * fps)):
            writer.write(frame)
    writer.release()


def _turning_person() -> list[tuple[np.ndarray, float]]:
    # One person (dlib distance 0.41-0.49 between these stills): frontal, turned to her
    # right, frontal, the turn mirrored as a turn to her left, frontal.
    frontal = _camera_frame(_still("reaction/close_eyes.jpeg"))
    turned_right = _camera_frame(_still("pose/left_face.jpeg"))
    return [(frontal, 2.0), (turned_right, 1.0), (frontal, 2.0), (cv2.flip(turned_right, 1), 1.0), (frontal, 2.0)]


def _held_print() -> list[tuple[np.ndarray, float]]:
    photo = _still("reaction/open_eyes.png")
    angles = [0, 0, 15, 30, 45, 30, 15, 0, -15, -30, -45, -30, -15, 0, 0, 20, 40, 20, 0, -20, -40, -20, 0]
    return [(_camera_frame(_tilted(photo, a)), 0.4) for a in angles]


def _on_a_screen(frame: np.ndarray) -> np.ndarray:
    """The frame replayed on a phone held before the camera: shrunk into a black bezel, display
    gamma, a moire of the pixel grid beating with the camera's, on the camera's grey background."""
    h, w = frame.shape[:2]
    shown = cv2.resize(frame, (w * 7 // 8, h * 7 // 8), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    shown = shown ** 0.8
    yy, xx = np.mgrid[0:shown.shape[0], 0:shown.shape[1]]
    shown *= (0.9 + 0.1 * np.sin(2 * np.pi * (xx * 0.23 + yy * 0.07)))[..., None]
    out = np.full((h, w, 3), 90, dtype=np.uint8)
    y0, x0 = (h - shown.shape[0]) // 2, (w - shown.shape[1]) // 2
    b = 20
    out[y0 - b:y0 + shown.shape[0] + b, x0 - b:x0 + shown.shape[1] + b] = 15
    out[y0:y0 + shown.shape[0], x0:x0 + shown.shape[1]] = np.clip(shown * 255, 0, 255).astype(np.uint8)
    return out


def _labels(path: Path, rows: list[str]) -> Path:
    path.write_text("file,kind,actions,times,attack\n" + "\n".join(rows) + "\n")
    return path


# ---------------------------------------------------------------- sampling and labels


def test_frames_are_sampled_as_the_capture_page_sends_them() -> None:
    frames = [np.full((720, 1280, 3), i % 256, dtype=np.uint8) for i in range(90)]  # 3 s at 30 fps
    sent = lv.capture_frames(frames, 30.0)
    assert [t for t, _ in sent] == pytest.approx([k / 8 for k in range(24)])
    first = decode_image(sent[0][1])
    assert first.shape[:2] == (270, 480)  # long side 480, aspect kept
    # Each sent frame is the one on screen at its time: frame int(t * 30).
    assert int(decode_image(sent[5][1])[0, 0, 0]) == pytest.approx(int(5 / 8 * 30), abs=2)
    small = lv.capture_frames([np.zeros((240, 320, 3), np.uint8)] * 10, 10.0)
    assert decode_image(small[0][1]).shape[:2] == (240, 320)  # never scaled up


def test_labels_are_checked_when_read(tmp_path: Path) -> None:
    good = _labels(tmp_path / "good.csv", ["a.mp4,live,TURN_LEFT BLINK,1.5 3,", "b.mp4,spoof,,,printed_photo"])
    a, b = lv.read_labels(good)
    assert a.is_live and a.actions == ("TURN_LEFT", "BLINK") and a.times == (1.5, 3.0)
    assert not b.is_live and b.attack == "printed_photo"
    with pytest.raises(ValueError, match="kind"):
        lv.read_labels(_labels(tmp_path / "k.csv", ["a.mp4,alive,BLINK,1,"]))
    with pytest.raises(ValueError, match="unknown actions"):
        lv.read_labels(_labels(tmp_path / "a.csv", ["a.mp4,live,NOD,1,"]))
    with pytest.raises(ValueError, match="times"):
        lv.read_labels(_labels(tmp_path / "t.csv", ["a.mp4,live,BLINK BLINK,1,"]))


def test_the_labels_kept_in_the_repository_name_the_dev_clips() -> None:
    for name in ("liveness-video-dev", "liveness-replay-dev"):
        labels = lv.read_labels(lv.LABELS_DIR / f"{name}.csv")
        assert labels and all(c.file.endswith(".mp4") for c in labels)
        assert all(len(c.times) == len(c.actions) for c in labels)
        folder = DATA / name
        if folder.is_dir():
            assert {c.file for c in labels} == {p.name for p in folder.glob("*.mp4")}


# ---------------------------------------------------------------- synthetic clips


def test_a_synthetic_live_clip_and_a_held_print(tmp_path: Path) -> None:
    _write_video(tmp_path / "turns.mp4", _turning_person())
    _write_video(tmp_path / "print.mp4", _held_print())
    _labels(tmp_path / "labels.csv", ["turns.mp4,live,TURN_RIGHT TURN_LEFT,2.5 5.5,",
                                      "print.mp4,spoof,,,printed_photo"])
    out = lv.run_liveness_video_evaluation(tmp_path, tmp_path / "out.json", draws=4, seed=3)
    s = out["summary"]
    assert s["clips"] == 2 and s["live_actions"] == 2
    turns = next(c for c in out["clips"] if c["file"] == "turns.mp4")
    assert [a["action"] for a in turns["actions"]] == ["TURN_RIGHT", "TURN_LEFT"]
    assert all(a["passed"] for a in turns["actions"]), turns["actions"]
    assert s["live_actions_rejected"] == 0 and s["bpcer_per_action"] == 0
    assert turns["frames"] == 64  # 8 s at 8 fps
    held = s["apcer_per_attack_kind"]["printed_photo"]
    assert held["sets"] == 4 and held["single_offered"] == 4
    assert held["approved"] == 0 and held["apcer"] == 0  # a print never blinks or opens its mouth
    printed = next(c for c in out["clips"] if c["file"] == "print.mp4")
    assert not printed["single"]["BLINK"]["approved"] and not printed["single"]["OPEN_MOUTH"]["approved"]
    assert all(len(d["challenges"]) in (2, 3) for d in printed["sets"])
    assert s["frames_analysed"] == 64 + printed["frames"] and s["analyse_frame_ms_p50"] > 0
    assert json.loads((tmp_path / "out.json").read_text())["summary"] == json.loads(json.dumps(s, default=str))


def test_a_live_action_outside_its_labelled_time_is_not_credited(tmp_path: Path) -> None:
    # The same turns labelled in the wrong order: each window then holds the other turn only.
    _write_video(tmp_path / "turns.mp4", _turning_person())
    _labels(tmp_path / "labels.csv", ["turns.mp4,live,TURN_LEFT TURN_RIGHT,2.5 5.5,"])
    out = lv.run_liveness_video_evaluation(tmp_path, draws=0)
    assert out["summary"]["live_actions_rejected"] == 2


def test_spoof_sets_are_drawn_as_production_draws_them(tmp_path: Path) -> None:
    from identity_app.checks.liveness import EXPRESSIONS, TURNS, Challenge

    _write_video(tmp_path / "print.mp4", _held_print()[:8])
    attempt = lv.load_attempt(tmp_path / "print.mp4")
    result = lv.evaluate_spoof(lv.ClipLabel("print.mp4", "spoof", attack="printed_photo"), attempt, 6,
                               random.Random(5))
    assert set(result["single"]) == {c.value for c in Challenge}
    for d in result["sets"]:
        chosen = [Challenge(c) for c in d["challenges"]]
        assert any(c in EXPRESSIONS for c in chosen) and any(c in TURNS for c in chosen)
        assert d["approved"] is False


def test_a_recorded_challenge_replayed_on_a_simulated_screen(tmp_path: Path) -> None:
    # The recorded turns carry over: the challenge alone cannot refuse a replay, which is why the
    # evaluation reports what the challenges answered beside what the whole check approved.
    _write_video(tmp_path / "replay.mp4", [(_on_a_screen(f), s) for f, s in _turning_person()])
    _labels(tmp_path / "labels.csv", ["replay.mp4,spoof,,,screen_replay"])
    out = lv.run_liveness_video_evaluation(tmp_path, draws=3, seed=2)
    (clip,) = out["clips"]
    assert clip["frames_with_face"] >= 0.8 * clip["frames"]
    # The recorded turn to her left shows on the screen (the right one, a profile, loses the face there).
    assert clip["single"]["TURN_LEFT"]["answered"]
    kind = out["summary"]["apcer_per_attack_kind"]["screen_replay"]
    assert kind["single_answered"] >= 1 and kind["sets"] == 3
    assert kind["apcer"] == kind["approved"] / 3
    # No blink in the recording: every drawn set (each holds an expression) stays unanswered.
    assert kind["answered"] == 0 and kind["approved"] == 0


# ---------------------------------------------------------------- a real clip


def test_a_real_screen_replay_clip_is_evaluated_through_the_command(tmp_path: Path, capsys) -> None:
    clip = REPLAY / "lestari15_fake.mp4"
    if not clip.is_file():
        pytest.skip(f"evaluation data missing: {clip} (see ../shared/data/README.md)")
    from identity_app import cli

    labels = _labels(tmp_path / "one.csv", ["lestari15_fake.mp4,spoof,,,screen_replay"])
    assert cli.main(["evaluate", "liveness-video", "--data", str(REPLAY), "--labels", str(labels),
                     "--draws", "3", "--json", str(tmp_path / "out.json")]) == 0
    out = json.loads((tmp_path / "out.json").read_text())
    (c,) = out["clips"]
    assert c["frames"] == 21 and c["frames_with_face"] >= 18  # 2.6 s at 8 fps
    replay = out["summary"]["apcer_per_attack_kind"]["screen_replay"]
    assert replay["sets"] == 3 and replay["approved"] == 0
    printed = capsys.readouterr().out
    assert "screen_replay: APCER" in printed and "analyse_frame on the sent frames" in printed
