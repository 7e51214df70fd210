"""Face match calibration: pairs by person, the threshold for an FMR chosen held-out by person,
the multi-frame selfie compared with one frame, and the people evaluation on real photos."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from identity_app.evaluation import face_attempts, face_calibration as cal

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _people(n_people: int, per_person: int, spread: float, seed: int = 1):
    """Embeddings clustered by person: a centre each, frames scattered around it."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (n_people, 128)) * 0.06
    emb, ids, groups = [], [], []
    for p in range(n_people):
        for k in range(per_person):
            emb.append(centres[p] + rng.normal(0, spread, 128))
            ids.append(f"person{p}")
            groups.append(f"person{p}:session{k // 3}")  # three frames a session
    return np.array(emb), ids, groups


def test_genuine_pairs_skip_one_session_and_every_impostor_pair_is_counted() -> None:
    emb, ids, groups = _people(6, 6, 0.02)
    ps = cal.build_pairs(emb, ids, groups, np.full(len(ids), 100.0), folds=3)
    # 6 images a person in 2 sessions of 3: 3 x 3 cross-session pairs each; 36 images of 6 people.
    assert len(ps.genuine) == 6 * 9
    assert ps.impostor_count == 36 * 35 // 2 - 6 * 15
    assert ps.impostor_count_in_fold.sum() + ps.impostor_count_outside.sum() <= ps.impostor_count * 3


def test_the_threshold_for_an_fmr_lets_through_at_most_that_share_of_impostors() -> None:
    tail = np.array([0.30, 0.35, 0.40, 0.45])
    t = cal.threshold_for_fmr(tail, 1000, 0.002)  # 2 of 1,000 allowed: the third nearest is refused
    assert 0.35 <= t < 0.40
    assert cal.threshold_for_fmr(tail, 1000, 0.0005) < 0.30


def test_cross_validation_measures_each_fold_with_a_threshold_from_the_others() -> None:
    emb, ids, groups = _people(30, 6, 0.025)
    ps = cal.build_pairs(emb, ids, groups, np.full(len(ids), 100.0), folds=5)
    cv = cal.cross_validate(ps, 0.01)
    assert len(cv.threshold_per_fold) == 5
    assert cv.heldout_impostors == int(ps.impostor_count_in_fold.sum())
    assert cv.heldout_genuine == len(ps.genuine)
    for f, t in enumerate(cv.threshold_per_fold):  # each threshold meets the target on its training folds
        outside = (ps.impostor_tail_folds != f).all(axis=1)
        assert (ps.impostor_tail[outside] <= t).sum() <= 0.01 * ps.impostor_count_outside[f]


def test_a_selfie_of_several_frames_is_the_mean_of_their_embeddings_against_the_same_threshold() -> None:
    e = np.eye(128)
    a, b = np.zeros(128), e[2]  # two people 1.0 apart
    # A's attempt: two frames 0.4 off (either way) and one on the face: their mean is A's face.
    emb = np.array([a + 0.4 * e[0], a - 0.4 * e[0], a, a + 0.05 * e[1],   # A: attempt, then another photo
                    b, b + 0.1 * e[3], b - 0.1 * e[3], b + 0.5 * e[4]])   # B: attempt, then another photo
    ids = ["a"] * 4 + ["b"] * 4
    groups = ["a:1"] * 3 + ["a:2"] + ["b:1"] * 3 + ["b:2"]
    att = face_attempts.compare(emb, ids, groups, [str(i) for i in range(8)], (0.3,), folds=1, frames=3)
    assert (att.attempts, att.people) == (2, 2)
    assert (att.genuine_single, att.genuine_multi) == (6, 2)  # each frame, and the mean, vs the other photo
    assert att.fnmr_single == pytest.approx(5 / 6)  # A's two frames 0.4 off, B's three all 0.5 off
    assert att.fnmr_multi == pytest.approx(1 / 2)  # A's mean matches, B's (0.5 off) does not
    assert (att.impostor_single, att.impostor_multi) == (2 * 3 * 4, 2 * 4)  # vs the other person's 4 images
    assert att.false_matches_single == att.false_matches_multi == 0


def test_a_selfie_of_several_frames_on_scattered_synthetic_people() -> None:
    emb, ids, groups = _people(30, 6, 0.02)
    ps = cal.build_pairs(emb, ids, groups, np.full(len(ids), 100.0), folds=5)
    thresholds = cal.cross_validate(ps, 0.01).threshold_per_fold
    att = face_attempts.compare(emb, ids, groups, [f"{i:04d}" for i in range(len(ids))], thresholds, 5, frames=3)
    assert att.attempts == 60 and att.people == 30  # two sessions of three frames each
    assert att.genuine_single == 3 * att.genuine_multi  # each frame vs the other session's images
    # Held out: only people of the attempt's own fold are compared.
    assert att.impostor_multi < 60 * (180 - 6)


def test_centred_directions_are_measured_from_the_mean_direction() -> None:
    a, b = np.array([1.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0])
    assert np.allclose(cal.fit_centre(np.array([a, 3 * b])), [1 / np.sqrt(2), 0.5 / np.sqrt(2), 0.5 / np.sqrt(2)])
    rows = cal.centred(np.array([a, 3 * b]), np.zeros(3))
    assert np.linalg.norm(rows[0] - rows[1]) == pytest.approx(1.0)  # no centre: the unit distance
    # What both share (their mean direction) taken away, they point apart; lengths do not count.
    rows = cal.centred(np.array([a, 3 * b]), cal.fit_centre(np.array([a, b])))
    assert np.linalg.norm(rows[0] - rows[1]) == pytest.approx(2.0)


def test_impostor_pairs_are_measured_from_a_centre_fitted_without_their_people() -> None:
    e = np.eye(4)
    emb = np.array([e[0] + e[3], e[1] + e[3], e[2] + e[3], e[2] + e[3] + 0.1 * e[0]])
    ids = ["a", "b", "c", "c"]
    d = cal.unseen_centre_impostors(emb, ids)
    assert len(d) == 1 + 2 + 2  # a-b, a-c (2 images), b-c (2 images)
    u = cal.unit(emb)
    centre_ab = u[2:].mean(0)  # a-b: measured from c's faces only
    ab = cal.centred(emb[[0]], centre_ab) - cal.centred(emb[[1]], centre_ab)
    assert d[0] == pytest.approx(float(np.linalg.norm(ab)))
    nearest = np.sort(d)
    assert nearest[0] <= cal.unseen_centre_threshold(emb, ids, 0.2) < nearest[1]  # 1 of the 5 may match
    assert cal.unseen_centre_threshold(emb, ids, 0.1) < nearest[0]  # none may


def test_centred_cross_validation_fits_each_centre_and_threshold_without_the_folds_people() -> None:
    emb, ids, groups = _people(30, 6, 0.025)
    emb = emb + 0.5  # every face shares one direction, as dlib's do
    widths = np.full(len(ids), 100.0)
    cv = cal.cross_validate_centred(emb, ids, groups, widths, 0.01, folds=5)
    fold = np.array([cal.fold_of(i, 5) for i in ids])
    for f in range(5):
        assert np.allclose(cv.centres[f], cal.fit_centre(emb[fold != f]))
        ps = cal.build_pairs(cal.centred(emb, cv.centres[f]), ids, groups, widths, folds=5,
                             tail_below=cal.CENTRED_TAIL, duplicate_below=0.05 / 1.4, duplicates_by=cal.unit(emb),
                             sample=100)
        outside = (ps.impostor_tail_folds != f).all(axis=1)
        t = cv.figures.threshold_per_fold[f]
        assert (ps.impostor_tail[outside] <= t).sum() <= 0.01 * ps.impostor_count_outside[f]
    assert cv.figures.heldout_genuine == 30 * 9
    assert cv.figures.heldout_impostors == int(
        cal.build_pairs(emb, ids, groups, widths, sample=100).impostor_count_in_fold.sum())


def test_a_fixed_threshold_is_measured_on_the_pairs_of_the_marked_images_only() -> None:
    e = np.eye(128)
    emb = np.array([e[0], e[0] + 0.2 * e[1], e[2], e[2] + 0.6 * e[3], e[0] + 0.1 * e[4]])
    ids = ["a", "a", "b", "b", "c"]
    groups = ["a1", "a2", "b1", "b2", "c1"]
    # Marked: b's two images and c's. Pairs: b-b (genuine, 0.6 apart), and b/c with everyone else.
    x = cal.at_threshold(emb, ids, groups, np.array([False, False, True, True, True]), 0.3)
    assert (x.genuine, x.false_non_matches) == (1, 1)
    assert x.impostors == 3 + 3 + 2  # b1 and b2 each with a1, a2, c; c with a1, a2 (b-c once)
    assert (x.false_matches, x.false_match_people_pairs) == (2, 1)  # c lies 0.1 and ~0.22 from a's images
    assert x.fmr == pytest.approx(2 / 8) and x.fnmr == 1.0


def test_photos_labelled_by_pairs_become_people(tmp_path: Path) -> None:
    from identity_app.evaluation.face_sets import pair_labelled_samples

    for n in range(1, 7):
        (tmp_path / f"img{n}.jpg").write_bytes(b"")  # only the labels are read here
    (tmp_path / "master.csv").write_text("file_x,file_y,Decision\nimg1.jpg,img2.jpg,Yes\nimg2.jpg,img3.jpg,Yes\n"
                                         "img1.jpg,img4.jpg,No\nimg5.jpg,img9.jpg,Yes\n")
    (tmp_path / "pivot.csv").write_text("file_x,file_y,decision,score\ndata/img4.jpg,data/img6.jpg,Yes,0.2\n")
    people: dict[str, list[str]] = {}
    for s in pair_labelled_samples(tmp_path, "df"):
        people.setdefault(s.identity, []).append(Path(s.path).name)
        assert s.group == f"df:{Path(s.path).name}"  # every photo its own group
    assert sorted(people.values()) == [["img1.jpg", "img2.jpg", "img3.jpg"], ["img4.jpg", "img6.jpg"], ["img5.jpg"]]
    (tmp_path / "wrong.csv").write_text("file_x,file_y,Decision\nimg3.jpg,img1.jpg,No\n")
    with pytest.raises(ValueError):
        pair_labelled_samples(tmp_path)


@pytest.mark.slow
def test_the_people_evaluation_on_real_photos_states_held_out_and_training_figures(tmp_path: Path) -> None:
    from identity_app.evaluation.face_eval import run_face_evaluation

    fr, lfw = DATA / "face-verify-face_recognition", DATA / "face-lfw-samples"
    if not (fr.is_dir() and lfw.is_dir()):
        pytest.skip("evaluation data missing (see ../shared/data/README.md)")
    people = tmp_path / "people"
    photos = {"Barack_Obama": [fr / "tests/obama.jpg", fr / "tests/obama2.jpg", fr / "tests/obama3.jpg"],
              "Joe_Biden": [fr / "tests/biden.jpg", fr / "knn/train/biden/biden2.jpg"],
              "Rose_Leslie": [fr / "knn/train/rose_leslie/img1.jpg", fr / "knn/train/rose_leslie/img2.jpg"],
              "Anthony_Hopkins": [lfw / "Anthony_Hopkins_0001.jpg", lfw / "Anthony_Hopkins_0002.jpg"],
              "Rob_Lowe": [lfw / "Rob_Lowe_0001.jpg", lfw / "Rob_Lowe_0002.jpg"]}
    for name, files in photos.items():  # LFW's layout, by symlink (no copies)
        (people / name).mkdir(parents=True)
        for i, f in enumerate(files):
            (people / name / f"photo{i}{f.suffix}").symlink_to(f)
    result = run_face_evaluation(tmp_path / "no-shared-data", tmp_path / "face.json", people=[people],
                                 cache_dir=tmp_path, folds=2)
    assert result["images_used"] == 11 and result["identities"] == 5
    single = result["unit"]  # what face match compares
    assert single["genuine_pairs"] == 3 + 1 + 1 + 1 + 1 and single["impostor_pairs"] == 55 - 7
    for fmr in ("0.001", "0.01"):
        g = single[f"fmr_{fmr}"]
        assert 0.0 <= g["heldout_fnmr"] <= 1.0 and 0.0 <= g["training_fnmr"] <= 1.0
        assert len(g["fold_thresholds"]) == 2
    assert single["at_default_threshold"]["false_matches"] == 0  # famous faces, none alike
    held_out = single["default_on_people_folders"]  # every image here is a --people image
    assert (held_out["genuine"], held_out["impostors"], held_out["false_matches"]) == (7, 48, 0)
    assert (tmp_path / "people.npz").is_file()  # the embeddings are cached for the next run
