"""Face model loaders: each model loads once per process, on first use.

Only models that ship inside installed packages are used:
- dlib's HOG frontal face detector (inside dlib),
- dlib's 5-point shape predictor and ResNet face encoder
  (face_recognition_models). The 68-point predictor is never loaded: its
  training data (iBUG 300-W) excludes commercial use.
- MediaPipe FaceMesh (mediapipe 0.10.14 bundles its models) for dense 3-D
  landmarks used by liveness.

We call dlib directly instead of `import face_recognition`, because that
module loads the 68-point predictor at import time.

Heavy imports happen inside the loaders, so importing this module is cheap
and safe from the web server's import path.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

# MediaPipe graphs are not thread-safe; dlib objects are, but serialising
# per-model use keeps CPU use predictable on a 2-core worker.
MESH_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _models_paths() -> tuple[str, str]:
    import warnings

    with warnings.catch_warnings():
        # face_recognition_models imports pkg_resources (deprecated) to locate its files.
        warnings.simplefilter("ignore")
        import face_recognition_models as frm

    return frm.pose_predictor_five_point_model_location(), frm.face_recognition_model_location()


@lru_cache(maxsize=1)
def hog_detector() -> Any:
    """dlib's HOG + linear SVM frontal face detector."""
    import dlib

    return dlib.get_frontal_face_detector()


@lru_cache(maxsize=1)
def shape_predictor_5() -> Any:
    """dlib's 5-point aligner (eye corners and nose base)."""
    import dlib

    return dlib.shape_predictor(_models_paths()[0])


@lru_cache(maxsize=1)
def face_encoder() -> Any:
    """dlib's ResNet-29 face encoder (128-d, 99.38% on LFW per dlib)."""
    import dlib

    return dlib.face_recognition_model_v1(_models_paths()[1])


@lru_cache(maxsize=1)
def face_mesh() -> Any:
    """MediaPipe FaceMesh in still-image mode, refined (iris) landmarks.

    Use under `MESH_LOCK`. Still-image mode makes every call independent of
    the previous one, so one instance can serve interleaved sessions.
    """
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True,
        max_num_faces=2,  # enough to notice a second person in the frame
        refine_landmarks=True,
        min_detection_confidence=0.5,
    )


def warm_up() -> None:
    """Load every face model now (call once when a check worker starts)."""
    import numpy as np

    hog_detector()
    shape_predictor_5()
    face_encoder()
    mesh = face_mesh()
    blank = np.zeros((64, 64, 3), dtype=np.uint8)
    with MESH_LOCK:
        mesh.process(blank)  # builds the graph and loads the TFLite models
