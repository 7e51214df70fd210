"""The cheaper ways document_frame computes a live frame's assessment (issue 13) give the same
values as the plain computations they replace."""
from __future__ import annotations

import cv2
import numpy as np

from identity_app.checks import document_frame as df


def _photo(seed: int = 3) -> np.ndarray:
    """A light card with text-like marks and a saturated highlight on a textured desk, 640x480."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(40, 110, (480, 640, 3), dtype=np.uint8), (0, 0), 2)
    card = np.float32([[120, 90], [540, 110], [520, 390], [100, 370]])
    cv2.fillPoly(image, [card.astype(np.int32)], (215, 220, 225))
    for y in range(150, 340, 24):
        cv2.line(image, (150, y), (470, y + 6), (40, 40, 40), 3)
    cv2.circle(image, (300, 240), 30, (255, 255, 255), -1)
    return image


def test_the_median_from_the_histogram_is_numpys():
    rng = np.random.default_rng(1)
    for shape in ((480, 640), (7, 9), (1, 1), (2, 1)):
        channel = rng.integers(0, 256, shape, dtype=np.uint8)
        assert df._median(channel) == float(np.median(channel))


def test_canny_from_shared_gradients_is_cannys():
    blur = cv2.GaussianBlur(cv2.cvtColor(_photo(), cv2.COLOR_BGR2GRAY), (5, 5), 0)
    dx, dy = df._gradients(blur)
    for lo, hi in ((20, 60), (30, 90), (5, 15)):
        assert np.array_equal(df._canny(dx, dy, lo, hi), cv2.Canny(blur, lo, hi))


def test_the_side_support_side_by_side_keeps_every_quadrilateral_that_holds_with_its_support():
    image = _photo()
    edges = cv2.dilate(cv2.Canny(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 30, 90), np.ones((5, 5), np.uint8))
    rng = np.random.default_rng(2)
    quads = np.concatenate([rng.uniform(0, 640, (300, 4, 2)),
                            np.float32([[120, 90], [540, 110], [520, 390], [100, 370]])[None]
                            + rng.normal(0, 1.5, (50, 4, 2))]).astype(np.float32)
    full = df._side_support(quads, edges)
    staged = df._side_support_over(quads, edges, 0.8)
    assert (full >= 0.8).sum() > 10
    assert np.array_equal(staged[full >= 0.8], full[full >= 0.8]) and (staged[full < 0.8] == 0).all()


def test_sharpness_and_glare_are_those_of_the_whole_photo_and_the_whole_warp():
    image = _photo()
    a = df.assess_frame(image)
    corners = np.asarray(a.corners, np.float32)
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [corners.astype(np.int32)], 1)
    inside = cv2.erode(inside, np.ones((9, 9), np.uint8)).astype(bool)
    lap = cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F)
    assert a.sharpness == float(lap[inside].var())
    assert a.glare_share == df._glare_share(df.correct_perspective(image, corners)) > 0
    dim = np.minimum(image, 240)  # nothing reaches 250: no glare, without warping
    assert not df._may_glare(dim, corners) and df.assess_frame(dim).glare_share == 0.0


def test_without_glare_the_same_assessment_but_glare():
    image = _photo()
    cv2.circle(image, (300, 240), 60, (255, 255, 255), -1)  # a highlight over a tenth of the card
    full, light = df.assess_frame(image), df.assess_frame(image, with_glare=False)
    assert "GLARE" in full.problems and light.glare_share == 0.0
    assert light.corners == full.corners and light.sharpness == full.sharpness
    assert light.problems == tuple(p for p in full.problems if p != "GLARE")


def _plain_glare_share(flat: np.ndarray) -> float:
    """The glare share as first written: every pixel of the page labelled by the default algorithm."""
    hsv = cv2.cvtColor(flat, cv2.COLOR_BGR2HSV)
    mask = ((hsv[..., 2] >= 250) & (hsv[..., 1] <= 40)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    return max((int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, count)), default=0) / float(mask.size)


def test_the_glare_share_is_the_plain_computations():
    image = _photo()
    cv2.circle(image, (420, 300), 20, (250, 252, 255), -1)  # a second, smaller highlight
    corners = np.float32([[120, 90], [540, 110], [520, 390], [100, 370]])
    flats = [df.correct_perspective(image, corners), df.correct_perspective(np.minimum(image, 240), corners),
             np.full((50, 80, 3), 255, np.uint8)]
    shares = [df._glare_share(f) for f in flats]
    assert shares == [_plain_glare_share(f) for f in flats]
    assert 0 < shares[0] < 1 and shares[1] == 0.0 and shares[2] == 1.0
