"""Face match on real photos (../shared/data), plus the score calibration."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks import face_match
from identity_app.checks.report import CheckReport, CheckType, Recommendation

pytestmark = pytest.mark.slow  # not in the fast tier: real face models on real photos

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
FR = DATA / "face-verify-face_recognition"


def _image(rel: str) -> np.ndarray:
    path = FR / rel
    if not path.is_file():
        pytest.skip(f"evaluation data missing: {path} (see ../shared/data/README.md)")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None
    return image


def _detail(report: CheckReport, sub: str, name: str) -> str:
    check = next(s for s in report.breakdown if s.sub_check == sub)
    return next(d.value for d in check.details if d.name == name)


def test_it_approves_the_same_person() -> None:
    report = face_match.face_match_report(_image("tests/obama.jpg"), _image("tests/obama2.jpg"))
    assert report.check_type is CheckType.ID_DOCUMENT_FACE_MATCH
    assert report.recommendation is Recommendation.APPROVE
    assert report.reason is None
    confidence = float(_detail(report, "ai_face_match", "confidence_score"))
    assert face_match.DEFAULT_THRESHOLD <= confidence <= 1.0
    assert report.score == pytest.approx(confidence)


def test_it_rejects_a_different_person() -> None:
    report = face_match.face_match_report(_image("tests/obama.jpg"), _image("tests/biden.jpg"))
    assert report.recommendation is Recommendation.REJECT
    assert report.reason == "DIFFERENT_PERSON"
    assert float(_detail(report, "ai_face_match", "confidence_score")) < face_match.DEFAULT_THRESHOLD


def test_it_says_face_not_found_when_there_is_no_face() -> None:
    selfie = _image("tests/obama2.jpg")
    no_face = np.full((480, 640, 3), 128, dtype=np.uint8)
    report = face_match.face_match_report(no_face, selfie)
    assert report.recommendation is Recommendation.NOT_AVAILABLE
    assert report.reason == "FACE_NOT_FOUND"
    assert report.recovery_suggestion
    assert not any(s.sub_check == "ai_face_match" for s in report.breakdown)


def test_it_refuses_a_selfie_with_two_people() -> None:
    report = face_match.face_match_report(_image("tests/obama.jpg"), _image("examples/two_people.jpg"))
    assert report.recommendation is Recommendation.NOT_AVAILABLE
    assert report.reason == "MULTIPLE_FACES"


def test_it_reports_a_dark_selfie_as_too_dark() -> None:
    dark = (_image("tests/obama2.jpg")[:, :, :3].astype(np.float32) * 0.25).astype(np.uint8)
    report = face_match.face_match_report(_image("tests/obama.jpg"), dark)
    assert report.recommendation is Recommendation.NOT_AVAILABLE
    assert report.reason == "PHOTO_TOO_DARK"


def test_it_reports_a_blurred_selfie_as_too_blurry() -> None:
    blurred = cv2.GaussianBlur(_image("tests/obama2.jpg")[:, :, :3], (0, 0), 5)
    report = face_match.face_match_report(_image("tests/obama.jpg"), blurred)
    assert report.recommendation is Recommendation.NOT_AVAILABLE
    assert report.reason == "PHOTO_TOO_BLURRY"


def test_a_stricter_threshold_turns_a_match_into_a_reject() -> None:
    report = face_match.face_match_report(_image("tests/obama.jpg"), _image("tests/obama2.jpg"), threshold=0.999)
    assert report.recommendation is Recommendation.REJECT
    assert {"name": "threshold", "value": "0.999"} in report.to_dict()["thresholds"]


def test_the_report_survives_a_json_round_trip() -> None:
    report = face_match.face_match_report(_image("tests/obama.jpg"), _image("tests/obama3.jpg"))
    assert CheckReport.from_dict(report.to_dict()) == report


def test_confidence_falls_monotonically_with_distance() -> None:
    distances = np.linspace(0.0, 1.5, 151)
    scores = [face_match.confidence_from_distance(float(d)) for d in distances]
    assert all(0.0 < s < 1.0 for s in scores)
    assert all(a > b for a, b in zip(scores, scores[1:]))
    assert face_match.confidence_from_distance(0.25) > 0.95  # a typical genuine pair (unit distance)
    assert face_match.confidence_from_distance(0.55) < 0.05  # a typical impostor pair


def test_the_default_threshold_is_the_calibrated_distance() -> None:
    assert face_match.DEFAULT_THRESHOLD == pytest.approx(
        face_match.confidence_from_distance(face_match.DEFAULT_MAX_DISTANCE), abs=1e-3)
    for c in (0.1, 0.482, 0.9):
        d = face_match.distance_from_confidence(c)
        assert math.isclose(face_match.confidence_from_distance(d), c, rel_tol=1e-9)


def test_face_match_compares_the_directions_of_the_embeddings() -> None:
    from identity_app.checks import faces

    a, b = np.array([3.0, 4.0]), np.array([0.6, 0.8])
    assert faces.unit_distance(a, b) == pytest.approx(0.0) and faces.face_distance(a, b) == pytest.approx(4.0)
    assert faces.unit_distance(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(math.sqrt(2))
    document, selfie = _image("tests/obama.jpg"), _image("tests/obama2.jpg")
    distance = float(_detail(face_match.face_match_report(document, selfie), "ai_face_match", "distance"))
    expected = faces.unit_distance(faces.encode_face(document, faces.find_face(document).box),  # type: ignore[arg-type]
                                   faces.encode_selfie(selfie).encoding)  # type: ignore[arg-type]
    assert distance == pytest.approx(expected, abs=1e-4)


def test_only_the_default_threshold_states_its_fmr() -> None:
    document, selfie = _image("tests/obama.jpg"), _image("tests/obama2.jpg")
    stated = face_match.face_match_report(document, selfie).to_dict()["thresholds"]
    assert {"name": "stated_fmr", "value": "0.001"} in stated
    other = face_match.face_match_report(document, selfie, threshold=0.5).to_dict()["thresholds"]
    assert {"name": "stated_fmr", "value": "not measured"} in other


def test_the_evaluation_reads_csv_pairs_and_reports_fnmr_at_fixed_fmr(tmp_path: Path) -> None:
    from identity_app.evaluation.face_eval import run_face_evaluation

    folder = DATA / "face-verify-openface"
    if not folder.is_dir():
        pytest.skip(f"evaluation data missing: {folder}")
    out = tmp_path / "face.json"
    result = run_face_evaluation(folder, out)
    assert result["genuine_pairs"] == 2 and result["impostor_pairs"] == 9
    assert result["pairs_without_face"] == 0
    for key in ("fnmr_at_fmr_0.01", "fnmr_at_fmr_0.001", "eer"):
        assert 0.0 <= result[key] <= 1.0
    assert result["genuine_distance_max"] < result["impostor_distance_min"]  # dlib separates these famous faces
    assert result["at_default_threshold"]["fmr"] == 0.0
    assert out.read_text().startswith("{")


def test_the_evaluation_reads_an_lfw_style_pairs_list(tmp_path: Path) -> None:
    from identity_app.evaluation.face_eval import load_pairs

    lfw = DATA / "face-lfw-samples"
    if not lfw.is_dir():
        pytest.skip(f"evaluation data missing: {lfw}")
    for name in ("Anthony_Hopkins", "Rob_Lowe"):  # LFW's nested layout, by symlink (no copies)
        (tmp_path / name).mkdir()
        for i in (1, 2):
            (tmp_path / name / f"{name}_000{i}.jpg").symlink_to(lfw / f"{name}_000{i}.jpg")
    (tmp_path / "pairs.txt").write_text(
        "1\t2\nAnthony_Hopkins\t1\t2\nRob_Lowe\t1\tRob_Lowe\t2\nAnthony_Hopkins\t1\tRob_Lowe\t2\n")
    pairs = load_pairs(tmp_path)
    assert [same for _, _, same in pairs] == [True, True, False]
    assert all(a.is_file() and b.is_file() for a, b, _ in pairs)


def test_fnmr_at_fmr_allows_no_impostor_below_the_resolution() -> None:
    from identity_app.evaluation.face_eval import equal_error_rate, fnmr_at_fmr

    genuine = np.array([0.2, 0.3, 0.5, 0.7])
    impostor = np.array([0.65, 0.8, 0.9, 0.95])
    fnmr, threshold = fnmr_at_fmr(genuine, impostor, 0.001)
    assert threshold < 0.65 and fnmr == 0.25
    assert fnmr_at_fmr(genuine, impostor, 0.25) == (0.0, pytest.approx(0.8))
    eer, _ = equal_error_rate(genuine, impostor)
    assert eer == 0.25


def test_a_selfie_encoded_once_gives_the_same_report() -> None:
    from identity_app.checks import faces

    document, selfie = _image("tests/obama.jpg"), _image("tests/obama2.jpg")
    shared = faces.encode_selfie(selfie)
    assert shared.finding.usable and shared.encoding is not None
    assert face_match.face_match_report(document, selfie, selfie_face=shared).to_dict() == \
        face_match.face_match_report(document, selfie).to_dict()
    with pytest.raises(ValueError):  # judged by other rules than this face match's
        face_match.face_match_report(document, selfie, selfie_face=shared, min_face_px=200)


def test_the_encoder_process_gives_the_same_embeddings_and_survives_a_crash():
    # The worker encodes faces in a helper process (dlib holds the GIL while encoding).
    from identity_app.checks import faces

    images = [_image("tests/obama.jpg"), _image("tests/biden.jpg")]
    boxes = [faces.find_face(img).box for img in images]
    here = [faces.encode_face(img, box) for img, box in zip(images, boxes)]
    try:
        assert faces.use_encoder_process()
        there = [faces.encode_face(img, box) for img, box in zip(images, boxes)]
        assert all(np.array_equal(a, b) for a, b in zip(here, there))
        # The child is killed: the next encoding starts a new one and gives the same embedding.
        faces._encoder_process._proc.kill()  # type: ignore[union-attr]
        faces._encoder_process._proc.wait()  # type: ignore[union-attr]
        assert np.array_equal(faces.encode_face(images[0], boxes[0]), here[0])
        assert faces.encoder_process_cpu_seconds() > 0
    finally:
        faces.stop_encoder_process()
    assert faces._encoder_process is None
    assert np.array_equal(faces.encode_face(images[1], boxes[1]), here[1])  # back in this process


def test_a_mirrored_encoding_is_the_mean_of_the_chip_and_its_mirror_image() -> None:
    import dlib

    from identity_app.checks import face_models, faces

    image = _image("tests/obama.jpg")
    box = faces.find_face(image).box
    assert box is not None
    rgb = faces.to_rgb(image)
    shape = face_models.shape_predictor_5()(rgb, dlib.rectangle(box[3], box[0], box[1], box[2]))
    chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    enc = face_models.face_encoder()
    expected = (np.asarray(enc.compute_face_descriptor(chip)) +
                np.asarray(enc.compute_face_descriptor(np.ascontiguousarray(chip[:, ::-1])))) / 2
    assert np.allclose(faces.encode_face(image, box, mirrored=True), expected)
    assert not np.allclose(faces.encode_face(image, box), expected)


def test_a_selfie_from_several_frames_averages_the_usable_ones_only() -> None:
    from identity_app.checks import faces

    selfie, other = _image("tests/obama2.jpg"), _image("tests/obama3.jpg")
    blurred = cv2.GaussianBlur(other[:, :, :3], (0, 0), 6)
    mirrored = face_match.MIRRORED
    one = faces.encode_selfie(selfie, mirrored=mirrored)
    several = faces.encode_selfie_frames([selfie, other, blurred], mirrored=mirrored)
    assert one.frames == 1 and several.frames == 2 and several.mirrored == mirrored
    assert several.finding == one.finding  # the selfie's own finding decides usability
    alone = faces.encode_face(other, faces.find_face(other).box, mirrored=mirrored,  # type: ignore[arg-type]
                              jittered=face_match.JITTERED)
    assert np.allclose(several.encoding, (one.encoding + alone) / 2)  # type: ignore[operator]
    unusable = faces.encode_selfie_frames([blurred, selfie])
    assert unusable.encoding is None and unusable.finding.problem is not None
    report = face_match.face_match_report(_image("tests/obama.jpg"), selfie, selfie_face=several)
    assert report.recommendation is Recommendation.APPROVE and _detail(report, "ai_face_match", "selfie_frames") == "2"
    with pytest.raises(ValueError):  # encoded otherwise than this face match compares
        face_match.face_match_report(_image("tests/obama.jpg"), selfie, selfie_face=several,
                                     mirrored=not mirrored)
    with pytest.raises(ValueError):
        face_match.face_match_report(_image("tests/obama.jpg"), selfie, selfie_face=several,
                                     jittered=not face_match.JITTERED)


def test_a_jittered_encoding_is_the_mean_of_fixed_jittered_chips() -> None:
    import dlib

    from identity_app.checks import face_models, faces

    image = _image("tests/obama.jpg")
    box = faces.find_face(image).box
    assert box is not None
    rgb = faces.to_rgb(image)
    shape = face_models.shape_predictor_5()(rgb, dlib.rectangle(box[3], box[0], box[1], box[2]))
    chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    views = faces.jittered_chips(chip)
    assert len(views) == len(faces.JITTERS) and all(v.shape == chip.shape for v in views)
    # Slight changes: each view stays close to the chip (mirrored ones to its mirror image).
    for v, (*_, mirror) in zip(views, faces.JITTERS):
        ref = chip[:, ::-1] if mirror else chip
        assert 0 < np.abs(v.astype(int) - ref.astype(int)).mean() < 40
    enc = face_models.face_encoder()
    expected = np.mean([np.asarray(enc.compute_face_descriptor(v)) for v in views], axis=0)
    jittered = faces.encode_face(image, box, jittered=True)
    assert np.allclose(jittered, expected)
    assert np.array_equal(faces.encode_face(image, box, jittered=True), jittered)  # the same on every call
    assert 0 < faces.unit_distance(jittered, faces.encode_face(image, box)) < 0.1
