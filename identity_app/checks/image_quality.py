"""Image quality of a document photo, fast enough for live camera frames.

`assess_quality` works on a downscaled copy (ANALYSIS_LONG_SIDE pixels on
the long side) so its cost does not grow with the camera's resolution and
its thresholds mean the same thing for every input size. It first finds
the document (a quadrilateral against a background, or a text-bearing page
that fills the frame), then measures exposure, glare, blur and colour on
the document region only, so a dark table around a well lit card does not
count as "too dark".

Problems come back as the domain's NOT_AVAILABLE reason codes, most
actionable first, each with a short hint the capture screen can show.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

ALGORITHM_VERSION = "image-quality/1"
ANALYSIS_LONG_SIDE = 640

# Reason codes, in priority order: what the user should fix first. Exposure
# comes before "no document" because in a black or white-out frame nothing
# can be found; blur comes late because darkness also lowers sharpness.
PHOTO_TOO_DARK = "PHOTO_TOO_DARK"
PHOTO_OVEREXPOSED = "PHOTO_OVEREXPOSED"
NO_DOCUMENT = "NO_DOCUMENT"
PARTIAL_PHOTO = "PARTIAL_PHOTO"
IMAGE_RESOLUTION_TOO_LOW = "IMAGE_RESOLUTION_TOO_LOW"
GLARE_OBSTRUCTION = "GLARE_OBSTRUCTION"
PHOTO_TOO_BLURRY = "PHOTO_TOO_BLURRY"
BLACK_AND_WHITE_IMAGE = "BLACK_AND_WHITE_IMAGE"

PRIORITY = (
    PHOTO_TOO_DARK,
    PHOTO_OVEREXPOSED,
    NO_DOCUMENT,
    PARTIAL_PHOTO,
    IMAGE_RESOLUTION_TOO_LOW,
    GLARE_OBSTRUCTION,
    PHOTO_TOO_BLURRY,
    BLACK_AND_WHITE_IMAGE,
)

HINTS = {
    PHOTO_TOO_DARK: "It's too dark: move to a brighter place.",
    PHOTO_OVEREXPOSED: "Too bright: avoid direct light on the document.",
    NO_DOCUMENT: "We can't see a document: place it inside the frame.",
    PARTIAL_PHOTO: "Part of the document is cut off: show all four corners.",
    IMAGE_RESOLUTION_TOO_LOW: "Too small: move the document closer to the camera.",
    GLARE_OBSTRUCTION: "There is glare on the document: tilt it away from the light.",
    PHOTO_TOO_BLURRY: "The photo is blurry: hold still and let the camera focus.",
    BLACK_AND_WHITE_IMAGE: "Black and white image: send a colour photo of the original document.",
}


@dataclass(frozen=True)
class QualityThresholds:
    """Defaults tuned on ../shared/data/mrz-passporteye (all 38 genuine
    scans pass except low-resolution thumbnails) and on degraded copies of
    them (see tests/checks/test_image_quality.py)."""

    # Variance of the Laplacian on the document region, at analysis scale.
    min_sharpness: float = 150.0
    # Mean grey level of the document region (0..255).
    min_brightness: float = 60.0
    # Overexposed when most of the region is clipped AND even its darkest
    # parts are light grey: a white paper page with black print is fine.
    max_clipped_fraction: float = 0.5
    min_dark_percentile_when_clipped: float = 170.0
    # Share of the region covered by saturated specular blobs that stand out
    # from their surroundings.
    max_glare_fraction: float = 0.04
    # Size of the document in the ORIGINAL image, in pixels.
    min_document_long_side: int = 300
    min_document_short_side: int = 150
    # Hasler-Suesstrunk colourfulness; a greyscale image scores ~0.
    min_colourfulness: float = 4.0
    # Evidence of a document: text-line-like blobs in the region.
    min_text_lines: int = 6
    # A text line touching the frame border is "cut off" (PARTIAL_PHOTO)
    # when at least this many do.
    min_cut_text_lines: int = 2

    def as_details(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class QualityMeasures:
    width: int
    height: int
    document_found: bool
    document_quad: tuple[tuple[int, int], ...] | None  # corners in original pixels, if a border was seen
    document_long_side: int
    document_short_side: int
    text_lines: int
    cut_text_lines: int
    sharpness: float
    brightness: float
    clipped_fraction: float
    dark_percentile: float
    glare_fraction: float
    colourfulness: float


@dataclass(frozen=True)
class QualityResult:
    ok: bool
    problems: tuple[str, ...]
    hints: tuple[str, ...]
    measures: QualityMeasures
    algorithm_version: str = ALGORITHM_VERSION

    @property
    def reason(self) -> str | None:
        return self.problems[0] if self.problems else None

    @property
    def hint(self) -> str | None:
        return self.hints[0] if self.hints else None


def assess_quality(
    image_bgr: np.ndarray, *, thresholds: QualityThresholds = QualityThresholds()
) -> QualityResult:
    """Judge whether a document photo is good enough to check.

    `image_bgr` is a uint8 BGR (or single-channel grey) array. Cost is
    bounded by ANALYSIS_LONG_SIDE, a few milliseconds per frame.
    """
    import cv2

    t = thresholds
    bgr = _as_bgr(image_bgr)
    height, width = bgr.shape[:2]
    scale = min(1.0, ANALYSIS_LONG_SIDE / max(height, width))
    small = (
        cv2.resize(bgr, (max(1, round(width * scale)), max(1, round(height * scale))),
                   interpolation=cv2.INTER_AREA)
        if scale < 1.0 else bgr
    )
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    quad = find_document_quad(grey)
    mask = np.zeros(grey.shape, np.uint8)
    if quad is not None:
        cv2.fillConvexPoly(mask, quad.astype(np.int32), 255)
    else:
        mask[:] = 255
    text_boxes = _text_line_boxes(grey, enough=t.min_text_lines)
    in_region = [b for b in text_boxes if mask[b[1] + b[3] // 2, b[0] + b[2] // 2]]
    if quad is not None and len(in_region) < t.min_text_lines <= len(text_boxes):
        # The rectangle was a part of the page (a portrait frame, a box):
        # the text says the page fills the frame.
        quad = None
        mask[:] = 255
        in_region = text_boxes
    text_lines = len(in_region)
    cut = 0 if quad is not None else _count_cut(in_region, grey.shape)

    region = grey[mask > 0]
    brightness = float(region.mean())
    clipped = float((region >= 250).mean())
    dark_pct = float(np.percentile(region, 5))
    sharpness = _sharpness(grey, mask)
    glare = _glare_fraction(small, grey, mask)
    colour = _colourfulness(small, mask)

    if quad is not None:
        long_side, short_side = _quad_sides(quad / scale)
    else:
        long_side, short_side = max(height, width), min(height, width)
    document_found = quad is not None or text_lines >= t.min_text_lines

    blurry = sharpness < t.min_sharpness
    problems = []
    if brightness < t.min_brightness:
        problems.append(PHOTO_TOO_DARK)
    if clipped > t.max_clipped_fraction and dark_pct > t.min_dark_percentile_when_clipped:
        problems.append(PHOTO_OVEREXPOSED)
    if problems:
        pass  # in a black or washed-out frame nothing else can be judged
    elif not document_found:
        # Blur wipes out the text that shows a document is there: ask the
        # user to hold still rather than claim there is no document.
        problems.append(PHOTO_TOO_BLURRY if blurry else NO_DOCUMENT)
    else:
        if cut >= t.min_cut_text_lines:
            problems.append(PARTIAL_PHOTO)
        if long_side < t.min_document_long_side or short_side < t.min_document_short_side:
            problems.append(IMAGE_RESOLUTION_TOO_LOW)
        if glare > t.max_glare_fraction:
            problems.append(GLARE_OBSTRUCTION)
        if blurry:
            problems.append(PHOTO_TOO_BLURRY)
        if colour < t.min_colourfulness:
            problems.append(BLACK_AND_WHITE_IMAGE)
    problems.sort(key=PRIORITY.index)

    measures = QualityMeasures(
        width=width,
        height=height,
        document_found=document_found,
        document_quad=(
            tuple((int(round(x / scale)), int(round(y / scale))) for x, y in quad)
            if quad is not None else None
        ),
        document_long_side=int(long_side),
        document_short_side=int(short_side),
        text_lines=text_lines,
        cut_text_lines=cut,
        sharpness=sharpness,
        brightness=brightness,
        clipped_fraction=clipped,
        dark_percentile=dark_pct,
        glare_fraction=glare,
        colourfulness=colour,
    )
    return QualityResult(
        ok=not problems,
        problems=tuple(problems),
        hints=tuple(HINTS[p] for p in problems),
        measures=measures,
    )


def _as_bgr(image: np.ndarray) -> np.ndarray:
    import cv2

    if image is None or image.size == 0:
        raise ValueError("empty image")
    if image.dtype != np.uint8:
        raise ValueError(f"expected uint8 image, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def find_document_quad(grey: np.ndarray, *, min_area_fraction: float = 0.15) -> np.ndarray | None:
    """Corners (4x2 float, analysis pixels) of the largest convex
    quadrilateral that covers between min_area_fraction and 97% of the frame
    and does not touch its border; None when the page fills the frame or no
    border is visible."""
    import cv2

    h, w = grey.shape
    frame_area = float(h * w)
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    median = float(np.median(blurred))
    edges = cv2.Canny(blurred, max(10.0, 0.5 * median), min(255.0, max(30.0, 1.2 * median)))
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    margin = 2
    best, best_area = None, 0.0
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < min_area_fraction * frame_area or area > 0.97 * frame_area:
            continue
        hull = cv2.convexHull(contour)
        hull_area = cv2.contourArea(hull)
        # A card's rounded corners make approxPolyDP return more than 4
        # points; its rotated bounding box still fits it tightly.
        rect = cv2.minAreaRect(hull)
        box = cv2.boxPoints(rect)
        rect_area = rect[1][0] * rect[1][1]
        if rect_area <= 0 or hull_area / rect_area < 0.85 or area / hull_area < 0.8:
            continue
        x, y, bw, bh = cv2.boundingRect(hull)
        if x <= margin or y <= margin or x + bw >= w - margin or y + bh >= h - margin:
            continue
        if hull_area > best_area:
            best, best_area = box, hull_area
    return None if best is None else np.asarray(best, dtype=np.float64)


def _quad_sides(quad: np.ndarray) -> tuple[float, float]:
    a = np.linalg.norm(quad[0] - quad[1])
    b = np.linalg.norm(quad[1] - quad[2])
    return max(a, b), min(a, b)


def _text_line_boxes(grey: np.ndarray, *, enough: int = 1_000_000) -> list[tuple[int, int, int, int]]:
    """Axis-aligned boxes of dark, elongated blobs the size of printed text
    lines: the cheap evidence that a page of a document is in view.
    Elongation is measured on the rotated bounding rectangle, so a tilted
    document counts; a sideways one is tried when upright finds fewer than
    `enough` lines."""
    boxes = _text_lines_one_way(grey)
    if len(boxes) < enough:
        sideways = [(y, x, bh, bw) for x, y, bw, bh in _text_lines_one_way(np.ascontiguousarray(grey.T))]
        if len(sideways) > len(boxes):
            boxes = sideways
    return boxes


def _text_lines_one_way(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    import cv2

    h, w = grey.shape
    char_h = max(3, round(min(h, w) / 40))
    blackhat = cv2.morphologyEx(
        grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (char_h * 2 + 1, char_h + 1))
    )
    # Otsu separates print from fine background patterns (guilloches);
    # the floor keeps flat images from turning noise into "ink".
    otsu, _ = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, ink = cv2.threshold(blackhat, max(40.0, otsu), 255, cv2.THRESH_BINARY)
    lines = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (char_h, 1)))
    # CCOMP: text inside a printed frame line is still found (the frame's
    # own outline is one component, the text lines are others).
    contours, hierarchy = cv2.findContours(lines, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for i, contour in enumerate(contours):
        if hierarchy[0][i][3] != -1 or len(contour) < 4:  # a hole, not a component
            continue
        (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
        long_side, short_side = max(rw, rh), min(rw, rh)
        if short_side < 2 or short_side > 3 * char_h or long_side < 4 * char_h or long_side < 3 * short_side:
            continue
        if cv2.contourArea(contour) < 0.3 * rw * rh:  # text lines are fairly solid after closing
            continue
        boxes.append(tuple(int(v) for v in cv2.boundingRect(contour)))
    return boxes


def _count_cut(boxes: list[tuple[int, int, int, int]], shape: tuple[int, int]) -> int:
    """Text lines that run into exactly one frame edge with their END: what
    a document cut off by the frame looks like. Lines touching an edge
    along their length (page borders, bands) or spanning the whole frame
    (stripes) do not count."""
    h, w = shape
    cut = 0
    for x, y, bw, bh in boxes:
        if bw >= bh:
            ends = (x <= 0) + (x + bw >= w)
            thick = bh >= 4
        else:
            ends = (y <= 0) + (y + bh >= h)
            thick = bw >= 4
        cut += int(ends == 1 and thick)
    return cut


def _sharpness(grey: np.ndarray, mask: np.ndarray) -> float:
    import cv2

    lap = cv2.Laplacian(grey, cv2.CV_64F, ksize=3)
    inner = cv2.erode(mask, np.ones((5, 5), np.uint8))  # the border edge is not detail
    values = lap[inner > 0] if inner.any() else lap.ravel()
    return float(values.var())


def _glare_fraction(small: np.ndarray, grey: np.ndarray, mask: np.ndarray) -> float:
    """Share of the region under specular glare: saturated, colourless
    blobs with a soft bright halo that stand out from the paper around
    them. White paper is clipped too, but it ends in hard edges of print and
    borders; a reflection fades out smoothly."""
    import cv2

    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    saturated = ((hsv[:, :, 2] >= 245) & (hsv[:, :, 1] <= 40) & (mask > 0)).astype(np.uint8)
    saturated = cv2.morphologyEx(saturated, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(saturated, connectivity=8)
    region_area = float(max(1, int((mask > 0).sum())))
    min_blob = 0.002 * region_area
    near = max(2, round(min(grey.shape) / 150))
    far = max(6, round(min(grey.shape) / 25))
    near_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * near + 1, 2 * near + 1))
    far_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * far + 1, 2 * far + 1))
    paper_level = float(np.median(grey[mask > 0]))
    glare = 0
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < min_blob or area > 0.6 * region_area:
            continue
        if x <= 0 or y <= 0 or x + bw >= grey.shape[1] or y + bh >= grey.shape[0]:
            continue  # white scanner bed or page margin around a tight scan
        x0, y0 = max(0, x - far), max(0, y - far)
        x1, y1 = min(grey.shape[1], x + bw + far), min(grey.shape[0], y + bh + far)
        blob = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
        inside = mask[y0:y1, x0:x1] > 0
        near_zone = cv2.dilate(blob, near_kernel) > 0
        near_ring = near_zone & (blob == 0) & inside
        far_ring = (cv2.dilate(blob, far_kernel) > 0) & ~near_zone & inside
        if not near_ring.any() or not far_ring.any():
            continue
        patch = grey[y0:y1, x0:x1]
        soft_halo = float(np.percentile(patch[near_ring], 10)) >= 170
        stands_out = paper_level < 215 or float(np.median(patch[far_ring])) < 225
        if soft_halo and stands_out:
            glare += int(area)
    return glare / region_area


def _colourfulness(small: np.ndarray, mask: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness of the region."""
    pixels = small[mask > 0].astype(np.float64)
    b, g, r = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
