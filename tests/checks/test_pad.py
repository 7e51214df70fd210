"""Passive presentation-attack score on the app's face crop of NUAA images (../shared/data/pad-nuaa-dev)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks import pad

pytestmark = pytest.mark.slow  # not in the fast tier: the print-attack model on real images

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NUAA = DATA / "pad-nuaa-dev"


@pytest.fixture(scope="module")
def nuaa() -> Path:
    if not (NUAA / "labels.csv").is_file():
        pytest.skip(f"evaluation data missing: {NUAA} (see ../shared/data/README.md)")
    return NUAA


def test_the_uniform_lbp_of_a_flat_image_is_all_one_code() -> None:
    flat = np.full((64, 64), 100, dtype=np.uint8)
    hist = pad._lbp_hist(flat, 1)
    assert hist.shape == (10,) and hist[8] == pytest.approx(1.0)


def test_the_uniform_code_table_counts_ones_or_marks_non_uniform() -> None:
    assert pad._UNIFORM[0b00000000] == 0
    assert pad._UNIFORM[0b00001111] == 4   # one run of ones: uniform
    assert pad._UNIFORM[0b01010101] == 9   # 8 transitions: non-uniform


@pytest.fixture(scope="module")
def app_crops(nuaa: Path) -> list:
    """(sample, the app's face crop) of every pad-nuaa-dev image, cut once for the module."""
    from identity_app.evaluation.pad_data import app_face_crop, load_labels

    return [(s, app_face_crop(cv2.imread(str(s.path)))) for s in load_labels(nuaa)]


def test_features_are_finite_and_independent_of_crop_size(nuaa: Path) -> None:
    image = cv2.imread(str(nuaa / "bona_fide" / "0001_00_00_01_0.jpg"))
    f = pad.pad_features(image)
    assert f.shape == (len(pad.FEATURE_NAMES),) and np.all(np.isfinite(f))
    bigger = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    assert 0.0 <= pad.presentation_attack_score(bigger) <= 1.0


def test_prints_score_higher_than_live_faces_for_every_subject(app_crops: list) -> None:
    by_subject: dict[str, dict[bool, list[float]]] = {}
    for s, crop in app_crops:
        assert crop is not None  # a face found in every image: all scored on the app's crop
        by_subject.setdefault(s.subject, {True: [], False: []})[s.is_attack].append(pad.presentation_attack_score(crop))
    assert len(by_subject) == 8
    for scores in by_subject.values():
        assert np.median(scores[True]) > np.median(scores[False])
    # The shipped weights were fitted on these images: training figures (a regression guard).
    attacks = np.concatenate([v[True] for v in by_subject.values()])
    bona = np.concatenate([v[False] for v in by_subject.values()])
    assert np.mean(attacks < pad.DEFAULT_THRESHOLD) <= 0.0125 and np.mean(bona >= pad.DEFAULT_THRESHOLD) <= 0.025


def test_blurring_a_live_face_raises_the_attack_score(nuaa: Path) -> None:
    # A print re-imaged by a camera loses fine texture: the score must notice.
    from identity_app.evaluation.pad_data import app_face_crop

    image = app_face_crop(cv2.imread(str(nuaa / "bona_fide" / "0003_01_00_01_0.jpg")))
    assert image is not None
    blurred = cv2.GaussianBlur(image, (0, 0), 3)
    assert pad.presentation_attack_score(blurred) > pad.presentation_attack_score(image)


def test_held_out_figures_on_the_app_crop_choose_c_and_threshold_without_the_test_subject(
        app_crops: list, monkeypatch: pytest.MonkeyPatch) -> None:
    # The honest figure: nested subject-wise CV; every choice (features, C, threshold) made on
    # inner folds. Two candidate sets and two C keep it quick: the property under test is
    # where the choices are made, and that the outer fold's subject never reaches them.
    from identity_app.evaluation import pad_fit

    specs = (pad.FeatureSpec(("texture",)), pad.FeatureSpec(("texture", "quality")))
    x = pad_fit.feature_table([c for _, c in app_crops], specs)
    y = np.array([int(s.is_attack) for s, _ in app_crops])
    subjects = np.array([s.subject for s, _ in app_crops])
    seen: list[set[str]] = []
    fitted_rows: list[int] = []
    real_choose, real_fit = pad_fit.choose, pad_fit._fit
    monkeypatch.setattr(pad_fit, "choose", lambda xs, ys, subj, *a: seen.append(set(subj.tolist()))
                        or real_choose(xs, ys, subj, *a))
    monkeypatch.setattr(pad_fit, "_fit", lambda xx, yy, c: fitted_rows.append(len(yy)) or real_fit(xx, yy, c))
    r = pad_fit.nested_cv(x, y, subjects, bpcer=0.05, grid=(0.1, 10.0))
    everyone = set(subjects.tolist())
    assert len(seen) == 8 and sorted(len(everyone - s) for s in seen) == [1] * 8
    # Inner fits hold 6 of the 8 subjects (120 images), the outer fits 7 (140): never all 160.
    assert set(fitted_rows) == {120, 140}
    assert set(r.chosen_c) <= {0.1, 10.0} and set(r.chosen_spec) <= set(specs)
    assert r.apcer <= 0.10 and r.bpcer <= 0.075 and r.auc > 0.97


def _small_folder(nuaa: Path, tmp_path: Path, per_class: int = 3) -> Path:
    """3 subjects, `per_class` live and print images each: the smallest folder nested CV runs on."""
    from identity_app.evaluation.pad_data import load_labels

    rows, taken = ["file,label,subject"], {}
    for s in load_labels(nuaa):
        key = (s.subject, s.is_attack)
        if s.subject in ("0001", "0002", "0003") and taken.get(key, 0) < per_class:
            taken[key] = taken.get(key, 0) + 1
            name = f"{'print' if s.is_attack else 'live'}_{s.path.name}"
            (tmp_path / name).symlink_to(s.path)
            rows.append(f"{name},{s.attack_type or 'live'},{s.subject}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_the_evaluation_reports_apcer_per_attack_type_bpcer_and_the_held_out_figure(
        nuaa: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from identity_app.evaluation.pad_eval import run_pad_evaluation

    folder = _small_folder(nuaa, tmp_path)
    result = run_pad_evaluation(folder, tmp_path / "pad.json")
    assert result["bona_fide"] == 9 and result["attacks"] == 9
    assert set(result["apcer_per_type"]) == {"spoof (printed photo)"}
    assert result["no_face_found"] == {"bona_fide": 0, "attack": 0} and "crop" in result["scored"]
    assert result["bpcer"] is not None and result["roc_auc"] is not None
    held_out = result["held_out"]
    assert held_out["subjects"] == 3 and "nested" in held_out["method"]
    assert len(held_out["features_per_outer_fold"]) == 3 and len(held_out["c_per_outer_fold"]) == 3
    assert 0.0 <= held_out["apcer"] <= 1.0 and 0.0 <= held_out["bpcer"] <= 1.0
    # Per attempt (median of up to 3 frames of one presentation), shipped and held-out.
    for a in (result["per_attempt"], held_out["per_attempt"]):
        assert 0 < a["attacks"] <= 9 and 0 < a["bona_fide"] <= 9 and a["accepted"] <= a["attacks"]
    out = capsys.readouterr().out
    assert "held-out" in out and "chosen per outer fold" in out and "training figures" in out
    assert out.count("per attempt") == 2
    assert (tmp_path / "pad.json").is_file()


def test_the_evaluation_reads_any_folder_in_the_same_format(nuaa: Path, tmp_path: Path) -> None:
    from identity_app.evaluation.pad_eval import run_pad_evaluation

    (tmp_path / "live.jpg").symlink_to(nuaa / "bona_fide" / "0001_00_00_01_0.jpg")
    (tmp_path / "print.jpg").symlink_to(nuaa / "spoof_print" / "0001_00_00_01_0.jpg")
    (tmp_path / "labels.csv").write_text("file,label\nlive.jpg,live\nprint.jpg,print\nmissing.jpg,print\n")
    result = run_pad_evaluation(tmp_path)
    assert result["bona_fide"] == 1 and result["attacks"] == 1 and result["unreadable"] == 1
    assert set(result["apcer_per_type"]) == {"print"}
    assert result["held_out"] is None  # one subject: no held-out figure to make
