"""Where the document is in a phone photo, and whether the photo is usable.

`find_document` looks for the card or page as a bright, four-cornered
region: edges (Canny at several thresholds, on grey and on the colour
channels that separate a pastel card from a desk) closed into contours,
each contour's convex hull simplified to a quadrilateral, scored by its
area, how fully the region fills that quadrilateral and how close its sides
come to a document's proportions. The four corners come back clockwise
from the top left of the document as it lies in the photo. On a cluttered desk
the contours may close the card with the clutter into a quadrilateral with a
side across the card's face; each side of the contours' best must therefore
lie on a straight edge of the photo (MIN_SIDE_SUPPORT; a side the frame cuts
counts as one), else quadrilaterals bounded by the photo's longest straight
edges (Hough) compete: all four sides on edges (LINE_QUAD_SUPPORT), holding
the contours' best (which is part of the document), scored alike.

`correct_perspective` warps those corners to a flat rectangle, so the MRZ
locator and the OCR see the document as a scanner would.

`assess_frame` says what a person should change before the photo is taken
(the same assessment gives the capture page its feedback and decides an
automatic capture): the document not found, partly out of the frame (a corner
within FRAME_MARGIN of its edge: the outline of a document the frame cuts
follows the frame, so the corner found lies on it, while a whole card may come
a few pixels near it), too small (too far), blurred (also when the Laplacian's variance, less the sensor noise's,
is small: MIN_SIGNAL_SHARPNESS), or with glare (a saturated, colourless blob) over
it, a blob wide enough to have wiped out what is printed under it (an
overexposed white page is not glare: its print stays). When no whole document
is found, or only a small rectangle, a document the frame cuts (_cut_document:
its outline open along one side or a corner of the frame, its other sides
straight and meeting at a corner of its own; sought among the edge contours and
the pale regions, which the frame closes where it cuts them, also cut apart along
straight edges: a card against blond hair or a white wall along a whole side) is told
PARTLY_OUT_OF_FRAME, not DOCUMENT_NOT_FOUND or TOO_SMALL; so is it when the
choice on straight edges is dark or coloured (a face) and that document pale;
and when such a choice is cut by the frame, a pale card on edges inside it is
the document. For the assessment, a quadrilateral along three
or four sides of the frame (the frame, or a picture in the scene) competes only
when nothing else is found, and a large one with a corner more than MAX_SKEW
from square is not taken for the document, nor a small one when the frame cuts
a document elsewhere (_cut_document). When find_document's choice has a
side on no straight edge (a face or a shadow closed into a quadrilateral), a
pale card-shaped region whose four sides all are (_card_on_edges, _pale) is the
document however small (also when nothing passed the score floor; a pale region
cut apart along straight edges only when large enough to be accepted; one too small
to be accepted with its proportions and shape judged loosely, SMALL_CARD_MIN_SHAPE, as is one that holds the
choice, of which the choice is a part; its sides
judged on fainter edges, its corners within MAX_SKEW of square, and not a pale
zone of a pale choice that holds it, unless that choice runs to the frame and the card, big
enough to be accepted, is held by no document the frame cuts): a far card was lost to the scenery behind it. Such a
choice that is itself dark or coloured is scenery: a document the frame cuts is
told so, else a small one stays TOO_SMALL and a large one is not the document. A choice little of which is pale
while the band around it is, that pale region reaching the frame without filling it round (_picture_on_cut_card:
a card's portrait, the card cut by the frame), is told PARTLY_OUT_OF_FRAME. A choice too small to be accepted that a
quadrilateral of the photo's straight edges holds, itself card-shaped, pale and large enough (_card_around: the card
around its portrait, its own outline merged with pale scenery), gives way to that card; a pale one whose sides are on
no straight edge, held by a pale strip at the frame (_zone_of_cut_card: a zone of a card the frame cuts), is told
PARTLY_OUT_OF_FRAME. A choice with a side on no straight edge that runs to the frame, or is large and dark, while
no pale card lies on the contours' edges, gives way to a pale card of the straight edges inside the frame, large
enough to be accepted, that no document the frame cuts holds (_card_around without a part to hold: a card over a
face whose outline against hair or a beard never closed). When nothing at all is found, a pale region on one to
three sides of the frame with a long straight side of its own (_pale_strip_at_frame: a strip of a card along the
frame's edge) is told so too.
Thresholds are arguments with documented defaults.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 640            # px: the long side the search works at
MIN_AREA_SHARE = 0.12      # of the frame: a smaller document is too far for its MRZ to be read
EDGE_MARGIN = 0.01         # of the work side: an outline's corner this close to the frame may be cut by it
FRAME_MARGIN = 0.004       # of the frame's short side: the document's corner this close to the edge is cut by it
MIN_SHARPNESS = 60.0       # variance of the Laplacian inside the document, at the photo's resolution
MIN_SIGNAL_SHARPNESS = 40.0  # that variance less the noise's (_laplacian_noise): a blurred card under noise has little
MAX_GLARE_SHARE = 0.04     # of the document: saturated colourless pixels in one blob
MIN_GLARE_RADIUS = 0.065   # of the document's long side: the widest disc of white with nothing printed in it
DOC_RATIOS = (1.42, 1.586)  # ID-3 passport page, ID-1 card (long / short side)
EDGE_PENALTY = 0.3         # a quadrilateral cut by the frame counts this much against a whole one
MIN_SIDE_SUPPORT = 0.6     # share of each side of the contours' quadrilateral on a straight edge
LINE_CANDIDATES = 30       # straight edges combined into quadrilaterals when the contours fail
LINE_QUAD_SUPPORT = 0.8    # share of each side of a straight-edge quadrilateral on an edge
MIN_LINE_QUAD_AREA = 0.04  # of the frame
MAX_SKEW = 35.0            # degrees: a corner of a document (assess_frame) at most this far from square
CUT_MIN_AREA = 0.03        # of the frame: the least of a document cut by the frame that is told so
CUT_MAX_AREA = 0.85        # of the frame: more is the scenery around the document, or the frame
CARD_MIN_SHAPE = 0.4       # a card (_card_on_edges): fill of its quadrilateral squared times the proportions' score
CARD_SIDE_SUPPORT = 0.7    # share of each of its sides on a straight edge
CARD_MAX_AREA = 0.6        # of the frame
SMALL_CARD_RATIO_TOLERANCE = 0.7  # _ratio_score's tolerance for a card too small to be accepted (0.35 else)
SMALL_CARD_MIN_SHAPE = 0.25  # CARD_MIN_SHAPE for such a card: a far card foreshortened past 2.5:1 is still one
CARD_MIN_GREY = 160        # median grey of a card (_pale): documents are printed on light stock
CARD_MAX_SATURATION = 60   # and its median saturation (HSV, 0-255): pale, not a portrait's colours
PALE_OPEN = 9              # px of the work image: pale scenery joined to the card by less is cut off
PALE_MIN_GREY = 150        # grey of a pixel of a pale region (_pale_contours): a card's stock, a little shaded
PICTURE_MAX_PALE = 0.7     # share of pale pixels inside a found quadrilateral below which it is no card's stock
PICTURE_MIN_PALE_RING = 0.6  # share of pale pixels in the band around it: it lies on a pale card
ENCLOSING_MIN_RATIO = 0.5  # _ratio_score of a card around a small choice (_card_around)
STRIP_MIN_SIDE = 0.25      # of the frame's short side: the straight side of a card's strip along the frame
PICTURE_RING = 0.08        # that band's width, a share of the quadrilateral's mean side


@dataclass(frozen=True)
class FrameAssessment:
    corners: tuple[tuple[float, float], ...] | None   # 4 corners in the photo, clockwise from top left
    area_share: float            # the document's share of the frame
    sharpness: float
    glare_share: float
    problems: tuple[str, ...]    # DOCUMENT_NOT_FOUND, PARTLY_OUT_OF_FRAME, TOO_SMALL, BLURRED, GLARE
    glare_radius: float = 0.0    # the widest disc of pure white on the document, a share of its long side

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


def _order_many(quads: np.ndarray) -> list[np.ndarray]:
    """_order of each quad of an N x 4 x 2 array at once: the same corners in the same order (thousands of
    Hough quads a camera frame, one numpy call each took most of a document camera frame's time)."""
    quads = np.asarray(quads, dtype=np.float32)
    if not len(quads):
        return []
    centre = quads.mean(axis=1, keepdims=True)
    angles = np.arctan2(quads[..., 1] - centre[..., 1], quads[..., 0] - centre[..., 0])
    quads = np.take_along_axis(quads, np.argsort(angles, axis=1)[..., None], axis=1)
    start = np.argmin(quads.sum(axis=2), axis=1)
    return list(np.take_along_axis(quads, ((np.arange(4)[None, :] + start[:, None]) % 4)[..., None], axis=1))


def _median(channel: np.ndarray, mask: np.ndarray | None = None) -> float:
    """np.median of a uint8 image (the mean of the two middle values when their count is even), or of its
    pixels where `mask` is set, from its histogram: the same value at a quarter of the cost."""
    counts = cv2.calcHist([channel], [0], mask, [256], [0, 256]).ravel().cumsum()
    n = int(counts[-1])
    lo = int(np.searchsorted(counts, (n - 1) // 2 + 1))
    hi = int(np.searchsorted(counts, n // 2 + 1))
    return (lo + hi) / 2


def _canny(dx: np.ndarray, dy: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return cv2.Canny(dx, dy, lo, hi)


def _gradients(blur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The derivatives cv2.Canny takes of an image (3x3 Sobel, 16 bits, replicated border): computed once
    for the several thresholds of one channel, the same edges."""
    return (cv2.Sobel(blur, cv2.CV_16S, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE),
            cv2.Sobel(blur, cv2.CV_16S, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE))


def _edge_maps(small: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The edge maps the contours are searched on, and the straight edges (Canny 30/90 on the blurred
    grey image) the sides of a quadrilateral must lie on."""
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    maps = []
    straight = None
    for channel in (grey, lab[..., 1], lab[..., 2], hsv[..., 1]):
        blur = cv2.GaussianBlur(channel, (5, 5), 0)
        med = _median(blur)
        dx, dy = _gradients(blur)
        for lo, hi in ((0.66 * med, 1.33 * med), (20, 60)):
            edges = _canny(dx, dy, max(5, int(lo)), max(15, int(hi)))
            maps.append(cv2.dilate(edges, np.ones((3, 3), np.uint8)))
        if straight is None:
            straight = _canny(dx, dy, 30, 90)
    # Bright regions: cards and pages are lighter than most desks.
    _, bright = cv2.threshold(cv2.GaussianBlur(grey, (7, 7), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    maps.append(cv2.morphologyEx(bright, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)))
    return maps, straight


def _quad_of(contour: np.ndarray, hull: np.ndarray | None = None) -> np.ndarray | None:
    hull = cv2.convexHull(contour) if hull is None else hull
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    if len(hull) >= 4:  # rounded corners: the minimum-area rectangle of the region
        return cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
    return None


def _ratio_score(quad: np.ndarray, tolerance: float = 0.35) -> float:
    sides = [float(np.linalg.norm(quad[i] - quad[(i + 1) % 4])) for i in range(4)]
    a, b = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    ratio = max(a, b) / max(min(a, b), 1.0)
    best = min(abs(ratio - r) for r in DOC_RATIOS)
    return float(np.exp(-(best / tolerance) ** 2))  # perspective stretches a card's proportions


def _touches_edge(quad: np.ndarray, w: float, h: float, margin: float) -> bool:
    return bool(((quad[:, 0] <= margin) | (quad[:, 0] >= w - 1 - margin)
                 | (quad[:, 1] <= margin) | (quad[:, 1] >= h - 1 - margin)).any())


def _side_shares(quads: np.ndarray, edges: np.ndarray, sides: slice | list[int], samples: int = 40) -> np.ndarray:
    """Per quadrilateral (N x 4 x 2) and per side asked for, the share of that side on an edge pixel."""
    h, w = edges.shape
    t = np.linspace(0.08, 0.92, samples, dtype=np.float32)[None, None, :, None]
    a = quads[:, sides, None, :]
    b = np.roll(quads, -1, axis=1)[:, sides, None, :]
    pts = np.rint(a + (b - a) * t).astype(np.int64)           # N x sides x samples x 2
    inside = (pts[..., 0] >= 0) & (pts[..., 0] < w) & (pts[..., 1] >= 0) & (pts[..., 1] < h)
    x, y = np.clip(pts[..., 0], 0, w - 1), np.clip(pts[..., 1], 0, h - 1)
    border = (x <= 2) | (x >= w - 3) | (y <= 2) | (y >= h - 3)   # a side the frame cuts has no edge there
    on = ((edges[y, x] > 0) | border) & inside
    return on.mean(axis=2)


def _side_support(quads: np.ndarray, edges: np.ndarray, samples: int = 40) -> np.ndarray:
    """Per quadrilateral (N x 4 x 2), the smallest share of one of its sides that lies on an edge
    pixel: a card's four sides are all edges, a quadrilateral closed across the card's face or
    the desk has a side that is not. The ends of each side are left out (rounded corners)."""
    quads = np.asarray(quads, np.float32).reshape(-1, 4, 2)
    return _side_shares(quads, edges, slice(None), samples).min(axis=1)


def _side_support_over(quads: np.ndarray, edges: np.ndarray, minimum: float) -> np.ndarray:
    """_side_support where it is at least `minimum`, 0 elsewhere: side by side, each on the
    quadrilaterals whose earlier sides all held (the thousands of Hough quadrilaterals of a frame,
    most of which fail on their first side, at a fraction of the cost)."""
    quads = np.asarray(quads, np.float32).reshape(-1, 4, 2)
    out = np.zeros(len(quads))
    alive = np.arange(len(quads))
    least = np.full(len(quads), np.inf)
    for side in range(4):
        if not len(alive):
            break
        share = _side_shares(quads[alive], edges, [side])[:, 0]
        least[alive] = np.minimum(least[alive], share)
        alive = alive[share >= minimum]
    out[alive] = least[alive]
    return out


def _holds(outer: np.ndarray, inner: np.ndarray, share: float = 0.85) -> bool:
    """Whether `outer` covers at least `share` of `inner` (convex quadrilaterals)."""
    inner_area = cv2.contourArea(inner.astype(np.float32))
    if inner_area <= 0:
        return True
    common, _ = cv2.intersectConvexConvex(outer.astype(np.float32), inner.astype(np.float32))
    return common >= share * inner_area


def _line_quads(edges: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals bounded by the longest straight edges (Hough), two roughly parallel
    pairs crossing each other: a card whose outline the clutter around it never closes."""
    h, w = edges.shape
    segs = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=40, minLineLength=int(0.12 * min(h, w)), maxLineGap=8)
    if segs is None:
        return []
    # angle (0..pi), rho, length of each merged line; a segment joins the first line it continues
    # (the same straight edge, broken: its length added up), else starts one
    n = 0
    line_a, line_r, line_len = np.zeros(len(segs)), np.zeros(len(segs)), np.zeros(len(segs))
    for x1, y1, x2, y2 in segs[:, 0, :].astype(float):
        angle = float(np.arctan2(y2 - y1, x2 - x1)) % np.pi
        nx, ny = -np.sin(angle), np.cos(angle)
        rho = x1 * nx + y1 * ny
        length = float(np.hypot(x2 - x1, y2 - y1))
        off = np.abs(line_a[:n] - angle)
        da = np.minimum(off, np.pi - off)
        same_rho = np.where(off < np.pi / 2, np.abs(line_r[:n] - rho), np.abs(line_r[:n] + rho))
        hit = np.flatnonzero((da < np.radians(3)) & (same_rho < 6))
        if len(hit):
            line_len[hit[0]] += length
        else:
            line_a[n], line_r[n], line_len[n] = angle, rho, length
            n += 1
    lines = [(float(a), float(r), float(t)) for a, r, t in zip(line_a[:n], line_r[:n], line_len[:n])]
    lines = sorted(lines, key=lambda t: -t[2])[:LINE_CANDIDATES]
    if len(lines) < 4:
        return []
    ang = np.array([a for a, _, _ in lines])
    rho = np.array([r for _, r, _ in lines])
    diff = np.abs(ang[:, None] - ang[None, :])
    apart = np.minimum(diff, np.pi - diff)
    i, j = np.nonzero(np.triu(apart < np.radians(25), 1))            # roughly parallel pairs
    if len(i) < 2:
        return []
    p, q = np.triu_indices(len(i), 1)                                # two pairs, each combination once
    a, b, c, d = i[p], j[p], i[q], j[q]
    keep = (apart[a, c] >= np.radians(50)) & (a != c) & (a != d) & (b != c) & (b != d)
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    if not len(a):
        return []

    def meet(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
        n1x, n1y, n2x, n2y = -np.sin(ang[l1]), np.cos(ang[l1]), -np.sin(ang[l2]), np.cos(ang[l2])
        det = n1x * n2y - n1y * n2x
        det = np.where(np.abs(det) < 1e-3, np.nan, det)
        return np.stack([(rho[l1] * n2y - rho[l2] * n1y) / det, (n1x * rho[l2] - n2x * rho[l1]) / det], axis=-1)

    quads = np.stack([meet(a, c), meet(c, b), meet(b, d), meet(d, a)], axis=1)   # N x 4 x 2
    ok = np.isfinite(quads).all(axis=(1, 2))
    ok &= (quads[..., 0] >= -0.05 * w).all(axis=1) & (quads[..., 0] <= 1.05 * w).all(axis=1)
    ok &= (quads[..., 1] >= -0.05 * h).all(axis=1) & (quads[..., 1] <= 1.05 * h).all(axis=1)
    quads = quads[ok]
    # Convex: the cross products of consecutive sides all have one sign.
    e1 = np.roll(quads, -1, axis=1) - quads
    e2 = np.roll(quads, -2, axis=1) - np.roll(quads, -1, axis=1)
    cross = e1[..., 0] * e2[..., 1] - e1[..., 1] * e2[..., 0]
    quads = quads[(cross > 0).all(axis=1) | (cross < 0).all(axis=1)]
    return _order_many(quads)


def find_document(image_bgr: np.ndarray) -> np.ndarray | None:
    """The document's four corners (4x2, photo pixels, clockwise from top left), or None.

    The best-scored quadrilateral of the contours, as long as each of its sides lies on an
    edge (MIN_SIDE_SUPPORT); else quadrilaterals bounded by the photo's longest straight edges
    compete too, scored alike and weighed by how well their sides lie on edges."""
    return _find(image_bgr)[0]


def _skew(quad: np.ndarray) -> float:
    """How far (degrees) the quadrilateral's least square corner is from a right angle."""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    u, v = np.roll(q, 1, axis=0) - q, np.roll(q, -1, axis=0) - q
    cos = (u * v).sum(axis=1) / np.maximum(np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1), 1e-9)
    return float(np.abs(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) - 90.0).max())


def _borders_touched(quad: np.ndarray, w: float, h: float, margin: float) -> int:
    """How many sides of the frame (of 4) a corner of the quadrilateral lies on."""
    return int((quad[:, 0] <= margin).any()) + int((quad[:, 0] >= w - 1 - margin).any()) \
        + int((quad[:, 1] <= margin).any()) + int((quad[:, 1] >= h - 1 - margin).any())


@dataclass
class _Search:
    """What find_document worked on, for a second look (_cut_document) without redoing it."""
    scale: float
    size: tuple[int, int]          # the work image's width and height
    contours: list
    support_map: np.ndarray
    spanning: np.ndarray | None = None   # the best quadrilateral along three or four sides of the frame
    how: str = ""                  # "contours", "lines" or "unsupported" (the contours' best, a side on no edge)
    small: np.ndarray | None = None      # the work image
    pale_memo: tuple | None = None       # _pale_contours (joined, separated), computed when first asked
    pale: np.ndarray | None = None       # _pale_pixels, computed when first asked
    faint: np.ndarray | None = None      # _faint_edges, computed when first asked
    straight: np.ndarray | None = None   # the straight-edge map (Canny 30/90) _line_quads works on
    line_quads: list | None = None       # _line_quads(straight), computed when first asked


def _pale_pixels(search: _Search) -> np.ndarray:
    """1 where the work image is pale and colourless, a card's stock (grey >= PALE_MIN_GREY, saturation
    <= CARD_MAX_SATURATION), computed once: _pale_contours and _picture_on_cut_card both start from it."""
    if search.pale is None:
        grey = cv2.cvtColor(search.small, cv2.COLOR_BGR2GRAY)
        saturation = cv2.cvtColor(search.small, cv2.COLOR_BGR2HSV)[..., 1]
        search.pale = ((grey >= PALE_MIN_GREY) & (saturation <= CARD_MAX_SATURATION)).astype(np.uint8)
    return search.pale


def _pale_contours(search: _Search, separated: bool = False) -> list:
    """The outlines of the pale, colourless regions of the work image (grey >= PALE_MIN_GREY, saturation
    <= CARD_MAX_SATURATION, the print closed over), computed once. A region is closed along the frame
    where the frame cuts it: a document the frame cuts has an edge line open at the frame, whose hull
    crosses the card's face, while its pale region follows the frame. With `separated`, then also the pale
    regions cut apart along the straight edges (the support map, thinned; each region grown back onto its
    edge, and at least 0.5% of the frame): a card against pale scenery along a whole side (blond hair, a
    white wall), which the opening does not cut off, joins it into one region whose hull is neither."""
    if search.pale_memo is None:
        search.pale_memo = ([], [])
        if search.small is not None:
            pale = cv2.morphologyEx(_pale_pixels(search), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
            # thin bridges to pale scenery cut (a white collar or wall touching the card's outline)
            pale = cv2.morphologyEx(pale, cv2.MORPH_OPEN, np.ones((PALE_OPEN, PALE_OPEN), np.uint8))
            joined = list(cv2.findContours(pale, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0])
            band = cv2.erode(search.support_map, np.ones((3, 3), np.uint8))  # the edges, 3 px wide
            apart = cv2.dilate(pale & (band == 0).astype(np.uint8), np.ones((3, 3), np.uint8))
            search.pale_memo = (joined, [c for c in cv2.findContours(apart, cv2.RETR_EXTERNAL,
                                                                     cv2.CHAIN_APPROX_SIMPLE)[0]
                                         if cv2.contourArea(c) >= 0.005 * pale.size])
    return search.pale_memo[0] + (search.pale_memo[1] if separated else [])


def _find(image_bgr: np.ndarray, set_aside_spanning: bool = False) -> tuple[np.ndarray | None, _Search]:
    """find_document's corners, and what it searched. set_aside_spanning (assess_frame): a quadrilateral
    along three or four sides of the frame competes only when nothing else is found (search.spanning):
    its sides on the frame pass the side support as edges, so the frame, or a picture in the scene
    that the frame cuts, was taken over a whole card inside it (usable photos refused as partly out
    of frame, far ones as well). find_document (the MRZ reader's second attempt) keeps it in."""
    h, w = image_bgr.shape[:2]
    scale = WORK_SIDE / max(h, w)
    small = cv2.resize(image_bgr, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    frame_area = float(sh * sw)
    best, best_score = None, 0.0
    spanning, spanning_score = None, 0.0
    contours = []
    maps, straight = _edge_maps(small)
    for edges in maps:
        for k in (5, 13):  # a card's edge broken by holograms and glare needs the wider closing
            closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
            contours += cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]
    for c in contours:
        _, _, bw, bh = cv2.boundingRect(c)
        if bw * bh < 0.01 * frame_area:
            continue  # its hull is smaller still (most contours: the bounding box is the cheaper test)
        hull = cv2.convexHull(c)
        area = cv2.contourArea(hull)
        if area < 0.01 * frame_area:
            continue
        quad = _quad_of(c, hull)
        if quad is None or not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
            continue
        quad_area = cv2.contourArea(quad)
        if quad_area < 0.01 * frame_area or quad_area > 0.98 * frame_area:
            continue
        fill = min(area / quad_area, quad_area / area)
        score = (quad_area / frame_area) ** 0.5 * fill ** 2 * _ratio_score(quad)
        if _touches_edge(quad, sw, sh, 2.0):
            score *= EDGE_PENALTY  # the frame itself, or scenery it cuts: a whole document first
            if set_aside_spanning and _borders_touched(quad, sw, sh, 2.0) >= 3:
                # Along three or four sides of the frame: the frame itself or the scenery across it,
                # whose sides on the frame count as edges; only when nothing else is found.
                if score > spanning_score:
                    spanning, spanning_score = quad, score
                continue
        if score > best_score:
            best, best_score = quad, score
    if best is not None and best_score < 0.15:
        best = None
    if spanning is not None and spanning_score < 0.15:
        spanning = None
    # A quadrilateral whose every side lies on a straight edge of the photo (Canny, within 2 px):
    # when the contours' best has a side across the card's face or the desk, quadrilaterals
    # bounded by the photo's longest straight edges compete, each score weighed by that support.
    support_map = cv2.dilate(straight, np.ones((5, 5), np.uint8))
    search = _Search(scale, (sw, sh), contours, support_map,
                     _order(spanning / scale) if spanning is not None else None, small=small, straight=straight)
    if best is not None and float(_side_support(best, support_map)[0]) >= MIN_SIDE_SUPPORT:
        search.how = "contours"
        return _order(best / scale), search
    quads = search.line_quads = _line_quads(straight)
    if quads:
        stack = np.array(quads, np.float32)
        supports = _side_support_over(stack, support_map, LINE_QUAD_SUPPORT)
        chosen, chosen_score = None, 0.0
        for quad, support in zip(stack, supports):
            if support < LINE_QUAD_SUPPORT:
                continue
            quad_area = cv2.contourArea(quad)
            if quad_area < MIN_LINE_QUAD_AREA * frame_area or quad_area > 0.98 * frame_area:
                continue
            if best is not None and not _holds(quad, best):
                continue  # the contours' best is part of the document: the document holds it
            score = (quad_area / frame_area) ** 0.5 * _ratio_score(quad) * float(support) ** 2
            if _touches_edge(quad, sw, sh, 2.0):
                score *= EDGE_PENALTY
                if set_aside_spanning and _borders_touched(quad, sw, sh, 2.0) >= 3:
                    continue
            if score > chosen_score:
                chosen, chosen_score = quad, score
        if chosen is not None and chosen_score >= 0.15:
            search.how = "lines"
            return _order(chosen / scale), search
    search.how = "unsupported" if best is not None else ""
    return (_order(best / scale) if best is not None else None), search


_SAMPLES_40 = np.linspace(0.08, 0.92, 40, dtype=np.float32)[:, None]


def _segment_support(a: np.ndarray, b: np.ndarray, edges: np.ndarray, samples: int = 40) -> float:
    """Share of the segment a-b (its ends left out) on an edge pixel."""
    h, w = edges.shape
    t = _SAMPLES_40 if samples == 40 else np.linspace(0.08, 0.92, samples, dtype=np.float32)[:, None]
    pts = np.rint(a + (b - a) * t).astype(np.int64)
    x, y = np.clip(pts[:, 0], 0, w - 1), np.clip(pts[:, 1], 0, h - 1)
    return float((edges[y, x] > 0).mean())


def _cut_outline(approx: np.ndarray, search: _Search, near: float = EDGE_MARGIN * WORK_SIDE) -> bool:
    """Whether a region's outline (a polygon, work-image pixels) is a document the frame cuts: cut by one
    side of the frame or two that meet, its other sides straight edges meeting at about right angles."""
    sw, sh = search.size
    poly = approx.reshape(-1, 2).astype(np.float32)
    if not 3 <= len(poly) <= 6:
        return False
    # per corner, the sides of the frame it lies on, bits 0-3: left top right bottom (plain Python: a few
    # corners, thousands of outlines)
    borders = [(x <= near) | (y <= near) << 1 | (x >= sw - 1 - near) << 2 | (y >= sh - 1 - near) << 3
               for x, y in poly.tolist()]
    cut = set()
    card_sides = []
    for i in range(len(poly)):
        j = (i + 1) % len(poly)
        on = borders[i] & borders[j]
        if on:
            cut.add((on & -on).bit_length() - 1)  # the first side of the frame both corners lie on
        else:
            card_sides.append((i, j))
    if not 1 <= len(cut) <= 2 or cut in ({0, 2}, {1, 3}) or not 2 <= len(card_sides) <= 4:
        return False  # one side of the frame or a corner of it: across the frame is the scenery's
    longest = 0.0
    for i, j in card_sides:
        longest = max(longest, float(np.linalg.norm(poly[j] - poly[i])))
        if _segment_support(poly[i], poly[j], search.support_map) < MIN_SIDE_SUPPORT:
            return False
    if longest < 0.15 * min(sw, sh):
        return False
    card_corners = 0
    for (i, j), (k, m) in zip(card_sides, card_sides[1:] + card_sides[:1]):
        if j != k:
            continue  # the two sides do not meet: a cut side runs between them
        u, v = poly[j] - poly[i], poly[m] - poly[k]
        cos = abs(float(np.dot(u, v))) / max(float(np.linalg.norm(u) * np.linalg.norm(v)), 1e-6)
        if cos > np.cos(np.radians(55)):  # the corner is not within 90 +- 35 degrees
            return False
        card_corners += 1
    return card_corners > 0  # at least one of the document's corners in the photo


def _without_a_bump(approx: np.ndarray) -> list[np.ndarray]:
    """The outline, then (5 or 6 corners) the outline with each corner left out in turn: pale scenery against
    the card's side makes a corner of its own, and the card's side runs past it."""
    poly = approx.reshape(-1, 2)
    if not 5 <= len(poly) <= 6:
        return [poly]
    return [poly] + [np.delete(poly, i, axis=0) for i in range(len(poly))]


def _cut_document(search: _Search, holding: np.ndarray | None = None) -> np.ndarray | None:
    """The part of a document the frame cuts that the photo shows (4 corners, photo pixels), or None.

    A region of the contours find_document searched, convex, cut by one or two sides of the frame
    (scenery, or the frame itself, runs along three or four), whose other sides are the document's:
    straight edges (MIN_SIDE_SUPPORT of each on the straight-edge map) meeting at about right angles
    (a card's corners, leaning in perspective). With `holding` (work-image pixels), only a region
    that holds that quadrilateral: a whole rectangle found inside the card, such as its portrait."""
    sw, sh = search.size
    frame_area = float(sw * sh)
    near = EDGE_MARGIN * WORK_SIDE
    best, best_score = None, 0.0
    verdicts: dict[bytes, bool] = {}

    def judged(outline: np.ndarray) -> bool:  # _cut_outline, once per outline (the edge maps repeat them)
        key = outline.tobytes()
        if key not in verdicts:
            verdicts[key] = _cut_outline(outline, search)
        return verdicts[key]

    for c in search.contours + _pale_contours(search, True):
        _, _, bw, bh = cv2.boundingRect(c)
        if bw * bh < CUT_MIN_AREA * frame_area:
            continue
        hull = cv2.convexHull(c)
        area = cv2.contourArea(hull)
        if not CUT_MIN_AREA * frame_area <= area <= CUT_MAX_AREA * frame_area:
            continue
        pts = hull.reshape(-1, 2)
        if not ((pts.min(axis=0) <= near).any() or (pts[:, 0] >= sw - 1 - near).any()
                or (pts[:, 1] >= sh - 1 - near).any()):
            continue  # no corner of its outline on the frame (the outlines' corners are the hull's): not cut
        # outlines finer and coarser also: a short stretch along the frame (a corner just out of it) kept,
        # or a bump of scenery on the card's side (a pale region) left out
        if not any(judged(outline) for eps in (0.01, 0.02, 0.04)
                   for outline in _without_a_bump(cv2.approxPolyDP(hull, eps * cv2.arcLength(hull, True), True))):
            continue
        quad = _quad_of(c, hull)
        if quad is None:
            continue
        if holding is not None and not _holds(hull.reshape(-1, 2), holding):
            continue
        score = area / frame_area
        if score > best_score:
            best, best_score = quad, score
    return _order(best / search.scale) if best is not None else None


def _pale_strip_at_frame(search: _Search, min_side: float = STRIP_MIN_SIDE) -> np.ndarray | None:
    """A pale region the frame cuts (4 corners of its quadrilateral, photo pixels), or None: on one to three
    sides of the frame, CUT_MIN_AREA to CUT_MAX_AREA of it, with a straight side of its own inside the frame
    (at least `min_side` of the frame's short side, MIN_SIDE_SUPPORT of it on an edge). For a photo in which
    no document was found: the strip of a card along the frame's edge (its other sides not a card's corner,
    which _cut_document asks for) is a document partly out of the frame, not none."""
    sw, sh = search.size
    frame_area = float(sw * sh)
    near = EDGE_MARGIN * WORK_SIDE
    best, best_area = None, 0.0
    for c in _pale_contours(search, True):
        hull = cv2.convexHull(c)
        area = cv2.contourArea(hull)
        if not CUT_MIN_AREA * frame_area <= area <= CUT_MAX_AREA * frame_area or area <= best_area:
            continue
        poly = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2).astype(np.float32)
        borders = [(x <= near) | (y <= near) << 1 | (x >= sw - 1 - near) << 2 | (y >= sh - 1 - near) << 3
                   for x, y in poly.tolist()]
        touched = 0
        for b in borders:
            touched |= b
        if not 1 <= bin(touched).count("1") <= 3:
            continue  # not at the frame, or scenery around the whole frame
        straight = False
        for i in range(len(poly)):
            j = (i + 1) % len(poly)
            if borders[i] & borders[j]:
                continue  # along the frame
            if float(np.linalg.norm(poly[j] - poly[i])) >= min_side * min(sw, sh) \
                    and _segment_support(poly[i], poly[j], search.support_map) >= MIN_SIDE_SUPPORT:
                straight = True
                break
        quad = _quad_of(c, hull) if straight else None
        if quad is not None:
            best, best_area = quad, area
    return _order(best / search.scale) if best is not None else None


def _zone_of_cut_card(search: _Search, image_bgr: np.ndarray, corners: np.ndarray,
                      min_support: float = MIN_SIDE_SUPPORT) -> np.ndarray | None:
    """The strip of a card the frame cuts (_pale_strip_at_frame, photo pixels) of which the small quadrilateral
    (photo pixels) is a pale zone, its sides not on the straight edges (less than `min_support` of one: not a
    card's outline, a zone between a cut card's printed lines or its pattern), or None. A cut card's zone was
    taken for a far card and told TOO_SMALL; a far card on pale scenery has its own outline."""
    if float(_side_support(np.asarray(corners, np.float32) * search.scale, search.support_map)[0]) >= min_support \
            or not _pale(image_bgr, corners):
        return None
    strip = _pale_strip_at_frame(search)
    return strip if strip is not None and _holds(strip, corners) else None


def _card_on_edges(search: _Search, min_shape: float = CARD_MIN_SHAPE, min_support: float = CARD_SIDE_SUPPORT,
                   max_area: float = CARD_MAX_AREA, support_map: np.ndarray | None = None,
                   small_area: float = MIN_AREA_SHARE, holding: np.ndarray | None = None,
                   small_min_shape: float = SMALL_CARD_MIN_SHAPE) -> np.ndarray | None:
    """A region of the contours shaped like a card (fill of its quadrilateral squared times the proportions'
    score at least `min_shape`) whose four sides all lie on straight edges (`min_support`), inside the frame,
    1% to `max_area` of it, however small (4 corners, photo pixels), or None. For assess_frame when
    find_document's choice has a side on no edge: the score favours size, so a card far from the camera
    (2-5% of the frame) lost to a face or a shadow behind it (an oval closed into a quadrilateral across
    skin), which was then accepted as the document or refused for the wrong reason. With `holding` (work-image
    pixels), only a card that holds that quadrilateral, its proportions judged loosely whatever its size: the
    choice with a side on no edge is a part of it (a blurred card's portrait and a strip of its face)."""
    sw, sh = search.size
    frame_area = float(sw * sh)
    best, best_score = None, 0.0
    joined = search.contours + _pale_contours(search)
    # The pale regions cut apart along straight edges only for a card large enough to be accepted: a zone of a
    # cut card between its printed lines, or a patch of a white shirt, is card-shaped too, and told TOO_SMALL.
    for k, c in enumerate(joined + search.pale_memo[1]):
        _, _, bw, bh = cv2.boundingRect(c)
        least = 0.01 if k < len(joined) else small_area
        if bw * bh < least * frame_area:
            continue
        hull = cv2.convexHull(c)
        area = cv2.contourArea(hull)
        if area < 0.01 * frame_area:
            continue
        quad = _quad_of(c, hull)
        if quad is None:
            continue
        quad_area = cv2.contourArea(quad)
        if not least * frame_area <= quad_area <= max_area * frame_area or _touches_edge(quad, sw, sh, 2.0) \
                or _skew(quad) > MAX_SKEW:
            continue
        fill = min(area / quad_area, quad_area / area)
        # A card smaller than small_area can only be refused as too small: its proportions, leaning in
        # perspective, are judged loosely, and its shape against small_min_shape (another small pale
        # rectangle is refused alike).
        loose = quad_area < small_area * frame_area or holding is not None
        shape = fill ** 2 * _ratio_score(quad, SMALL_CARD_RATIO_TOLERANCE if loose else 0.35)
        least_shape = small_min_shape if quad_area < small_area * frame_area else min_shape
        if shape < least_shape or shape <= best_score or (holding is not None and not _holds(quad, holding)):
            continue
        support = float(_side_support(quad, search.support_map if support_map is None else support_map)[0])
        if support >= min_support and shape * support > best_score:
            best, best_score = quad, shape * support
    return _order(best / search.scale) if best is not None else None


def _card_around(search: _Search, image_bgr: np.ndarray, inner: np.ndarray | None, min_area: float = MIN_AREA_SHARE,
                 min_ratio: float = ENCLOSING_MIN_RATIO) -> np.ndarray | None:
    """A whole card around a small quadrilateral (photo pixels) that is a part of it (4 corners, photo pixels),
    or None; with `inner` None, any such card: a quadrilateral of the photo's longest straight edges (Hough) that
    holds it, each side on an edge (LINE_QUAD_SUPPORT), inside the frame, `min_area` of it at least, a document's proportions (_ratio_score
    at least `min_ratio`), its corners within MAX_SKEW of square, and pale. The card's own outline merged
    with scenery as pale as it (a face, a white shirt) while its portrait's closed: the portrait was taken
    for a card too far away."""
    if search.straight is None:
        return None
    if search.line_quads is None:
        search.line_quads = _line_quads(search.straight)
    if not search.line_quads:
        return None
    sw, sh = search.size
    frame_area = float(sw * sh)
    held = None if inner is None else np.asarray(inner, np.float32) * search.scale
    stack = np.array(search.line_quads, np.float32)
    supports = _side_support_over(stack, search.support_map, LINE_QUAD_SUPPORT)
    best, best_score = None, 0.0
    for quad, support in zip(stack, supports):
        if support < LINE_QUAD_SUPPORT:
            continue
        quad_area = cv2.contourArea(quad)
        if not min_area * frame_area <= quad_area <= CARD_MAX_AREA * frame_area \
                or _touches_edge(quad, sw, sh, 2.0) or _skew(quad) > MAX_SKEW:
            continue
        ratio = _ratio_score(quad)
        score = (quad_area / frame_area) ** 0.5 * ratio * float(support) ** 2
        if ratio < min_ratio or score <= best_score or (held is not None and not _holds(quad, held)) \
                or not _pale(image_bgr, quad / search.scale):
            continue
        best, best_score = quad, score
    return _order(best / search.scale) if best is not None else None


def _faint_edges(search: _Search, lo: int = 15, hi: int = 45) -> np.ndarray:
    """The straight-edge map at lower thresholds (Canny 15/45 on the blurred grey work image, dilated as the
    support map), computed once: a pale card on a pale face or wall has a faint outline."""
    if search.faint is None:
        grey = cv2.cvtColor(search.small, cv2.COLOR_BGR2GRAY)
        edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), lo, hi)
        search.faint = cv2.dilate(edges, np.ones((5, 5), np.uint8))
    return search.faint


def _picture_on_cut_card(search: _Search, corners: np.ndarray, max_pale: float = PICTURE_MAX_PALE,
                         min_pale_ring: float = PICTURE_MIN_PALE_RING, ring: float = PICTURE_RING) -> bool:
    """Whether the quadrilateral (photo pixels) is a picture printed on a card the frame cuts, not a document:
    little of it pale (a portrait, not the light stock documents are printed on) while the band around it is
    pale, and the pale region of that band ends inside the frame on one side at least (an object the frame
    cuts, not a white desk around the whole photo) and reaches the frame's edge. A card's portrait, framed by
    straight edges, was taken for the whole card the frame cuts, and accepted."""
    small = search.small
    if small is None:
        return False
    sh, sw = small.shape[:2]
    quad = np.rint(np.asarray(corners, np.float32) * search.scale).astype(np.int32)
    pale = _pale_pixels(search)
    inside = np.zeros((sh, sw), np.uint8)
    cv2.fillPoly(inside, [quad], 1)
    core = cv2.erode(inside, np.ones((7, 7), np.uint8))  # its outline (and the edge between) left out
    if not core.any() or pale[core > 0].mean() >= max_pale:
        return False
    width = 2 * max(3, int(ring * np.sqrt(cv2.contourArea(quad.astype(np.float32))))) + 1
    band = (cv2.dilate(inside, np.ones((width, width), np.uint8)) > 0) \
        & (cv2.dilate(inside, np.ones((7, 7), np.uint8)) == 0)
    if not band.any() or pale[band].mean() < min_pale_ring:
        return False
    pale = cv2.morphologyEx(pale, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))  # the print closed over
    _, labels = cv2.connectedComponents(pale)
    around = np.bincount(labels[band & (pale > 0)], minlength=1)
    around[0] = 0
    if not around.any():
        return False
    ys, xs = np.nonzero(labels == int(np.argmax(around)))
    sides = int(xs.min() == 0) + int(ys.min() == 0) + int(xs.max() == sw - 1) + int(ys.max() == sh - 1)
    return 1 <= sides <= 3


def _pale(image_bgr: np.ndarray, quad: np.ndarray, min_grey: float = CARD_MIN_GREY,
          max_saturation: float = CARD_MAX_SATURATION) -> bool:
    """Whether the quadrilateral (photo pixels) is as light and colourless as the stock documents are printed
    on (its median grey and median saturation): a card, not the portrait printed on one (dark, or coloured)."""
    h, w = image_bgr.shape[:2]
    poly = np.asarray(quad, np.float32).astype(np.int32)
    x0, y0 = max(0, int(poly[:, 0].min())), max(0, int(poly[:, 1].min()))
    x1, y1 = min(w, int(poly[:, 0].max()) + 1), min(h, int(poly[:, 1].max()) + 1)
    if x1 <= x0 or y1 <= y0:
        return False
    crop = image_bgr[y0:y1, x0:x1]
    inside = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(inside, [poly - np.array([x0, y0], np.int32)], 255)
    if not inside.any():
        return False
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    saturation = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)[..., 1]
    return _median(grey, inside) >= min_grey and _median(saturation, inside) <= max_saturation


def correct_perspective(image_bgr: np.ndarray, corners: np.ndarray, long_side: int = 1000,
                        margin: float = 0.0) -> np.ndarray:
    """The document flattened: its corners warped to a rectangle of its own proportions, landscape,
    with `margin` (a share of each side) of the photo kept around it: a corner found a little
    inside the card (a hand over its edge) must not cut off the text along that edge."""
    quad = _order(np.asarray(corners, np.float32))
    top, right = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    bottom, left = np.linalg.norm(quad[2] - quad[3]), np.linalg.norm(quad[3] - quad[0])
    width, height = (top + bottom) / 2, (left + right) / 2
    if height > width:  # a card standing upright in the photo: lay it down
        quad = np.roll(quad, -1, axis=0)
        width, height = height, width
    scale = long_side / max(width, 1.0)
    out_w, out_h = long_side, max(1, int(round(height * scale)))
    mx, my = int(round(margin * out_w)), int(round(margin * out_h))
    target = np.array([[mx, my], [mx + out_w - 1, my], [mx + out_w - 1, my + out_h - 1], [mx, my + out_h - 1]],
                      np.float32)
    out_w, out_h = out_w + 2 * mx, out_h + 2 * my
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(image_bgr, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _may_glare(image_bgr: np.ndarray, corners: np.ndarray) -> bool:
    """Whether any pixel the flattened document is made of reaches 250: a glare pixel's brightest
    channel does, and a bilinear warp never exceeds its brightest source pixel. Else the glare is 0
    without warping (most frames: the warp and its blobs were a tenth of a frame's time)."""
    h, w = image_bgr.shape[:2]
    x0, y0 = max(0, int(np.floor(corners[:, 0].min())) - 2), max(0, int(np.floor(corners[:, 1].min())) - 2)
    x1, y1 = min(w, int(np.ceil(corners[:, 0].max())) + 3), min(h, int(np.ceil(corners[:, 1].max())) + 3)
    if x1 <= x0 or y1 <= y0:
        return True  # corners all outside the photo: the warp replicates its border; decide as before
    return bool(image_bgr[y0:y1, x0:x1].max() >= 250)


def _glare_share(flat: np.ndarray) -> float:
    """Share of the document in its largest blob of saturated, colourless pixels."""
    hsv = cv2.cvtColor(flat, cv2.COLOR_BGR2HSV)
    mask = cv2.inRange(hsv, (0, 0, 250), (255, 40, 255))  # V >= 250 and S <= 40, any hue, in one pass
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    # The blobs are labelled within the box of the mask's pixels only (the same blobs), by the block-based
    # algorithm (Grana's), about a third cheaper on a 1000-px page than the default.
    x, y, bw, bh = cv2.boundingRect(mask)
    if bw == 0 or bh == 0:
        return 0.0
    count, _, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask[y:y + bh, x:x + bw], 8, cv2.CV_32S,
                                                                       cv2.CCL_GRANA)
    largest = max((int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, count)), default=0)
    return largest / float(mask.size)


def _glare_radius(flat: np.ndarray, side: int = 250) -> float:
    """The radius of the widest disc of the flattened document in which every pixel is pure white
    (each channel >= 250 at a quarter of the 1000-px page: the noise averaged out), as a share of the
    document's long side. Glare wipes out what is printed under it, a round patch with nothing in it;
    a white page that the exposure saturates keeps its print, its pattern and its text, and its blank
    stretches between them are narrow: its saturated pixels make one blob as wide as the page
    (glare_share), but no wide disc."""
    h, w = flat.shape[:2]
    scale = side / float(max(h, w))
    small = cv2.resize(flat, (max(1, int(round(w * scale))), max(1, int(round(h * scale)))),
                       interpolation=cv2.INTER_AREA)
    white = (small.min(axis=2) >= 250).astype(np.uint8)
    if not white.any():
        return 0.0
    # padded with non-white: the document's outline bounds the disc
    dist = cv2.distanceTransform(np.pad(white, 1), cv2.DIST_L2, 5)
    return float(dist.max()) / float(max(small.shape[:2]))


def _laplacian_noise(lap: np.ndarray, inside: np.ndarray) -> float:
    """The variance the sensor's noise gives the Laplacian where `inside` is set: the square of 1.4826 times the
    median of its absolute value (a card's flat stock is most of it, its print's edges the tail; the median of the
    Laplacian itself is about 0), from a histogram."""
    magnitude = cv2.convertScaleAbs(lap)  # |Laplacian|, saturated at 255 (the median is far below)
    return (1.4826 * _median(magnitude, inside)) ** 2


def assess_frame(image_bgr: np.ndarray, min_area_share: float = MIN_AREA_SHARE, edge_margin: float = FRAME_MARGIN,
                 min_sharpness: float = MIN_SHARPNESS, max_glare_share: float = MAX_GLARE_SHARE,
                 with_glare: bool = True, min_glare_radius: float = MIN_GLARE_RADIUS,
                 min_signal_sharpness: float = MIN_SIGNAL_SHARPNESS) -> FrameAssessment:
    """Whether the photo shows the whole document, big, sharp and without glare (see the module doc).

    with_glare=False leaves GLARE out (glare_share 0.0) for a caller that does not use it: the glare
    needs the document flattened to 1000 px, about a fifth of a 640-px frame's assessment, and the
    capture page's live feedback judges glare with image_quality (services/capture/flow.py
    FRAME_PROBLEMS_SHOWN has no GLARE)."""
    h, w = image_bgr.shape[:2]
    corners, search = _find(image_bgr, set_aside_spanning=True)
    cut_memo: list[np.ndarray | None] = []

    def cut_anywhere() -> np.ndarray | None:  # _cut_document(search), asked up to three times below
        if not cut_memo:
            cut_memo.append(_cut_document(search))
        return cut_memo[0]

    if search.how in ("unsupported", ""):  # a side of the choice on no edge, or nothing over the score floor:
        # a pale card whose four sides are on edges, however small
        card = _card_on_edges(search, support_map=_faint_edges(search), small_area=min_area_share)
        if card is None and corners is not None:  # a card on edges of which the choice is a part
            card = _card_on_edges(search, support_map=_faint_edges(search), holding=corners * search.scale)
        card_is_pale = card is not None and _pale(image_bgr, card)
        whole_uncut = False  # the card below, which no document the frame cuts holds (asked once)
        if not card_is_pale and corners is not None \
                and (_touches_edge(corners, w, h, edge_margin * min(w, h))
                     or (not _pale(image_bgr, corners)
                         and float(cv2.contourArea(corners.astype(np.float32))) >= min_area_share * h * w)):
            # the choice runs to the frame, or is large and dark (a face closed into a quadrilateral), and no card
            # on the contours' edges: a pale card of the straight edges inside the frame, big enough to be
            # accepted, that no document the frame cuts holds (its outline against hair or a beard not closed)
            whole = _card_around(search, image_bgr, None, min_area_share)
            if whole is not None and _cut_document(search, holding=whole * search.scale) is None:
                card, card_is_pale, whole_uncut = whole, True, True
        zone = card_is_pale and corners is not None and _holds(corners, card) and _pale(image_bgr, corners)
        if zone and _touches_edge(corners, w, h, edge_margin * min(w, h)) \
                and float(cv2.contourArea(card.astype(np.float32))) >= min_area_share * h * w \
                and (whole_uncut or _cut_document(search, holding=card * search.scale) is None):
            # the choice runs to the frame (the card and the scenery around it, closed by the frame's sides) and
            # holds a whole card big enough to be accepted, which no document the frame cuts holds: that card
            zone = False
        if card_is_pale and not zone:
            corners = card  # (not a part of a pale choice that holds it: a card's own pale zone)
        elif corners is not None and not _pale(image_bgr, corners):
            # dark or coloured, with a side on no edge: scenery (a face behind a far card, the desk beside a
            # cut one). A document the frame cuts is told so; else a small one stays too small (the card is
            # smaller still, or not there), a large one is not the document.
            dark_small = float(cv2.contourArea(corners.astype(np.float32))) < min_area_share * h * w
            corners = corners if dark_small and cut_anywhere() is None else None
    elif corners is not None and not _pale(image_bgr, corners):
        # On edges but dark or coloured (a face framed by straight edges) while a pale document the frame
        # cuts is in the photo: that document is the one shown.
        cut_doc = cut_anywhere()
        if cut_doc is not None and _pale(image_bgr, cut_doc):
            corners = None
        elif _touches_edge(corners, w, h, edge_margin * min(w, h)):
            # scenery the frame cuts (a face, a jacket): a pale card on edges inside the frame is the document
            card = _card_on_edges(search, support_map=_faint_edges(search), small_area=min_area_share)
            if card is not None and _pale(image_bgr, card):
                corners = card
    if corners is not None and _skew(corners) > MAX_SKEW \
            and (float(cv2.contourArea(corners.astype(np.float32))) >= min_area_share * h * w
                 or cut_anywhere() is not None):
        corners = None  # no card held at an angle a camera can read has such a corner: not the document
    cut = None
    if corners is None:
        cut = cut_anywhere()
    elif float(cv2.contourArea(corners.astype(np.float32))) < min_area_share * h * w \
            and not _touches_edge(corners, w, h, edge_margin * min(w, h)):
        cut = _cut_document(search, holding=corners * search.scale)
        if cut is None:  # a part of a whole card (its portrait), the card's outline merged with the scenery
            card = _card_around(search, image_bgr, corners, min_area_share)
            corners = corners if card is None else card
    if cut is not None:
        corners = cut  # the frame cuts the document: what it shows of it is assessed
    elif corners is None:
        corners = search.spanning  # the frame, or scenery across it: as before, when nothing else
        if corners is None:
            corners = cut = _pale_strip_at_frame(search)  # a strip of a card at the frame's edge: partly out
    elif not _touches_edge(corners, w, h, edge_margin * min(w, h)) and _picture_on_cut_card(search, corners):
        cut = corners  # a card's portrait, the card around it cut by the frame: that card is partly out
    elif float(cv2.contourArea(corners.astype(np.float32))) < min_area_share * h * w \
            and not _touches_edge(corners, w, h, edge_margin * min(w, h)):
        strip = _zone_of_cut_card(search, image_bgr, corners)
        if strip is not None:
            corners = cut = strip  # too small, but a zone of a pale card the frame cuts: that card is partly out
    if corners is None:
        return FrameAssessment(None, 0.0, 0.0, 0.0, ("DOCUMENT_NOT_FOUND",))
    problems = []
    if cut is not None or _touches_edge(corners, w, h, edge_margin * min(w, h)):
        problems.append("PARTLY_OUT_OF_FRAME")
    area_share = float(cv2.contourArea(corners.astype(np.float32))) / float(h * w)
    if area_share < min_area_share and cut is None:  # a cut document's size is not known
        problems.append("TOO_SMALL")
    # Sharpness where the camera saw it (a warp to 1000 px would blur a small card), in the pixels
    # around the document only: with a margin wider than the erosion (and the Laplacian's 3x3), the
    # same values as over the whole photo.
    poly = corners.astype(np.int32)
    x0, y0 = max(0, int(poly[:, 0].min()) - 6), max(0, int(poly[:, 1].min()) - 6)
    x1, y1 = min(w, int(poly[:, 0].max()) + 7), min(h, int(poly[:, 1].max()) + 7)
    sharpness, noise = 0.0, 0.0
    if x1 > x0 and y1 > y0:
        inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(inside, [poly - np.array([x0, y0], np.int32)], 1)
        inside = cv2.erode(inside, np.ones((9, 9), np.uint8))
        lap = cv2.Laplacian(cv2.cvtColor(image_bgr[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), cv2.CV_64F)
        sharpness = float(lap[inside.astype(bool)].var()) if inside.any() else 0.0
        if sharpness >= min_sharpness:
            noise = _laplacian_noise(lap, inside)
    if sharpness < min_sharpness or sharpness - noise < min_signal_sharpness:
        problems.append("BLURRED")
    glare, radius = 0.0, 0.0
    if with_glare and _may_glare(image_bgr, corners):
        flat = correct_perspective(image_bgr, corners)
        glare = _glare_share(flat)
        radius = _glare_radius(flat) if glare > max_glare_share else 0.0
    if glare > max_glare_share and radius >= min_glare_radius:
        problems.append("GLARE")
    as_tuple = tuple((float(x), float(y)) for x, y in corners)
    return FrameAssessment(as_tuple, area_share, sharpness, glare, tuple(problems), radius)
