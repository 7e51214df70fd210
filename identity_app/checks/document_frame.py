"""Where the document is in a phone photo, and whether the photo is usable.

`find_document` looks for the card or page as a bright, four-cornered
region: edges (Canny at several thresholds, on grey and on the colour
channels that separate a pastel card from a desk) closed into contours,
each contour's convex hull simplified to a quadrilateral, scored by its
area, how fully the region fills that quadrilateral and how close its sides
come to a document's proportions. The four corners come back clockwise
from the top left of the document as it lies in the photo.

`correct_perspective` warps those corners to a flat rectangle, so the MRZ
locator and the OCR see the document as a scanner would.

`assess_frame` says what a person should change before the photo is taken
(the same assessment gives the capture page its feedback and decides an
automatic capture): the document not found, partly out of the frame, too
small (too far), blurred, or with glare (a saturated, colourless blob) over
it. Thresholds are arguments with documented defaults.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 640            # px: the long side the search works at
MIN_AREA_SHARE = 0.12      # of the frame: a smaller document is too far for its MRZ to be read
EDGE_MARGIN = 0.01         # of the frame's side: a corner this close to the edge may be cut by it
MIN_SHARPNESS = 60.0       # variance of the Laplacian inside the document, at the photo's resolution
MAX_GLARE_SHARE = 0.04     # of the document: saturated colourless pixels in one blob
DOC_RATIOS = (1.42, 1.586)  # ID-3 passport page, ID-1 card (long / short side)
EDGE_PENALTY = 0.3         # a quadrilateral cut by the frame counts this much against a whole one


@dataclass(frozen=True)
class FrameAssessment:
    corners: tuple[tuple[float, float], ...] | None   # 4 corners in the photo, clockwise from top left
    area_share: float            # the document's share of the frame
    sharpness: float
    glare_share: float
    problems: tuple[str, ...]    # DOCUMENT_NOT_FOUND, PARTLY_OUT_OF_FRAME, TOO_SMALL, BLURRED, GLARE

    @property
    def usable(self) -> bool:
        return not self.problems

    def advice(self) -> str:
        """What the person should do, for the first problem found."""
        return {
            "DOCUMENT_NOT_FOUND": "Place the whole document on a plain surface, filling most of the picture.",
            "PARTLY_OUT_OF_FRAME": "Move back or centre the document: all four corners must be in the picture.",
            "TOO_SMALL": "Move closer: the document should fill most of the picture.",
            "BLURRED": "Hold still and let the camera focus.",
            "GLARE": "Tilt the document or move away from the light: there is glare on it.",
        }.get(self.problems[0], "") if self.problems else "Hold still."


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners clockwise from the top-left one (smallest x + y)."""
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    quad = quad[np.argsort(angles)]
    start = int(np.argmin(quad.sum(axis=1)))
    return np.roll(quad, -start, axis=0)


def _edge_maps(small: np.ndarray) -> list[np.ndarray]:
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    maps = []
    for channel in (grey, lab[..., 1], lab[..., 2], hsv[..., 1]):
        blur = cv2.GaussianBlur(channel, (5, 5), 0)
        med = float(np.median(blur))
        for lo, hi in ((0.66 * med, 1.33 * med), (20, 60)):
            edges = cv2.Canny(blur, max(5, int(lo)), max(15, int(hi)))
            maps.append(cv2.dilate(edges, np.ones((3, 3), np.uint8)))
    # Bright regions: cards and pages are lighter than most desks.
    _, bright = cv2.threshold(cv2.GaussianBlur(grey, (7, 7), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    maps.append(cv2.morphologyEx(bright, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)))
    return maps


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    if len(hull) >= 4:  # rounded corners: the minimum-area rectangle of the region
        return cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
    return None


def _ratio_score(quad: np.ndarray) -> float:
    sides = [float(np.linalg.norm(quad[i] - quad[(i + 1) % 4])) for i in range(4)]
    a, b = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    ratio = max(a, b) / max(min(a, b), 1.0)
    best = min(abs(ratio - r) for r in DOC_RATIOS)
    return float(np.exp(-(best / 0.35) ** 2))  # perspective stretches a card's proportions


def _touches_edge(quad: np.ndarray, w: float, h: float, margin: float) -> bool:
    return bool(((quad[:, 0] <= margin) | (quad[:, 0] >= w - 1 - margin)
                 | (quad[:, 1] <= margin) | (quad[:, 1] >= h - 1 - margin)).any())


def find_document(image_bgr: np.ndarray) -> np.ndarray | None:
    """The document's four corners (4x2, photo pixels, clockwise from top left), or None."""
    h, w = image_bgr.shape[:2]
    scale = WORK_SIDE / max(h, w)
    small = cv2.resize(image_bgr, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    frame_area = float(sh * sw)
    best, best_score = None, 0.0
    contours = []
    for edges in _edge_maps(small):
        for k in (5, 13):  # a card's edge broken by holograms and glare needs the wider closing
            closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
            contours += cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]
    for c in contours:
        area = cv2.contourArea(cv2.convexHull(c))
        if area < 0.01 * frame_area:
            continue
        quad = _quad_of(c)
        if quad is None or not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
            continue
        quad_area = cv2.contourArea(quad)
        if quad_area < 0.01 * frame_area or quad_area > 0.98 * frame_area:
            continue
        fill = min(area / quad_area, quad_area / area)
        score = (quad_area / frame_area) ** 0.5 * fill ** 2 * _ratio_score(quad)
        if _touches_edge(quad, sw, sh, 2.0):
            score *= EDGE_PENALTY  # the frame itself, or scenery it cuts: a whole document first
        if score > best_score:
            best, best_score = quad, score
    if best is None or best_score < 0.15:
        return None
    return _order(best / scale)


def correct_perspective(image_bgr: np.ndarray, corners: np.ndarray, long_side: int = 1000) -> np.ndarray:
    """The document flattened: its corners warped to a rectangle of its own proportions, landscape."""
    quad = _order(np.asarray(corners, np.float32))
    top, right = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    bottom, left = np.linalg.norm(quad[2] - quad[3]), np.linalg.norm(quad[3] - quad[0])
    width, height = (top + bottom) / 2, (left + right) / 2
    if height > width:  # a card standing upright in the photo: lay it down
        quad = np.roll(quad, -1, axis=0)
        width, height = height, width
    scale = long_side / max(width, 1.0)
    out_w, out_h = long_side, max(1, int(round(height * scale)))
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(image_bgr, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _glare_share(flat: np.ndarray) -> float:
    """Share of the document in its largest blob of saturated, colourless pixels."""
    hsv = cv2.cvtColor(flat, cv2.COLOR_BGR2HSV)
    mask = ((hsv[..., 2] >= 250) & (hsv[..., 1] <= 40)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    largest = max((int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, count)), default=0)
    return largest / float(mask.size)


def assess_frame(image_bgr: np.ndarray, min_area_share: float = MIN_AREA_SHARE, edge_margin: float = EDGE_MARGIN,
                 min_sharpness: float = MIN_SHARPNESS, max_glare_share: float = MAX_GLARE_SHARE) -> FrameAssessment:
    """Whether the photo shows the whole document, big, sharp and without glare (see the module doc)."""
    h, w = image_bgr.shape[:2]
    corners = find_document(image_bgr)
    if corners is None:
        return FrameAssessment(None, 0.0, 0.0, 0.0, ("DOCUMENT_NOT_FOUND",))
    problems = []
    if _touches_edge(corners, w, h, edge_margin * min(w, h)):
        problems.append("PARTLY_OUT_OF_FRAME")
    area_share = float(cv2.contourArea(corners.astype(np.float32))) / float(h * w)
    if area_share < min_area_share:
        problems.append("TOO_SMALL")
    flat = correct_perspective(image_bgr, corners)
    # Sharpness where the camera saw it (a warp to 1000 px would blur a small card).
    inside = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inside, [corners.astype(np.int32)], 1)
    inside = cv2.erode(inside, np.ones((9, 9), np.uint8)).astype(bool)
    lap = cv2.Laplacian(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY), cv2.CV_64F)
    sharpness = float(lap[inside].var()) if inside.any() else 0.0
    if sharpness < min_sharpness:
        problems.append("BLURRED")
    glare = _glare_share(flat)
    if glare > max_glare_share:
        problems.append("GLARE")
    as_tuple = tuple((float(x), float(y)) for x, y in corners)
    return FrameAssessment(as_tuple, area_share, sharpness, glare, tuple(problems))
