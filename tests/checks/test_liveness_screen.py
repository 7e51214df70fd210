"""The passive screen-replay cue (checks/screen.py) and DIGITAL_COPY in the liveness report.

Plain geometry first, then real live frames of ../shared/data/liveness-video-dev replayed
on a simulated phone (shrunk into a bezel, display gamma, moire, tilted, over another
clip's frame), then the real replay clips of ../shared/data/liveness-replay-dev. Tests on
real data skip where the folder is absent.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks import screen
from identity_app.checks.liveness import Challenge, analyse_frame, liveness_report

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LIVE = DATA / "liveness-video-dev"
REPLAY = DATA / "liveness-replay-dev"


# ---------------------------------------------------------------- geometry


def _canvas() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    img = np.full((360, 480, 3), 120, np.uint8)
    cv2.ellipse(img, (240, 170), (45, 60), 0, 0, 360, (170, 180, 200), -1)
    return img, (195, 110, 90, 120)


def test_a_face_between_two_straight_edges_is_framed() -> None:
    img, box = _canvas()
    cv2.line(img, (130, 40), (134, 320), (20, 20, 20), 3)
    cv2.line(img, (350, 40), (346, 320), (20, 20, 20), 3)
    sides = screen.frame_sides(img, box)
    assert sides["left"] >= 1.5 and sides["right"] >= 1.5 and sides["top"] == 0
    assert screen.is_framed(sides)


def test_one_edge_or_edges_far_away_are_no_frame() -> None:
    img, box = _canvas()
    cv2.line(img, (130, 40), (130, 320), (20, 20, 20), 3)   # a door frame on one side
    assert not screen.is_framed(screen.frame_sides(img, box))
    far, box = _canvas()
    cv2.line(far, (20, 40), (20, 320), (20, 20, 20), 3)      # 1.94 face widths away
    cv2.line(far, (465, 40), (465, 320), (20, 20, 20), 3)
    assert not screen.is_framed(screen.frame_sides(far, box))
    short, box = _canvas()                                   # edges shorter than half the face
    cv2.line(short, (150, 150), (150, 190), (20, 20, 20), 3)
    cv2.line(short, (330, 150), (330, 190), (20, 20, 20), 3)
    assert not screen.is_framed(screen.frame_sides(short, box))


def test_edges_behind_a_person_that_stop_at_the_shoulders_are_no_frame() -> None:
    # Curtain folds either side of the face, hidden below the chin by the shoulders.
    img, box = _canvas()   # face box y 110..230
    cv2.line(img, (140, 0), (140, 235), (20, 20, 20), 3)
    cv2.line(img, (340, 0), (340, 235), (20, 20, 20), 3)
    body = np.array([[215, 232], [265, 232], [420, 330], [420, 360], [60, 360], [60, 330]], np.int32)
    cv2.fillPoly(img, [body], (60, 60, 140))   # neck and sloping shoulders
    sides = screen.frame_sides(img, box)
    assert sides["left"] >= 1.0 and sides["right"] >= 1.0
    assert sides["left_below_chin"] < 0.4 and not screen.is_framed(sides)
    # A screen's bottom edge wider than the face closes the same frame.
    cv2.line(img, (140, 250), (340, 250), (20, 20, 20), 3)
    assert screen.is_framed(screen.frame_sides(img, box))


def test_the_share_needs_enough_framed_frames() -> None:
    img, box = _canvas()
    framed = img.copy()
    cv2.line(framed, (130, 40), (130, 320), (20, 20, 20), 3)
    cv2.line(framed, (350, 40), (350, 320), (20, 20, 20), 3)
    one = screen.screen_frame_share([framed] + [img] * 3, [box] * 4)
    assert one.framed == 1 and one.share == 0.25 and not one.fired   # 1 frame is not enough
    many = screen.screen_frame_share([framed] * 10 + [img] * 30, [box] * 40)
    assert many.scored == 16 and many.fired
    assert not screen.screen_frame_share([], []).fired


# ---------------------------------------------------------------- real frames on a simulated screen


def _clip_frames(name: str, count: int, start_s: float = 0.0, folder: Path = LIVE) -> list[np.ndarray]:
    from identity_app.checks.image_io import decode_image
    from identity_app.evaluation import liveness_video as lv

    path = folder / name
    if not path.is_file():
        pytest.skip(f"evaluation data missing: {path} (see ../shared/data/README.md)")
    frames, fps = lv.read_video(path)
    sent = [(t, data) for t, data in lv.capture_frames(frames, fps) if t >= start_s][:count]
    return [decode_image(data) for _, data in sent]


def on_a_phone(frame: np.ndarray, background: np.ndarray, angle: float = 6.0, scale: float = 0.55) -> np.ndarray:
    """`frame` replayed on a phone held before the camera: shrunk into a dark bezel, display gamma
    and a moire of the pixel grid, tilted by `angle`, over `background` (another camera frame)."""
    h, w = frame.shape[:2]
    sw, sh = int(w * scale), int(h * scale)
    shown = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    yy, xx = np.mgrid[0:sh, 0:sw]
    shown = shown ** 0.8 * (0.92 + 0.08 * np.sin(2 * np.pi * (xx * 0.23 + yy * 0.07)))[..., None]
    b = max(6, sw // 25)
    phone = np.full((sh + 2 * b, sw + 2 * b, 3), 18, np.uint8)
    phone[b:b + sh, b:b + sw] = np.clip(shown * 255, 0, 255).astype(np.uint8)
    out = cv2.resize(background, (w, h)).copy()
    ph, pw = phone.shape[:2]
    m = cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, 1.0)
    m[:, 2] += ((w - pw) / 2, (h - ph) / 2)
    warped = cv2.warpAffine(phone, m, (w, h))
    mask = cv2.warpAffine(np.full((ph, pw), 255, np.uint8), m, (w, h)) > 127
    out[mask] = warped[mask]
    return out


LIVE_CLIPS = ("lp_d0.mp4", "lp_d6.mp4", "lp_d9.mp4", "lp_d10.mp4", "lp_d13.mp4", "lp_d14.mp4", "lp_d19.mp4",
              "lp_d20.mp4")


@pytest.mark.slow
@pytest.mark.parametrize("name", LIVE_CLIPS)
def test_live_frames_are_not_framed_but_the_same_frames_on_a_phone_are(name: str) -> None:
    frames = _clip_frames(name, 6)
    background = _clip_frames("lestari15_real.mp4", 1, folder=REPLAY)[0]
    live = [(f, analyse_frame(f)) for f in frames]
    live = [(f, a) for f, a in live if a.has_face]
    assert len(live) >= 4
    assert not screen.screen_frame_share([f for f, _ in live], [a.face_box for _, a in live]).fired
    replayed = [on_a_phone(f, background, angle=4.0 * (k % 3 - 1)) for k, (f, _) in enumerate(live)]
    seen = [(f, analyse_frame(f)) for f in replayed]
    seen = [(f, a) for f, a in seen if a.has_face]
    assert len(seen) >= 3, "the face on the simulated phone should still be found"
    found = screen.screen_frame_share([f for f, _ in seen], [a.face_box for _, a in seen])
    assert found.fired, found


@pytest.mark.slow
def test_a_recorded_blink_replayed_on_a_phone_is_refused_as_a_digital_copy() -> None:
    # lp_d13 blinks at 1.45 s (our labels): the recording answers BLINK, the screen gives it away.
    frames = _clip_frames("lp_d13.mp4", 24)
    background = _clip_frames("lestari15_real.mp4", 1, folder=REPLAY)[0]
    times = [k / 8 for k in range(len(frames))]
    live = liveness_report(frames, times, [Challenge.BLINK])
    assert live.reason != "DIGITAL_COPY"
    replayed = [on_a_phone(f, background) for f in frames]
    report = liveness_report(replayed, times, [Challenge.BLINK])
    checks = {s.sub_check: s for s in report.breakdown}
    assert report.recommendation.value == "REJECT"
    assert checks["challenge_1_blink"].passed, "the recorded blink carries over"
    assert report.reason == "DIGITAL_COPY" and not checks["passive_screen_replay"].passed
    # A challenge the recording does not answer: the screen is still the reason given.
    unanswered = liveness_report(replayed, times, [Challenge.TURN_LEFT])
    assert not {s.sub_check: s for s in unanswered.breakdown}["challenge_1_turn_left"].passed
    assert unanswered.reason == "DIGITAL_COPY"
    # The live person who misses it is told to follow the instruction, not accused.
    assert liveness_report(frames, times, [Challenge.TURN_LEFT]).reason == "CHALLENGE_NOT_COMPLETED"


# ---------------------------------------------------------------- real replays


@pytest.mark.slow
def test_a_real_phone_replay_is_framed_and_its_live_counterpart_is_not() -> None:
    fake = _clip_frames("manikantha_fake.mp4", 48, folder=REPLAY)
    real = _clip_frames("lestari15_real.mp4", 30, folder=REPLAY)
    for frames, expected in ((fake, True), (real, False)):
        analysed = [(f, analyse_frame(f)) for f in frames]
        analysed = [(f, a) for f, a in analysed if a.has_face]
        found = screen.screen_frame_share([f for f, _ in analysed], [a.face_box for _, a in analysed])
        assert found.fired is expected, found
