"""Find the machine readable zone in a photo of a document.

The MRZ is a band of two or three long, evenly spaced lines of dark
monospaced characters. Morphology finds it without OCR: a black-hat
transform keeps dark text on a light background, a horizontal gradient
keeps character edges, a wide closing joins characters into lines and lines
into one band. The band is searched in the image as given and turned by 90
degrees (a vertical band), so an MRZ at any right-angle rotation is found
before any OCR runs; telling 0 from 180 degrees is left to the reader.
Small skews are measured on the band and undone.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 640  # the locator works at this width; crops come from the full image


@dataclass(frozen=True)
class MRZCandidate:
    crop: np.ndarray        # grey, deskewed, MRZ lines horizontal (maybe upside down)
    rotation: int           # 0 or 90: how far the input was turned (clockwise) first
    score: float            # how much the band looks like an MRZ (higher is better)
    box: tuple[int, int, int, int]  # x, y, w, h of the band in the turned image
    # Top and bottom row of each text line in the crop, as the locator saw them
    # (for cutting the lines where the crop's ink profile is misled, e.g. by the
    # dark desk beyond the card's edge).
    line_spans: tuple[tuple[int, int], ...] = ()


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn clockwise by a multiple of 90 degrees."""
    k = (degrees // 90) % 4
    return np.ascontiguousarray(np.rot90(image, -k)) if k else image


def _line_mask(gray: np.ndarray) -> np.ndarray:
    """White where dark, dense, monospaced text lines are; lines kept apart."""
    h, w = gray.shape
    unit = max(w / 40.0, 3.0)  # about one MRZ character on a full-width band
    blur = cv2.GaussianBlur(gray, (3, 3), 0)
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (int(unit * 0.9) | 1, int(unit * 0.5) | 1))
    blackhat = cv2.morphologyEx(blur, cv2.MORPH_BLACKHAT, rect)
    grad = np.abs(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=-1))
    grad = cv2.normalize(grad, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    join = cv2.getStructuringElement(cv2.MORPH_RECT, (int(unit * 1.2) | 1, 3))
    grad = cv2.morphologyEx(grad, cv2.MORPH_CLOSE, join)
    _, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Opening by a small box removes thin rules (card edges, frames drawn
    # around the MRZ) that would otherwise weld the MRZ lines to each other.
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 3)))
    return mask


@dataclass(frozen=True)
class _Line:
    cx: float
    cy: float
    width: float
    height: float
    angle: float  # degrees, -45..45
    points: np.ndarray


def _text_lines(mask: np.ndarray, min_width: float) -> list[_Line]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(c)
        if rw < rh:
            rw, rh, angle = rh, rw, angle - 90
        angle = (angle + 90) % 180 - 90
        if rw < min_width or rh < 3 or abs(angle) > 30 or rw / rh < 5:
            continue
        out.append(_Line(cx, cy, rw, rh, angle, c.reshape(-1, 2)))
    return out


def _groups(lines: list[_Line], w: int, h: int) -> list[tuple[float, list[_Line]]]:
    """Group parallel lines of about the same length stacked closely: an MRZ."""
    scored = []
    seen: set[tuple[int, ...]] = set()
    for seed in sorted(lines, key=lambda l: -l.width):
        a = np.deg2rad(seed.angle)
        along, across = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
        mates = []
        for other in lines:
            if abs(other.angle - seed.angle) > 6 or not 0.7 < other.width / seed.width < 1.43:
                continue
            d = np.array([other.cx - seed.cx, other.cy - seed.cy])
            if abs(d @ along) > 0.2 * seed.width:
                continue
            mates.append((float(d @ across), other))
        mates.sort(key=lambda t: t[0])
        # Keep the run of lines around the seed whose gaps stay within ~3 line
        # heights; lines of the seed's very length and start (an MRZ printed with
        # its lines spaced wide) may be up to ~7 line heights apart.
        idx = next(i for i, (_, l) in enumerate(mates) if l is seed)
        lo = hi = idx

        def near(a: tuple[float, _Line], b: tuple[float, _Line]) -> bool:
            gap = abs(a[0] - b[0])
            if gap < 3.2 * seed.height:
                return True
            twin = all(0.94 < l.width / seed.width < 1.06 and abs((np.array([l.cx - seed.cx, l.cy - seed.cy])
                                                                    @ along)) < 0.04 * seed.width for _, l in (a, b))
            return twin and gap < 7.0 * seed.height

        while lo > 0 and near(mates[lo], mates[lo - 1]):
            lo -= 1
        while hi < len(mates) - 1 and near(mates[hi], mates[hi + 1]):
            hi += 1
        group = [l for _, l in mates[lo:hi + 1]]
        if len(group) > 3:  # the MRZ is the bottom of the document: keep the lowest three
            group = group[-3:]
        key = tuple(sorted(id(l) for l in group))
        if key in seen:
            continue
        seen.add(key)
        n = len(group)
        width = float(np.mean([l.width for l in group]))
        heights = np.array([l.height for l in group])
        even = 1.0 / (1.0 + float(np.std(heights) / max(np.mean(heights), 1.0)))
        count_bonus = {1: 0.6, 2: 1.0, 3: 1.0}.get(n, 0.8)
        cy = float(np.mean([l.cy for l in group]))
        score = (width / w) * count_bonus * even * (0.85 + 0.3 * cy / h)
        scored.append((score, group))
    scored.sort(key=lambda t: -t[0])
    return scored


def _cut_group(gray: np.ndarray, group: list[_Line], scale: float
               ) -> tuple[np.ndarray, tuple[int, int, int, int], tuple[tuple[int, int], ...]]:
    """Cut the group's band out of the full-resolution image, levelled; also each line's rows in it."""
    angle = float(np.median([l.angle for l in group]))
    pts = np.vstack([l.points for l in group]).astype(np.float32) / scale
    line_h = float(np.median([l.height for l in group])) / scale
    center = pts.mean(axis=0)
    m = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), angle, 1.0)
    rotated = cv2.transform(pts[None], m)[0]
    x0, y0 = rotated.min(axis=0)
    x1, y1 = rotated.max(axis=0)
    pad_x, pad_y = line_h * 1.2 + 4, line_h * 0.6 + 4
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
    m[0, 2] -= x0
    m[1, 2] -= y0
    crop = cv2.warpAffine(gray, m, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)
    spans = []
    for line in sorted(group, key=lambda l: l.cy):
        ys = cv2.transform((line.points.astype(np.float32) / scale)[None], m)[0][:, 1]
        spans.append((max(0, int(ys.min())), min(crop.shape[0], int(np.ceil(ys.max())))))
    return crop, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), tuple(sorted(spans))


def find_mrz_candidates(image: np.ndarray, max_candidates: int = 3) -> list[MRZCandidate]:
    """Candidate MRZ bands, best first, from horizontal and vertical searches."""
    gray = to_gray(image)
    out: list[MRZCandidate] = []
    for rotation in (0, 90):
        turned = rotate(gray, rotation)
        h, w = turned.shape
        scale = WORK_WIDTH / w
        small = cv2.resize(turned, (WORK_WIDTH, max(int(h * scale), 1)),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        lines = _text_lines(_line_mask(small), min_width=0.25 * WORK_WIDTH)
        for score, group in _groups(lines, WORK_WIDTH, small.shape[0])[:max_candidates]:
            crop, box, spans = _cut_group(turned, group, scale)
            out.append(MRZCandidate(crop, rotation, score, box, spans))
    out.sort(key=lambda c: -c.score)
    return out[:max_candidates]


def binarise(gray: np.ndarray) -> np.ndarray:
    """Black text on white, by Otsu after a light blur."""
    blur = cv2.GaussianBlur(gray, (3, 3), 0)
    _, bw = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return bw


def true_runs(flags) -> list[tuple[int, int]]:
    """The [start, end) index ranges where `flags` (a row profile thresholded, say) is true."""
    runs, start = [], None
    for i, v in enumerate(list(flags) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            runs.append((start, i))
            start = None
    return runs
