"""Passive PAD feature groups and the nested choice of feature set and C, on synthetic images."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from identity_app.checks import pad


def _face_like(seed: int = 0, size: int = 160) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 3), np.uint8)
    cv2.ellipse(img, (size // 2, size // 2), (size // 3, size // 2 - 8), 0, 0, 360, (120, 150, 200), -1)
    noise = rng.normal(0, 18, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def test_every_candidate_spec_gives_one_finite_value_per_name() -> None:
    from identity_app.evaluation.pad_fit import CANDIDATES

    img = _face_like()
    for spec in (*CANDIDATES, pad.SHIPPED_SPEC):
        f = pad.features(img, spec)
        assert f.shape == (len(spec.names),) and np.all(np.isfinite(f)), spec.label()
    assert pad.pad_features(img).shape == (len(pad.FEATURE_NAMES),) == pad.WEIGHTS.shape


def test_the_blur_cue_drops_when_the_face_is_blurred() -> None:
    # A print re-imaged by a camera is blurrier: a box blur removes less of its edge strength.
    sharp = _face_like(1)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 2.5)
    i = pad.QUALITY_NAMES.index("blur_ratio")
    assert pad._quality(blurred)[i] < pad._quality(sharp)[i]


def test_a_grey_face_has_fewer_colours_than_a_colourful_one() -> None:
    colourful = _face_like(2)
    grey = cv2.cvtColor(cv2.cvtColor(colourful, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    i = pad.QUALITY_NAMES.index("log_colours")
    assert pad._quality(grey)[i] < pad._quality(colourful)[i]


def test_the_bottleneck_makes_the_cues_of_a_small_and_a_large_crop_alike() -> None:
    # The same face at 100 px and at 220 px: shrunk to 96 px first, their sharpness cues differ less.
    small = _face_like(3, 100)
    large = cv2.resize(small, (220, 220), interpolation=cv2.INTER_CUBIC)
    native, shrunk = pad.FeatureSpec(("texture",)), pad.FeatureSpec(("texture",), 96)
    i = pad.TEXTURE_NAMES.index("log_laplacian_var")
    assert (abs(pad.features(small, shrunk)[i] - pad.features(large, shrunk)[i])
            < abs(pad.features(small, native)[i] - pad.features(large, native)[i]))


def test_nested_cv_chooses_the_feature_set_inside_and_the_final_fit_takes_the_most_chosen() -> None:
    from identity_app.evaluation import pad_fit

    rng = np.random.default_rng(0)
    subjects = np.repeat([f"s{i}" for i in range(4)], 12)
    y = np.tile(np.repeat([0, 1], 6), 4)
    informative = y[:, None] * 3.0 + rng.normal(0, 1, (48, 2))
    noise = rng.normal(0, 1, (48, 2))
    good, bad = pad.FeatureSpec(("texture",)), pad.FeatureSpec(("quality",))
    xs = {bad: noise, good: informative}
    r = pad_fit.nested_cv(xs, y, subjects, bpcer=0.1, grid=(0.1, 1.0))
    assert len(r.chosen_spec) == 4 and set(r.chosen_spec) == {good}
    assert r.apcer <= 0.05 and r.auc > 0.95
    final = pad_fit.final_choice(xs, y, subjects, r, bpcer=0.1)
    picks = list(zip(r.chosen_spec, r.chosen_c))
    assert final.spec == good and picks.count((final.spec, final.c)) == max(map(picks.count, picks))


def test_an_attempt_is_up_to_three_frames_of_one_presentation_in_frame_order(tmp_path) -> None:
    # As the liveness check scores an attempt: the median of 3 frames of one capture.
    from identity_app.evaluation.pad_data import attempts, load_labels

    names = ["0001_00_00_01_40.jpg", "0001_00_00_01_0.jpg", "0001_00_00_01_12.jpg", "0001_00_00_01_300.jpg",
             "0001_00_00_02_5.jpg", "0002_00_00_01_5.jpg", "other.jpg"]
    (tmp_path / "labels.csv").write_text("file,label\n" + "".join(f"{n},live\n" for n in names)
                                         + "0001_00_00_01_7.jpg,print\n")
    samples = load_labels(tmp_path)
    assert samples[0].presentation == "0001_00_00_01" and samples[0].frame == 40
    groups = [[samples[i].path.name for i in g] for g in attempts(samples)]
    assert ["0001_00_00_01_0.jpg", "0001_00_00_01_12.jpg", "0001_00_00_01_40.jpg"] in groups
    assert ["0001_00_00_01_300.jpg"] in groups and ["0001_00_00_01_7.jpg"] in groups  # a print never joins live frames
    assert ["other.jpg"] in groups and len(groups) == 6
