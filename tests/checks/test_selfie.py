"""The selfie choice (checks/selfie.py) on frames made from real stills
(../shared/data/liveness-pose-eyes-insightface: one person, head turned, eyes open or closed)."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks import selfie
from tests.capture_media import POSE, camera_frame, still


def _frame(rel: str) -> np.ndarray:
    return camera_frame(still(POSE / rel), background=0)


def test_the_best_frontal_frame_is_the_one_facing_the_camera_with_eyes_open() -> None:
    frames = [_frame(p) for p in
              ("pose/left_face.jpeg", "reaction/close_eyes.jpeg", "reaction/open_eyes.png", "pose/rise_face.jpeg")]
    frames.append(cv2.flip(frames[0], 1))
    best = selfie.best_frontal_frame(frames)
    assert best in (2, 3)  # eyes open, head not turned (rise_face is raised but frontal)
    assert selfie.best_frontal_frame([np.zeros((480, 640, 3), np.uint8)]) is None
