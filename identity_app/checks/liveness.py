"""LIVENESS (ACTIVE): did a live person answer the challenges that were asked?

Per frame (`analyse_frame`, fast enough for live feedback): MediaPipe
FaceMesh's 3-D landmarks give head yaw, pitch and roll, eye opening (eye
aspect ratio) and mouth opening, plus the face count and box.

Over the sequence (`liveness_report`): each challenge answered in the
order asked, with human timing; one face only, present throughout; the same
face throughout (dlib embeddings of a few frames); passive
presentation-attack cues: a screen's frame or corner around the face and a face
blown out by its backlight (screen.py, reported as DIGITAL_COPY, also when the
challenges were not answered or the face was often lost) and the print
texture score (pad.py, PHOTOCOPY) on a few face crops, which decides only when
no expression challenge was answered (it follows the camera more than the attack).

Why a printed photo fails: MediaPipe infers depth from the face's
appearance, so a flat photo tilted in front of the camera mostly keeps the
3-D yaw of the face printed on it (tilting sharp frontal photos by 50
degrees moved it by under 12 degrees; blurry low-resolution NUAA prints
followed the tilt up to about 28). A turn must start from a near-frontal
pose, reach `turn_yaw_deg` and change yaw by `turn_delta_deg`. A print
curled around a vertical cylinder and turned does fake a turn in about half
of our synthetic attempts, so a challenge set should always hold a BLINK
or OPEN_MOUTH, which no print answered (`random_challenges` does that; run
`python -m identity_app.evaluation.liveness_eval DIR` for the figures).
Eye and mouth openings are measured over the upper-face height, so a print
foreshortened by tilting does not "open" them, and states must hold for
`min_state_frames` frames on faces whose box keeps its shape.

Conventions (frames as the camera delivers them, NOT mirrored):
- yaw > 0 when the person turns to their own left (nose towards the image's
  right), so TURN_LEFT means the person's own left, as a mirrored preview
  makes natural; pitch > 0 when the head is raised; roll is the image
  angle of the line from the person's right eye to their left eye
  (> 0 when it points downwards in the image).
- `ear_right` is the person's right eye (on the image's left).
"""
from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Sequence

import cv2
import numpy as np

from identity_app.checks import face_models, faces, pad, screen
from identity_app.checks.report import CheckReport, CheckType, Recommendation, SubCheck, details, sub_check

ALGORITHM_VERSION = "liveness/mediapipe-facemesh-3d/3"

# MediaPipe FaceMesh landmark indices.
_RIGHT_EYE = (33, 160, 158, 133, 153, 144)   # person's right eye: corner, top x2, corner, bottom x2
_LEFT_EYE = (362, 385, 387, 263, 373, 380)
_EYE_OUTER_R, _EYE_OUTER_L = 33, 263
_FOREHEAD, _CHIN = 10, 152
_LIP_TOP, _LIP_BOTTOM = 13, 14
_SUBNASALE = 2
_EYELIDS = ((159, 145), (386, 374))  # (upper, lower) lid centre of each eye


class Challenge(str, Enum):
    TURN_LEFT = "TURN_LEFT"
    TURN_RIGHT = "TURN_RIGHT"
    BLINK = "BLINK"
    OPEN_MOUTH = "OPEN_MOUTH"


@dataclass(frozen=True)
class FrameAnalysis:
    face_count: int
    face_box: tuple[int, int, int, int] | None = None  # x, y, w, h in pixels
    yaw: float = 0.0        # degrees, > 0 = person's own left
    pitch: float = 0.0      # degrees, > 0 = head raised
    roll: float = 0.0       # degrees
    ear_left: float = 0.0   # eye aspect ratio of the person's left eye (~0.3 open, < 0.15 closed)
    ear_right: float = 0.0
    # Openings over the upper-face height (forehead to below the nose): unlike the
    # classic ratios over eye or mouth width, a print tilted sideways (foreshortened
    # horizontally) does not change them.
    eye_open: float = 0.0    # mean eyelid gap (~0.05-0.15 open, < 0.03 closed)
    mouth_open: float = 0.0  # inner-lip gap (~0 closed, 0.1-0.23 smiling, > 0.25 open wide)
    image_size: tuple[int, int] = (0, 0)  # width, height

    @property
    def has_face(self) -> bool:
        return self.face_count >= 1 and self.face_box is not None

    @property
    def ear(self) -> float:
        return (self.ear_left + self.ear_right) / 2

    @property
    def aspect(self) -> float:
        return self.face_box[3] / self.face_box[2] if self.face_box and self.face_box[2] else 0.0

    def to_dict(self) -> dict:
        """Plain JSON values, so an analysis made while frames stream can be stored with them."""
        return {"v": ANALYSIS_VERSION, **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}}

    @classmethod
    def from_dict(cls, raw: object) -> "FrameAnalysis | None":
        """The analysis `to_dict` stored, or None when it is missing, of another version or malformed
        (the frame is then analysed again)."""
        if not isinstance(raw, dict) or raw.get("v") != ANALYSIS_VERSION:
            return None
        try:
            box = raw.get("face_box")
            size = raw.get("image_size") or (0, 0)
            return cls(
                face_count=int(raw["face_count"]),
                face_box=tuple(int(v) for v in box) if box is not None else None,  # type: ignore[arg-type]
                image_size=(int(size[0]), int(size[1])),
                **{k: float(raw[k]) for k in _FLOAT_FIELDS},
            )
        except (KeyError, TypeError, ValueError, IndexError):
            return None


NO_FACE = FrameAnalysis(face_count=0)
# Bumped whenever analyse_frame's output changes, so stored analyses of older code are redone.
ANALYSIS_VERSION = 1
_FLOAT_FIELDS = ("yaw", "pitch", "roll", "ear_left", "ear_right", "eye_open", "mouth_open")


@dataclass(frozen=True)
class LivenessThresholds:
    """Every knob of the decision, with the defaults the report states."""

    # A real person's natural right turn peaked at 23 degrees (liveness-video: tran_real), so 22;
    # the change from the near-frontal start rises to 30, which bent-and-turned prints reach less
    # often than they reached 30 and 25 (67 against 75 of 1,896 turn presentations, liveness_eval).
    turn_yaw_deg: float = 22.0         # |yaw| that counts as turned
    turn_delta_deg: float = 30.0       # yaw change from a near-frontal frame
    neutral_yaw_deg: float = 12.0      # |yaw| that counts as near-frontal
    nudge_yaw_deg: float = 12.0        # live feedback: a turn begun this far but short gets "turn a bit more"
    eye_closed_ratio: float = 0.6      # EAR below this share of the open-eye EAR = closed
    # Real eyes reopen to 0.75-0.85 of the open level right after a blink (liveness-video); no print
    # sequence answered a blink at either value.
    eye_open_ratio: float = 0.75       # EAR above this share = open again
    eye_clear_closed_ratio: float = 0.45  # a closure this deep may reopen to a squint:
    eye_reopen_rise: float = 0.4       # open again once this much above the closed low
    eye_state_max_yaw_deg: float = 30.0  # eye opening is unreliable when turned further
    max_blink_s: float = 2.0           # eyes closed longer than this is not a blink
    mouth_closed: float = 0.08
    mouth_open: float = 0.25
    min_state_frames: int = 2          # mouth closed / open held this many frames in a row
    blink_open_frames: int = 1         # eyes open this many frames before a blink (8 fps: natural blinks
                                       # follow each other 0.4-0.6 s apart)
    max_aspect_change: float = 0.2     # eye/mouth states only while the face box keeps its shape
    min_response_s: float = 0.3        # faster than a human can react
    max_response_s: float = 10.0       # per challenge
    max_missing_face_share: float = 0.3
    max_multi_face_frames: int = 2
    max_wrong_turns: int = 1           # full turns the wrong way while waiting for a turn
    same_face_max_distance: float = 0.6
    pad_threshold: float = field(default_factory=lambda: pad.DEFAULT_THRESHOLD)
    pad_frames: int = 3
    # A screen's straight frame on two opposite sides of the face, or its corner beside it
    # (screen.py), in this share of the attempt's frames: DIGITAL_COPY.
    screen: screen.ScreenThresholds = field(default_factory=screen.ScreenThresholds)
    # A face blown out by a screen's backlight (screen.blown_out_face): DIGITAL_COPY.
    gamut: "screen.GamutThresholds" = field(default_factory=lambda: screen.GamutThresholds())

    def as_details(self):
        flat = {k: v for k, v in self.__dict__.items() if k not in ("screen", "gamut")}
        flat.update({f"screen_{k}": v for k, v in self.screen.__dict__.items()})
        flat.update({f"gamut_{k}": v for k, v in self.gamut.__dict__.items()})
        return details(**flat)


EXPRESSIONS = (Challenge.BLINK, Challenge.OPEN_MOUTH)
TURNS = (Challenge.TURN_LEFT, Challenge.TURN_RIGHT)


def random_challenges(n: int = 2, rng: random.Random | None = None) -> list[Challenge]:
    """n distinct challenges (1..4) in random order, always with a BLINK or OPEN_MOUTH.

    A print cannot blink or open its mouth, whereas a print curled around a
    vertical cylinder and turned can fake a head turn (see liveness_eval), so
    every set holds an expression; from 2 challenges on, also a head turn.
    A fresh random order per attempt defeats replayed recordings.
    """
    rng = rng or random.SystemRandom()
    n = max(1, min(n, len(Challenge)))
    chosen = [rng.choice(EXPRESSIONS)]
    if n >= 2:
        chosen.append(rng.choice(TURNS))
    rest = [c for c in Challenge if c not in chosen]
    rng.shuffle(rest)
    chosen += rest[: n - len(chosen)]
    rng.shuffle(chosen)
    return chosen


# ---------------------------------------------------------------- per frame


def _ear(p: np.ndarray, idx: tuple[int, ...]) -> float:
    a = np.linalg.norm(p[idx[1]] - p[idx[5]])
    b = np.linalg.norm(p[idx[2]] - p[idx[4]])
    c = np.linalg.norm(p[idx[0]] - p[idx[3]])
    return float((a + b) / (2 * c)) if c > 0 else 0.0


def analyse_landmarks(points: np.ndarray, image_size: tuple[int, int], face_count: int = 1) -> FrameAnalysis:
    """Pose, eye and mouth measures from one face's 478 landmarks (x, y, z in pixels)."""
    xa = points[_EYE_OUTER_L] - points[_EYE_OUTER_R]           # person's right eye -> left eye
    ya = points[_CHIN] - points[_FOREHEAD]                      # forehead -> chin
    xa = xa / (np.linalg.norm(xa) or 1.0)
    ya = ya - xa * float(np.dot(ya, xa))
    ya = ya / (np.linalg.norm(ya) or 1.0)
    # MediaPipe z grows away from the camera: the left eye farther away = turned to own left.
    yaw = math.degrees(math.asin(float(np.clip(xa[2], -1, 1))))
    pitch = -math.degrees(math.asin(float(np.clip(ya[2], -1, 1))))
    roll = math.degrees(math.atan2(float(xa[1]), float(xa[0])))
    p2 = points[:, :2]
    upper = float(np.linalg.norm(p2[_FOREHEAD] - p2[_SUBNASALE])) or 1.0
    lids = [float(np.linalg.norm(p2[a] - p2[b])) for a, b in _EYELIDS]
    x0, y0 = p2.min(axis=0)
    x1, y1 = p2.max(axis=0)
    w, h = image_size
    box = (max(0, int(x0)), max(0, int(y0)), int(min(w, x1) - max(0, x0)), int(min(h, y1) - max(0, y0)))
    return FrameAnalysis(
        face_count=face_count,
        face_box=box,
        yaw=yaw,
        pitch=pitch,
        roll=roll,
        ear_left=_ear(p2, _LEFT_EYE),
        ear_right=_ear(p2, _RIGHT_EYE),
        eye_open=sum(lids) / len(lids) / upper,
        mouth_open=float(np.linalg.norm(p2[_LIP_TOP] - p2[_LIP_BOTTOM])) / upper,
        image_size=image_size,
    )


def landmarks(frame_bgr: np.ndarray) -> list[np.ndarray]:
    """478 x 3 landmark arrays (pixels; z in the x scale), largest face first."""
    h, w = frame_bgr.shape[:2]
    rgb = faces.to_rgb(frame_bgr)
    with face_models.MESH_LOCK:
        result = face_models.face_mesh().process(rgb)
    found = []
    for face in result.multi_face_landmarks or ():
        found.append(np.array([(p.x * w, p.y * h, p.z * w) for p in face.landmark], dtype=np.float64))
    found.sort(key=lambda p: float(np.ptp(p[:, 0]) * np.ptp(p[:, 1])), reverse=True)
    return found


def analyse_frame(frame_bgr: np.ndarray) -> FrameAnalysis:
    """Face count, box, pose, eyes and mouth of the largest face in one frame."""
    found = landmarks(frame_bgr)
    if not found:
        return NO_FACE
    h, w = frame_bgr.shape[:2]
    return analyse_landmarks(found[0], (w, h), face_count=len(found))


# ---------------------------------------------------------------- challenges


@dataclass(frozen=True)
class ChallengeOutcome:
    challenge: Challenge
    completed: bool
    frame_index: int | None = None      # frame where it was completed
    response_s: float | None = None     # from the previous completion (or the start)
    peak: float | None = None           # yaw, EAR ratio or mouth opening reached
    wrong_turns: int = 0
    note: str = ""
    start_index: int | None = None      # turns: the near-frontal frame the turn started from


def _state_frames(analyses: Sequence[FrameAnalysis], th: LivenessThresholds) -> list[bool]:
    """Frames fit to judge eyes and mouth: a face, near-frontal, box shape as usual.

    A print tilted far enough to distort the face changes the box's shape;
    landmarks on such frames are guesses and must not count as a blink.
    """
    aspects = [a.aspect for a in analyses if a.has_face]
    ref = float(np.median(aspects)) if aspects else 0.0
    return [
        a.has_face and abs(a.yaw) <= th.eye_state_max_yaw_deg
        and ref > 0 and abs(a.aspect / ref - 1) <= th.max_aspect_change
        for a in analyses
    ]


def _open_eye_level(analyses: Sequence[FrameAnalysis], usable: list[bool]) -> float:
    levels = [a.eye_open for a, ok in zip(analyses, usable) if ok]
    # Eyes are open most of the time: a high percentile is the person's open-eye level.
    return float(np.percentile(levels, 75)) if levels else 0.0


def _find_turn(analyses, start, sign, th) -> tuple[int | None, int | None, float, int]:
    """(answer frame, its near-frontal start frame, peak yaw, wrong-way turns) from `start` on."""
    neutral: int | None = None
    wrong, in_wrong, peak = 0, False, 0.0
    for j in range(start, len(analyses)):
        a = analyses[j]
        if not a.has_face:
            continue
        if abs(a.yaw) <= th.neutral_yaw_deg:
            neutral = j if neutral is None else neutral
            in_wrong = False
        y = sign * a.yaw
        peak = max(peak, y)
        if neutral is not None and y >= th.turn_yaw_deg and y - sign * analyses[neutral].yaw >= th.turn_delta_deg:
            return j, neutral, y, wrong
        if neutral is not None and -y >= th.turn_yaw_deg and not in_wrong:
            wrong, in_wrong = wrong + 1, True
    return None, None, peak, wrong


def _find_blink(analyses, ts, start, usable, open_level, th) -> tuple[int | None, float]:
    """Eyes open (held), then closed, then open again within max_blink_s.

    Open again: back to `eye_open_ratio` of the open level, or, after a clear closure (at most
    `eye_clear_closed_ratio`), risen by `eye_reopen_rise` above the lowest closed frame: someone
    blinking while laughing reopens to a squint (liveness-video: 0.15 -> 0.59 of the open level).
    """
    open_run, ready, closed_at, lowest, closed_low = 0, False, None, float("inf"), float("inf")
    for j in range(start, len(analyses)):
        if not usable[j] or open_level <= 0:
            continue
        ratio = analyses[j].eye_open / open_level
        lowest = min(lowest, ratio)
        reopened = ratio >= th.eye_open_ratio or (
            closed_low <= th.eye_clear_closed_ratio and ratio >= closed_low + th.eye_reopen_rise)
        if closed_at is not None and reopened:
            if ts[j] - ts[closed_at] <= th.max_blink_s:
                return j, lowest
            closed_at, closed_low = None, float("inf")
        if ratio >= th.eye_open_ratio:
            open_run += 1
            ready = ready or open_run >= th.blink_open_frames
        elif ratio <= th.eye_closed_ratio:
            if ready and closed_at is None:
                closed_at = j
            if closed_at is not None:
                closed_low = min(closed_low, ratio)
            open_run = 0
        else:
            open_run = 0
    return None, lowest


def _find_mouth(analyses, start, usable, th) -> tuple[int | None, float]:
    """Mouth closed (in `min_state_frames` frames, not necessarily in a row: a grimace that
    only brushes the lips together between two shapes still closes them), then open wide (held)."""
    closed_seen, open_run, peak = 0, 0, 0.0
    for j in range(start, len(analyses)):
        if not usable[j]:
            continue
        m = analyses[j].mouth_open
        peak = max(peak, m)
        if m <= th.mouth_closed:
            closed_seen, open_run = closed_seen + 1, 0
        elif m >= th.mouth_open and closed_seen >= th.min_state_frames:
            open_run += 1
            if open_run >= th.min_state_frames:
                return j, m
        else:
            open_run = 0
    return None, peak


def evaluate_challenges(
    analyses: Sequence[FrameAnalysis],
    timestamps: Sequence[float],
    challenges: Sequence[Challenge],
    thresholds: LivenessThresholds = LivenessThresholds(),
) -> list[ChallengeOutcome]:
    """Were the challenges answered, in order? Pure: plain measurements in."""
    th = thresholds
    usable = _state_frames(analyses, th)
    open_level = _open_eye_level(analyses, usable)
    outcomes: list[ChallengeOutcome] = []
    start, t_prev = 0, (timestamps[0] if len(timestamps) else 0.0)
    for ch in challenges:
        wrong, neutral = 0, None
        if ch in (Challenge.TURN_LEFT, Challenge.TURN_RIGHT):
            j, neutral, peak, wrong = _find_turn(analyses, start, 1 if ch is Challenge.TURN_LEFT else -1, th)
        elif ch is Challenge.BLINK:
            j, peak = _find_blink(analyses, timestamps, start, usable, open_level, th)
        else:
            j, peak = _find_mouth(analyses, start, usable, th)
        if j is None:
            outcomes.append(ChallengeOutcome(ch, False, peak=peak, wrong_turns=wrong, note="not answered"))
            # Later challenges cannot have been answered in order.
            outcomes += [ChallengeOutcome(c, False, note="previous challenge not answered")
                         for c in challenges[len(outcomes):]]
            break
        response = float(timestamps[j] - t_prev)
        note = ""
        ok = True
        if wrong > th.max_wrong_turns:
            ok, note = False, "turned the wrong way"
        elif response < th.min_response_s:
            ok, note = False, "faster than a human reaction"
        elif response > th.max_response_s:
            ok, note = False, "too slow"
        outcomes.append(ChallengeOutcome(ch, ok, j, response, peak, wrong, note, start_index=neutral))
        if not ok:
            outcomes += [ChallengeOutcome(c, False, note="previous challenge failed")
                         for c in challenges[len(outcomes):]]
            break
        start, t_prev = j + 1, float(timestamps[j])
    return outcomes


def turn_hint(outcomes: Sequence[ChallengeOutcome], thresholds: LivenessThresholds = LivenessThresholds()) -> str:
    """Live feedback on the first unanswered challenge: "turn_more" when it is a turn the person
    has begun the right way (peak yaw of at least `nudge_yaw_deg`) without answering it, so someone
    who turns too little is told to turn a bit more; "" otherwise. Past the largest yaw that can
    still fall short (`turn_delta_deg` from the widest near-frontal start) turning more is not
    what is missing (no near-frontal start), so no hint."""
    th = thresholds
    pending = next((o for o in outcomes if not o.completed), None)
    if pending is None or pending.challenge not in TURNS or pending.peak is None:
        return ""
    return "turn_more" if th.nudge_yaw_deg <= pending.peak < th.turn_delta_deg + th.neutral_yaw_deg else ""


# ---------------------------------------------------------------- report


def face_crop(frame: np.ndarray, a: FrameAnalysis, margin: float = 0.0) -> np.ndarray:
    """The face's landmark box cut from the frame: what the passive cues (pad.py) score."""
    x, y, w, h = a.face_box  # type: ignore[misc]
    return faces.crop(frame, (y, x + w, y + h, x), margin)


def _same_face(frames, analyses, idx: list[int],
               selfie: tuple[int, np.ndarray] | None = None) -> tuple[float, int]:
    """Max embedding distance between a few frames' faces.

    `selfie`: (frame index, its encoding) compared too; when that frame is
    already among `idx`, its encoding is reused rather than computed again.
    """
    encodings = []
    for i in idx:
        if selfie is not None and i == selfie[0]:
            continue
        x, y, w, h = analyses[i].face_box
        encodings.append(faces.encode_face(frames[i], (y, x + w, y + h, x)))
    if selfie is not None:
        encodings.append(selfie[1])
    worst = max((faces.face_distance(a, b) for k, a in enumerate(encodings) for b in encodings[k + 1:]), default=0.0)
    return worst, len(encodings)


def _spread(indices: list[int], n: int) -> list[int]:
    if len(indices) <= n:
        return indices
    return [indices[round(k * (len(indices) - 1) / (n - 1))] for k in range(n)] if n > 1 else [indices[0]]


@dataclass(frozen=True)
class PassiveCue:
    """One passive presentation-attack cue of an attempt: what it measured and whether it fired."""

    name: str                   # its sub-check in the report
    attack: bool                # fired: the frames show a screen or a print
    score: float
    reason: str                 # DIGITAL_COPY (screen) or PHOTOCOPY (print) when it fires
    details: dict = field(default_factory=dict)


def screen_cues(
    frames: Sequence[np.ndarray],
    analyses: Sequence[FrameAnalysis],
    thresholds: LivenessThresholds = LivenessThresholds(),
) -> list[PassiveCue]:
    """The cues a screen leaves (screen.py), each DIGITAL_COPY when it fires: its frame or corner
    beside the face, and a face blown out by its backlight. They fired on no live clip, so they
    decide also when the challenges were not answered or the face was often lost."""
    th = thresholds
    with_face = [i for i, a in enumerate(analyses) if a.has_face]
    if not with_face:
        return []
    shown = [frames[i] for i in with_face]
    boxes = [analyses[i].face_box for i in with_face]
    found = screen.screen_frame_share(shown, boxes, th.screen)
    gamut = screen.blown_out_face(shown, boxes, th.gamut)
    return [
        PassiveCue("passive_screen_replay", found.fired, found.share, "DIGITAL_COPY",
                   {"framed_share": round(found.share, 3), "framed_frames": found.framed,
                    "cornered_frames": found.cornered, "frames_scored": found.scored}),
        PassiveCue("passive_screen_gamut", gamut.fired, gamut.clipped, "DIGITAL_COPY",
                   {"clipped_face_share": round(gamut.clipped, 3), "frames_scored": gamut.scored}),
    ]


def _screen_refusal(images, analyses, th: LivenessThresholds) -> PassiveCue | None:
    return next((c for c in screen_cues(images, analyses, th) if c.attack), None)


def passive_cues(
    frames: Sequence[np.ndarray],
    analyses: Sequence[FrameAnalysis],
    thresholds: LivenessThresholds = LivenessThresholds(),
    outcomes: Sequence[ChallengeOutcome] | None = None,
) -> list[PassiveCue]:
    """The passive cues of a screen or a print, in the order the report applies them."""
    th = thresholds
    with_face = [i for i, a in enumerate(analyses) if a.has_face]
    if not with_face:
        return []
    # A screen's cues (screen.py), first: a screen that also looks like a print is reported as the
    # screen it is.
    cues: list[PassiveCue] = screen_cues(frames, analyses, th)
    # Texture of a print (pad.py) on near-frontal face crops.
    frontal = [i for i in with_face if abs(analyses[i].yaw) <= th.neutral_yaw_deg] or with_face
    scores = [pad.presentation_attack_score(face_crop(frames[i], analyses[i])) for i in _spread(frontal, th.pad_frames)]
    pad_score = float(np.median(scores))
    cues.append(PassiveCue("passive_presentation_attack", pad_score >= th.pad_threshold, pad_score, "PHOTOCOPY",
                           {"attack_score": round(pad_score, 4), "frames_scored": len(scores)}))
    return cues


def liveness_report(
    frames: Sequence[np.ndarray] | Sequence[FrameAnalysis],
    timestamps: Sequence[float],
    challenges: Sequence[Challenge],
    *,
    analyses: Sequence[FrameAnalysis] | None = None,
    thresholds: LivenessThresholds = LivenessThresholds(),
    selfie_index: int | None = None,
    selfie_face: faces.EncodedFace | None = None,
) -> CheckReport:
    """Decide LIVENESS from the frames (or their analyses) of one attempt.

    `frames`: camera frames (BGR, unmirrored), or precomputed FrameAnalysis
    values when images are not at hand (then the same-face and passive
    checks cannot run and the best possible outcome is NOT_AVAILABLE).
    `timestamps`: seconds, one per frame, from when the first challenge was shown.
    `analyses`: optional FrameAnalysis per frame already computed live.
    `selfie_index`, `selfie_face`: the frame chosen as the selfie for face
    match (`selfie.best_frontal_frame`) and its `faces.encode_selfie` result. When
    its face is usable it joins the same-face comparison, so the face that
    face match compares with the document is the face that answered the
    challenges; the breakdown says whether it was compared.
    """
    th = thresholds
    images: list[np.ndarray] | None
    if len(frames) and isinstance(frames[0], FrameAnalysis):
        images, analyses = None, list(frames)  # type: ignore[arg-type]
    else:
        images = list(frames)  # type: ignore[arg-type]
        analyses = list(analyses) if analyses is not None else [analyse_frame(f) for f in images]
    assert analyses is not None
    n = len(analyses)
    checks: list[SubCheck] = []

    def report(rec: Recommendation, reason: str | None, recovery: str | None, score: float | None = None):
        passed = rec is Recommendation.APPROVE
        auth = sub_check("liveness_auth", passed, challenges=",".join(c.value for c in challenges), frames=n,
                         # Without a blink or open-mouth, a curled print can fake a turn (module docstring).
                         expression_challenge="yes" if any(c in EXPRESSIONS for c in challenges) else "no")
        return CheckReport(
            CheckType.LIVENESS, rec, reason=reason, recovery_suggestion=recovery,
            breakdown=(auth, *checks), score=score, algorithm_version=ALGORITHM_VERSION,
            thresholds=th.as_details(),
        )

    if n == 0 or len(timestamps) != n or (images is not None and len(images) != n):
        checks.append(sub_check("frames_received", False, frames=n, timestamps=len(timestamps)))
        return report(Recommendation.NOT_AVAILABLE, "NO_FRAMES", "Record the liveness video again.")

    with_face = [i for i, a in enumerate(analyses) if a.has_face]
    missing_share = 1 - len(with_face) / n
    face_ok = missing_share <= th.max_missing_face_share
    checks.append(sub_check("face_present", face_ok, frames_without_face=n - len(with_face), frames=n))
    if not face_ok:
        # A small phone held before the camera loses its face in most frames; where it is found,
        # the screen's corner beside it says what it is (fetched keypad-phone replay).
        fired = _screen_refusal(images, analyses, th) if images is not None else None
        if fired is not None:
            checks.append(sub_check(fired.name, False, **fired.details))
            return report(Recommendation.REJECT, "DIGITAL_COPY", "Use your real face in good light, not a photo or screen.")
        return report(Recommendation.REJECT, "NO_FACE_PRESENT", "Keep your face inside the oval for the whole challenge.")

    multi = sum(1 for a in analyses if a.face_count > 1)
    one_ok = multi <= th.max_multi_face_frames
    checks.append(sub_check("one_face_only", one_ok, frames_with_several_faces=multi))
    if not one_ok:
        return report(Recommendation.REJECT, "MULTIPLE_PEOPLE", "Only one person should be in view.")

    ts = [float(t) for t in timestamps]
    monotonic = all(b > a for a, b in zip(ts, ts[1:]))
    outcomes = evaluate_challenges(analyses, ts, challenges, th) if monotonic else [
        ChallengeOutcome(c, False, note="timestamps not increasing") for c in challenges]
    for k, o in enumerate(outcomes, 1):
        checks.append(sub_check(
            f"challenge_{k}_{o.challenge.value.lower()}", o.completed,
            frame=o.frame_index if o.frame_index is not None else "none",
            response_s=round(o.response_s, 2) if o.response_s is not None else "none",
            peak=round(o.peak, 3) if o.peak is not None else "none",
            wrong_turns=o.wrong_turns, note=o.note or "ok",
        ))
    fps = (n - 1) / (ts[-1] - ts[0]) if n > 1 and ts[-1] > ts[0] else 0.0
    timing_ok = monotonic and all(
        o.response_s is None or th.min_response_s <= o.response_s <= th.max_response_s for o in outcomes)
    checks.append(sub_check("human_timing", timing_ok, duration_s=round(ts[-1] - ts[0], 2), fps=round(fps, 1)))
    if not all(o.completed for o in outcomes):
        # A screen in view says more than an unanswered challenge (a replay rarely answers a fresh
        # set): the screen cue, which fired on no live clip, still decides the reason. The print
        # texture score does not: on a live person who missed an instruction it would be a false
        # and unhelpful accusation.
        fired = _screen_refusal(images, analyses, th) if images is not None else None
        if fired is not None:
            checks.append(sub_check(fired.name, False, **fired.details))
            return report(Recommendation.REJECT, "DIGITAL_COPY",
                          "Use your real face in good light, not a photo or screen.")
        return report(Recommendation.REJECT, "CHALLENGE_NOT_COMPLETED",
                      "Follow each instruction in turn: " + ", ".join(c.value.replace("_", " ").lower() for c in challenges))

    if images is None:
        checks.append(sub_check("same_face", False, evaluated="no: analyses only"))
        checks.append(sub_check("passive_presentation_attack", False, evaluated="no: analyses only"))
        return report(Recommendation.NOT_AVAILABLE, "FRAMES_NOT_PROVIDED", "Send the frames, not only their analyses.")

    # Same face throughout: each challenge's answer, and the selfie face match will use. Without
    # a usable selfie, the first and last frames with a face stand in for it. With one, they add
    # nothing: a face that answers no challenge and is not the selfie decides nothing (and every
    # dlib encoding costs ~75 ms).
    answers = [o.frame_index for o in outcomes if o.frame_index is not None]
    selfie = None
    selfie_note: dict[str, object] = {}
    if selfie_index is not None:
        usable = selfie_face is not None and selfie_face.encoding is not None and 0 <= selfie_index < n
        if usable:
            selfie = (selfie_index, selfie_face.encoding)  # type: ignore[union-attr]
        problem = selfie_face.finding.problem if selfie_face is not None else None
        selfie_note = {"selfie_frame": selfie_index, "selfie_compared": "yes" if usable else
                       f"no: {problem.value if problem else 'not encoded'}"}
    key = sorted(set(answers)) if selfie is not None else sorted({with_face[0], with_face[-1], *answers})
    worst, count = _same_face(images, analyses, _spread(key, 4), selfie)
    same_ok = worst <= th.same_face_max_distance
    checks.append(sub_check("same_face", same_ok, max_distance=round(worst, 4), frames_compared=count,
                            **selfie_note))
    if not same_ok:
        return report(Recommendation.REJECT, "MULTIPLE_PEOPLE", "The same person must stay in view throughout.")

    # Passive cues: what a screen or a print leaves in the frames (passive_cues). The print
    # texture score decides only when no expression was asked: on cameras it was not fitted on it
    # fired on 60-90% of live people's frames (pad.py), while no print answered a blink or an open
    # mouth (0/960). With an expression answered it is shown to the reviewer, not decisive.
    answered_expression = any(o.challenge in EXPRESSIONS and o.completed for o in outcomes)
    cues = passive_cues(images, analyses, th, outcomes)
    deciding = [c for c in cues if not (answered_expression and c.name == "passive_presentation_attack")]
    for c in cues:
        if c in deciding:
            checks.append(sub_check(c.name, not c.attack, **c.details))
        else:
            checks.append(sub_check(c.name, True, **c.details, fired="yes" if c.attack else "no",
                                    decides="no: an expression challenge was answered"))
    pad_score = next((c.score for c in cues if c.name == "passive_presentation_attack"), 0.0)
    fired = next((c for c in deciding if c.attack), None)
    if fired is not None:
        return report(Recommendation.REJECT, fired.reason, "Use your real face in good light, not a photo or screen.",
                      score=round(1 - pad_score, 4))
    return report(Recommendation.APPROVE, None, None, score=round(1 - pad_score, 4))
