"""Screen cues that need no full bezel (checks/screen.py): a screen's corner beside the face, a face
blown out by a screen's backlight, and the leave-one-source-out evaluation that calibrates them
(evaluation/replay_cues.py).

Plain geometry and synthetic frames first; then real live frames of
../shared/data/liveness-video-dev replayed on a simulated phone whose right edge the fingers
hide; then the real replay of ../shared/data/liveness-replay-dev whose bezel the fingers hide.
Tests on real data skip where the folder is absent.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks import screen
from identity_app.checks.liveness import NO_FACE, Challenge, FrameAnalysis, liveness_report
from identity_app.evaluation import replay_cues as rc

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LIVE = DATA / "liveness-video-dev"
REPLAY = DATA / "liveness-replay-dev"

BOX = (195, 110, 90, 120)   # x, y, w, h of the face drawn by _canvas


def _canvas() -> np.ndarray:
    img = np.full((360, 480, 3), 120, np.uint8)
    cv2.ellipse(img, (240, 170), (45, 60), 0, 0, 360, (170, 180, 200), -1)
    return img


# ---------------------------------------------------------------- the corner


def test_a_corner_beside_the_face_is_a_screen_and_room_lines_are_not() -> None:
    # A phone's top and left edges meeting above-left of the face (the right edge under the fingers).
    img = _canvas()
    cv2.line(img, (140, 40), (340, 40), (20, 20, 20), 3)     # top, 2.2 face widths, ends at the corner
    cv2.line(img, (140, 40), (140, 330), (20, 20, 20), 3)    # left, from the corner down
    sides = screen.frame_sides(img, BOX)
    assert not screen.is_framed(sides), "two adjacent sides are not the two opposite ones of is_framed"
    assert screen.is_cornered(sides, BOX)
    # A ceiling line running across the whole frame past a curtain edge that starts lower down.
    room = _canvas()
    cv2.line(room, (0, 40), (479, 40), (20, 20, 20), 3)
    cv2.line(room, (140, 110), (140, 330), (20, 20, 20), 3)
    assert not screen.is_cornered(screen.frame_sides(room, BOX), BOX)
    # A top edge alone, or a side edge alone, is no corner.
    top = _canvas()
    cv2.line(top, (140, 40), (340, 40), (20, 20, 20), 3)
    assert not screen.is_cornered(screen.frame_sides(top, BOX), BOX)
    # Edges that do not meet: the side edge starts a face-height below the top one.
    apart = _canvas()
    cv2.line(apart, (140, 40), (340, 40), (20, 20, 20), 3)
    cv2.line(apart, (140, 150), (140, 330), (20, 20, 20), 3)
    assert not screen.is_cornered(screen.frame_sides(apart, BOX), BOX)


def test_cornered_frames_count_in_the_share() -> None:
    corner = _canvas()
    cv2.line(corner, (340, 40), (140, 40), (20, 20, 20), 3)
    cv2.line(corner, (340, 40), (340, 330), (20, 20, 20), 3)   # the right corner this time
    found = screen.screen_frame_share([corner] * 6 + [_canvas()] * 10, [BOX] * 16)
    assert found.fired and found.framed == 6 and found.cornered == 6 and found.scored == 16
    assert not screen.screen_frame_share([corner] + [_canvas()] * 15, [BOX] * 16).fired


# ---------------------------------------------------------------- blown-out face


def test_a_face_blown_out_by_a_backlight_fires_and_a_lit_face_does_not() -> None:
    lit = _canvas()
    blown = lit.copy()
    cv2.ellipse(blown, (240, 170), (40, 50), 0, 0, 360, (255, 255, 252), -1)   # half the face clipped
    assert screen.clipped_share(lit, BOX) == 0.0
    assert screen.clipped_share(blown, BOX) > 0.5
    assert screen.blown_out_face([blown] * 8, [BOX] * 8).fired
    assert not screen.blown_out_face([lit] * 8, [BOX] * 8).fired
    # A specular highlight on a forehead (a few per cent of the face) is no screen.
    shiny = lit.copy()
    cv2.circle(shiny, (240, 135), 8, (255, 255, 255), -1)
    assert not screen.blown_out_face([shiny] * 8, [BOX] * 8).fired
    assert not screen.blown_out_face([], []).fired


def test_the_report_names_a_blown_out_replay_and_a_lost_face_beside_a_corner_digital_copy() -> None:
    blown = _canvas()
    cv2.ellipse(blown, (240, 170), (40, 50), 0, 0, 360, (255, 255, 252), -1)
    face = FrameAnalysis(face_count=1, face_box=BOX, image_size=(480, 360), eye_open=0.1)
    times = [k / 8 for k in range(16)]
    report = liveness_report([blown] * 16, times, [Challenge.TURN_LEFT], analyses=[face] * 16)
    checks = {s.sub_check: s for s in report.breakdown}
    assert report.reason == "DIGITAL_COPY" and not checks["passive_screen_gamut"].passed
    # A small phone's face found in 5 of 16 frames (face_present fails) with its corner beside it.
    corner = _canvas()
    cv2.line(corner, (140, 40), (340, 40), (20, 20, 20), 3)
    cv2.line(corner, (140, 40), (140, 330), (20, 20, 20), 3)
    analyses = [face if k % 3 == 0 else NO_FACE for k in range(16)]
    lost = liveness_report([corner] * 16, times, [Challenge.BLINK], analyses=analyses)
    assert lost.reason == "DIGITAL_COPY"
    assert not {s.sub_check: s for s in lost.breakdown}["face_present"].passed
    # The same lost face without a screen in view: asked to stay in view, not accused.
    plain = liveness_report([_canvas()] * 16, times, [Challenge.BLINK], analyses=analyses)
    assert plain.reason == "NO_FACE_PRESENT"


# ---------------------------------------------------------------- held out by source


def _clip(file: str, live: bool, cornered: bool, clipped: float = 0.0, seconds: float = 6.0) -> rc.ClipCues:
    """Per-frame measures of a synthetic clip at 8 fps: every frame cornered, or none."""
    img = _canvas()
    if cornered:
        cv2.line(img, (140, 40), (340, 40), (20, 20, 20), 3)
        cv2.line(img, (140, 40), (140, 330), (20, 20, 20), 3)
    sides = screen.frame_sides(img, BOX)
    n = int(seconds * 8)
    return rc.ClipCues(file, rc.source_of(file), live, [k / 8 for k in range(n)], [sides] * n, [BOX] * n,
                       [clipped] * n)


def test_leave_one_source_out_calibrates_on_the_other_sources() -> None:
    clips = [_clip("a_real.mp4", True, False), _clip("a_fake.mp4", False, True),
             _clip("b_real.mp4", True, False), _clip("b_fake.mp4", False, False, clipped=0.6),
             _clip("c_fake.mp4", False, True)]
    assert rc.source_of("lp_d0.mp4") == "lp" and len(rc.windows(clips[0])) == 2   # 6 s: 0-4 s, 2-6 s
    out = rc.leave_one_source_out(clips)
    rows = out["per_source"]
    assert set(rows) == {"a", "b", "c"}
    assert rows["a"]["held_out"] == {"live": 2, "live_refused": 0, "replay": 2, "replay_refused": 2}
    # b's replay is only blown out: the screen frame alone misses it, the gamut cue does not.
    assert rows["b"]["frame_only"]["replay_refused"] == 0 and rows["b"]["held_out"]["replay_refused"] == 2
    # A live source whose frames show a corner: the parameters chosen on the others refuse it, and
    # the evaluation says so instead of hiding it.
    rows = rc.leave_one_source_out(clips + [_clip("d_real.mp4", True, True)])["per_source"]
    assert rows["d"]["held_out"]["live_refused"] == 2


def test_the_chosen_parameters_are_the_middle_of_those_that_spare_every_live_attempt() -> None:
    clips = [_clip("a_real.mp4", True, False), _clip("a_fake.mp4", False, True)]
    params = rc.choose(clips)
    assert set(params) == set(rc.GRID)
    assert all(v in rc.GRID[k] for k, v in params.items())
    counts = rc._count(clips, params)
    assert counts["live_refused"] == 0 and counts["replay_refused"] == counts["replay"] == 2


# ---------------------------------------------------------------- real frames


def _clip_frames(name: str, count: int, folder: Path = LIVE, start_s: float = 0.0) -> list[np.ndarray]:
    from identity_app.checks.image_io import decode_image
    from identity_app.evaluation import liveness_video as lv

    path = folder / name
    if not path.is_file():
        pytest.skip(f"evaluation data missing: {path} (see ../shared/data/README.md)")
    frames, fps = lv.read_video(path)
    sent = [(t, data) for t, data in lv.capture_frames(frames, fps) if t >= start_s][:count]
    return [decode_image(data) for _, data in sent]


def on_a_phone_in_the_hand(frame: np.ndarray, background: np.ndarray, scale: float = 0.55) -> np.ndarray:
    """`frame` replayed on a phone before the camera, its right edge under the fingers: shrunk into a
    dark bezel with display gamma and a moire of the pixel grid, over `background`, then a hand
    (skin-coloured blobs) over the right bezel and the screen's right edge."""
    h, w = frame.shape[:2]
    sw, sh = int(w * scale), int(h * scale)
    shown = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    yy, xx = np.mgrid[0:sh, 0:sw]
    shown = shown ** 0.8 * (0.92 + 0.08 * np.sin(2 * np.pi * (xx * 0.23 + yy * 0.07)))[..., None]
    b = max(6, sw // 25)
    out = cv2.resize(background, (w, h)).copy()
    x0, y0 = (w - sw) // 2 - b, (h - sh) // 2 - b
    out[y0:y0 + sh + 2 * b, x0:x0 + sw + 2 * b] = 18
    out[y0 + b:y0 + b + sh, x0 + b:x0 + b + sw] = np.clip(shown * 255, 0, 255).astype(np.uint8)
    right, bottom = x0 + sw + 2 * b, y0 + sh + 2 * b
    for k in range(7):   # fingers wrapped round the right edge, overlapping
        cy = y0 + int((0.1 + 0.13 * k) * (sh + 2 * b))
        cv2.ellipse(out, (right + int(0.02 * w), cy), (int(0.07 * w), int(0.05 * h)), 0, 0, 360, (120, 150, 200), -1)
    # and the palm under the phone's bottom edge
    cv2.ellipse(out, ((x0 + right) // 2, bottom), (int(0.4 * sw), int(0.12 * sh)), 0, 0, 360, (118, 148, 198), -1)
    return out


@pytest.mark.slow
def test_a_recorded_blink_on_a_phone_whose_edge_the_fingers_hide_is_refused_as_a_digital_copy() -> None:
    # lp_d13 blinks at 1.45 s (our labels): the recording answers BLINK; the corner gives the phone away.
    frames = _clip_frames("lp_d13.mp4", 24)
    background = _clip_frames("lestari15_real.mp4", 1, folder=REPLAY)[0]
    times = [k / 8 for k in range(len(frames))]
    live = liveness_report(frames, times, [Challenge.BLINK])
    assert live.reason != "DIGITAL_COPY"
    replayed = [on_a_phone_in_the_hand(f, background) for f in frames]
    report = liveness_report(replayed, times, [Challenge.BLINK])
    checks = {s.sub_check: s for s in report.breakdown}
    assert checks["challenge_1_blink"].passed, "the recorded blink carries over"
    assert report.reason == "DIGITAL_COPY" and not checks["passive_screen_replay"].passed
    found = {d.name: d.value for d in checks["passive_screen_replay"].details}
    assert int(found["cornered_frames"]) >= 2, found


@pytest.mark.slow
def test_the_real_replay_whose_bezel_the_fingers_hide_is_refused_and_its_live_counterpart_is_not() -> None:
    fake = _clip_frames("lestari15_fake.mp4", 21, folder=REPLAY)
    real = _clip_frames("lestari15_real.mp4", 30, folder=REPLAY)
    times = [k / 8 for k in range(len(fake))]
    report = liveness_report(fake, times, [Challenge.BLINK])
    assert report.recommendation.value == "REJECT" and report.reason == "DIGITAL_COPY"
    live = liveness_report(real, [k / 8 for k in range(len(real))], [Challenge.BLINK])
    assert live.reason != "DIGITAL_COPY"   # the man sits still: the blink is not answered


@pytest.mark.slow
def test_the_held_out_evaluation_runs_on_real_replay_clips(tmp_path: Path, capsys) -> None:
    if not (REPLAY / "lestari15_fake.mp4").is_file():
        pytest.skip(f"evaluation data missing: {REPLAY} (see ../shared/data/README.md)")
    out = rc.run([REPLAY], tmp_path / "out.json")
    rows = out["per_source"]
    assert set(rows) == {"lestari15", "manikantha"}
    # The phone held tilted shows its frame: refused whatever was chosen on the other source.
    assert rows["manikantha"]["held_out"]["replay_refused"] == rows["manikantha"]["held_out"]["replay"] >= 5
    # The phone whose right edge the fingers hide: the frame alone misses it; its live clip is spared.
    assert rows["lestari15"]["frame_only"]["replay_refused"] == 0
    assert rows["lestari15"]["held_out"]["live_refused"] == 0
    assert "leave one source out" in capsys.readouterr().out
    assert (tmp_path / "out.json").is_file()
