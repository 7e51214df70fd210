"""Digit or letter? The glyph heights and shapes of an OCR-B line tell the confusable pairs apart.

OCR-B (ICAO Doc 9303 prescribes it for every MRZ) draws its digits taller
than its capital letters and its filler shorter still (78, 72 and 63 per
100 pt). Every OCR-B confusable pair the check digits can weigh is a digit
and a letter (0/O, 6/G, 8/B, 5/S, 2/Z; 1/I and D/0 are left to the
recogniser and the check digits: OCR-B's thin 1 measures short too often,
and a letter-high 0 that may be O or D gave the check digits two ways to
hold by chance), so where a field may hold
either (document numbers, optional data) and the recogniser read one member
without doubt, the glyph's height says which class it is:

- the line is cut into its glyphs: connected components of ink about the
  text band's height, not cut by the crop's edge, taken in order when there
  is one per character, else placed in the cells of a monospaced line (the
  pitch is the usual step between glyphs; the first and last glyph must be
  width - 1 steps apart, else nothing is judged);
- measured height = a + s x OCR-B height per line (the threshold thickens or
  thins strokes, each line has its scale) + b x position (perspective),
  fitted on the characters whose class the layout fixes (dates, codes,
  names, fillers), refitted without outliers beyond 3 MADs;
- a line is judged only with enough references of two classes and a
  digit-letter gap of at least twice the fit's noise; a glyph gets the
  likelihood ratio of its height under the other class against the class
  read (normal laws, LR_CAP at most).

`adjust_rows` turns a ratio of at least MIN_LR into probability for the
other member, never more than PARTNER_CAP of the character read: the check
digits (mrz_search) then choose, so a reading whose digits hold stays as
read. 6/G, which no check digit can tell apart (16 and 6 are equal modulo
10), only becomes an alternative reading that the printed fields of the
visual zone decide (text_extraction.decide_by_printed), or that keeps the
reading from being approved.

Measured on generated photos (tuning seeds 3000-3199, not the README's):
of 1,386 correctly read confusable characters in mixed fields that were
judged, 31 drew a false alarm (an option for the check digits, not a
change), and 17 of 19 misread ones were caught; 16 of 186 bands could not
be measured.

Shapes (O/0, D/0, I/1, O/D, G/6; `shape_model`): each glyph's ink box scaled to
SHAPE_SIZE is compared with the mean shape of the same band's glyphs whose
class the layout fixes (the zeros and ones of the dates, the Os, Ds and Is
of names and codes: same print, blur and threshold), or, for a member the
band does not show, with its drawing in OCR-B (not for O/0). O is an oval
where 0 has straight sides, D a flat back, 1 a flag where I has serifs, G a
bar where 6 closes its loop.
Where the shape tells (SHAPE_EVIDENCE; not from a glyph unlike its drawing,
and on D/0, G/6, I/1, O/D only where the drawings agree) its likelihood ratio
multiplies the height's. A member both say with a ratio of at least HELD_LR,
the shape agreeing and telling it from the read character's other partners
(O from D), is held: the glyph reads it, the other costs the check digits
ln(LR_CAP) to come back, and the printed fields of the visual zone (whose
reader confuses O/0 and I/1 as the recogniser does) may not choose a reading
against it. On tuning photos 10000-10199 and 12000-12199 none of 1,399 held
characters in mixed fields was wrong; they caught 22 of 46 zeros read for an O
and 13 of 13 ones read for an I (recogniser's first readings); on 11000-11199
and 13000-13199 none of 1,352 was wrong, catching 17 of 47 zeros read for an
O, 17 of 19 ones for an I, 1 of 2 zeros for a D. The generated documents are
all printed in Debian's OCR-B, which the drawings are: a real document's
OCR-B may differ, so its drawing stands in only for a member the band shows
no glyph of. A document number whose letters read as digits keep its
check digit (OO as 00: 240 and 0 modulo 10; IDO as 1O0; G as 6) is read by
its glyphs, as nothing else tells. Where height and shape disagree (a shape
saying O, a height saying 0) the height was right 26 times in 31: the
product of their ratios decides, and such a glyph is not held.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Collection, Sequence

import cv2
import numpy as np

from identity_app.checks.icao import char_value
from identity_app.checks.mrz_locate import true_runs
from identity_app.checks.mrz_parse import ALNUM, DIGITS, LAYOUTS, LETTERS, MRZ_CHARS, TO_DIGIT, TO_LETTER
from identity_app.checks.mrz_search import check_digit_positions

# I/1 is left to the check digits (18 and 1 differ modulo 10): OCR-B's thin 1 measures short too often.
# D/0 too (D's flat side is the recogniser's to see): a letter-high 0 made both O and D candidates,
# and the check digits then held with the wrong one of them (a tuning photo's OIO read 01D).
PAIRS = ("O0", "Z2", "S5", "B8", "G6")
PARTNERS: dict[str, tuple[str, ...]] = {}
for _a, _b in PAIRS:
    PARTNERS[_a] = PARTNERS.get(_a, ()) + (_b,)
    PARTNERS[_b] = PARTNERS.get(_b, ()) + (_a,)

MIN_REFERENCES = 4    # glyphs of each class needed to trust their heights
MIN_FEW_LETTERS = 2   # letters enough beside MIN_REFERENCES fillers
MIN_LINE_REFERENCES = 3  # glyphs of known class (two classes at least) a line needs for its own to be judged
NEUTRAL_SHARE = 0.2   # the share a check-digit-neutral partner (6/G) gets: an alternative, not a change
LR_CAP = 50.0         # the largest likelihood ratio one glyph gives
MIN_LR = 4.0          # a glyph must be at least this clearly the other class to count
PARTNER_FLOOR = 0.05  # the other member's share before the glyph's evidence: OCR-B pairs are confusable
PARTNER_CAP = 0.9     # at most this share of the character read
# Where no check digit covers a character (a visa's optional data) a glyph at least this clearly
# the other class is read as the other member. Tuning photos 5085 and 5128 (LR 50 and 19.9): O read
# 0 there. Not for G/6 under a check digit (equal modulo 10): mrz-passporteye's 25_pass-uto has a
# 6 that measures letter-high; there the glyph only makes G an alternative (NEUTRAL_SHARE).
FLIP_LR = 15.0
WORK_HEIGHT = 64      # px: lines are scaled so their text band is about this tall
VERSION = "ocr-b-glyph-height-shape/2"

_INDEX = {c: i for i, c in enumerate(MRZ_CHARS)}


@dataclass(frozen=True)
class LineGlyphs:
    heights: tuple[float | None, ...]   # per character cell: the glyph's height (work px), None if not found
    # per character cell: the glyph's component (x, y, w, h, label) in `labels` (None if not found)
    cells: tuple[tuple[int, int, int, int, int] | None, ...] = ()
    labels: np.ndarray | None = None
    _shapes: dict = field(default_factory=dict, compare=False, repr=False)

    def shape(self, pos: int) -> np.ndarray | None:
        """The glyph's ink box scaled to SHAPE_SIZE, zero mean, unit norm (None if not found);
        computed when first asked (a band's shapes are wanted at few positions)."""
        if pos not in self._shapes:
            cell = self.cells[pos] if pos < len(self.cells) else None
            x, y, w, h, label = cell if cell is not None else (0, 0, 0, 0, 0)
            self._shapes[pos] = _shape(self.labels[y:y + h, x:x + w] == label) \
                if cell is not None and self.labels is not None else None
        return self._shapes[pos]


SHAPE_SIZE = (20, 28)  # width, height: a glyph's ink box scaled to this for shape comparisons


def _shape(mask: np.ndarray) -> np.ndarray | None:
    """A glyph's ink box as a zero-mean, unit-norm vector (its height and width scaled away)."""
    a = cv2.resize(mask.astype(np.float32), SHAPE_SIZE, interpolation=cv2.INTER_AREA).ravel()
    a = a - a.mean()
    norm = float(np.linalg.norm(a))
    return a / norm if norm > 0 else None


def measure_line(line_img: np.ndarray, width: int) -> LineGlyphs:
    """Each character cell's glyph height in a levelled line image of `width` characters.

    Ink is what Otsu calls dark; when that measures nothing (a dark desk beyond the card's
    edge in the crop outweighs the text: tuning photo 7045), the thin dark strokes only."""
    grey = line_img if line_img.ndim == 2 else cv2.cvtColor(line_img, cv2.COLOR_BGR2GRAY)
    if grey.shape[0] < 6 or grey.shape[1] < width:
        return LineGlyphs((None,) * width)
    for way in ("otsu", "text_rows", "strokes", "middle"):
        measured = _measure(grey, width, way)
        if any(h is not None for h in measured.heights):
            break
    return measured


SOLID_ROW = 0.85  # share of ink no row of text reaches: a dark area beyond the card's edge


def _ink(grey: np.ndarray, way: str) -> np.ndarray:
    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    if way == "strokes":
        # Black-hat wider than a stroke: broad dark areas are not ink.
        k = max(5, grey.shape[0] // 3) | 1
        blur = 255 - cv2.morphologyEx(blur, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    _, ink = cv2.threshold(blur, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if way == "text_rows":
        ink[ink.mean(axis=1) > SOLID_ROW] = 0
    return ink


def _measure(grey: np.ndarray, width: int, way: str) -> LineGlyphs:
    ink = _ink(grey, way)
    profile = ink.mean(axis=1)
    # "middle": the text rows are those about as dark as the crop's middle half, where split_lines
    # centres the text (a dark edge below it that grows darker than the text: tuning photo 13173).
    quarter = len(profile) // 4
    top = profile[quarter:len(profile) - quarter] if way == "middle" and quarter else profile
    core = _central_run(profile > 0.5 * float(top.max()))
    if core is None:
        return LineGlyphs((None,) * width)
    band = max(1, int(core[-1] - core[0] + 1))
    scale = max(1.0, WORK_HEIGHT / band)
    if scale > 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        ink = _ink(grey, way)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    tall = band * scale
    comps = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        # A glyph of this line: not cut by the crop's top or bottom (a neighbouring line's), about
        # the band's height (a tilted line's glyphs need not cross one row).
        if y > 0 and y + h < ink.shape[0] and 0.45 * tall <= h <= 1.6 * tall and area >= 0.02 * tall * tall:
            comps.append((x, y, w, h, area, i))
    if len(comps) < width // 3:
        return LineGlyphs((None,) * width)
    # OCR-B is monospaced: the pitch is the usual step between neighbouring glyphs, and the
    # line's first and last glyphs must then be width - 1 steps apart (else the cells are unsure).
    comps.sort(key=lambda c: c[0] + c[2] / 2)
    centres = np.array([c[0] + c[2] / 2 for c in comps])
    steps = np.diff(centres)
    if not len(steps):
        return LineGlyphs((None,) * width)
    typical = float(np.median(steps))
    if len(comps) == width and steps.min() > 0.5 * typical and steps.max() < 1.8 * typical:
        # One glyph per cell (perspective may shrink the pitch along the line): in order.
        return _glyphs(list(comps), labels)
    # A glyph or two missing: each step counted in pitches of its own stretch of the line (a
    # single pitch misplaced the glyphs of a line at an angle, the pitch growing along it).
    walked = _cells_by_local_pitch(steps, width) if len(comps) >= width - MAX_MISSING else None
    if walked is not None:
        return _glyphs(_largest_per_cell(comps, walked, width), labels)
    usual = steps[(steps > 0.6 * typical) & (steps < 1.6 * typical)]
    pitch = float(np.median(usual)) if len(usual) else typical
    if pitch <= 0 or round((centres[-1] - centres[0]) / pitch) != width - 1:
        return LineGlyphs((None,) * width)
    pitch = (centres[-1] - centres[0]) / (width - 1)
    cells: list[tuple[int, int, int, int, int, int] | None] = [None] * width
    for c, centre in zip(comps, centres):
        place = (centre - centres[0]) / pitch
        k = int(round(place))
        if 0 <= k < width and abs(place - k) < 0.3 and c[2] < 1.3 * pitch \
                and (cells[k] is None or c[4] > cells[k][4]):  # type: ignore[index]
            cells[k] = c  # the cell's largest glyph; merged glyphs give no height
    return _glyphs(cells, labels)


LOCAL_STEPS = 4       # steps each side whose usual size is the local pitch
STEP_TOLERANCE = 0.3  # a step is a whole number of local pitches within this
# Glyphs a line counted by local pitches may miss, and cells one step may span: with more gaps,
# steps of several pitches placed a TD3's names wrongly (tuning photo 14080).
MAX_MISSING = 2
MAX_STEP_CELLS = 2


def _cells_by_local_pitch(steps: np.ndarray, width: int) -> list[int] | None:
    """Each glyph's cell, counting each step between neighbours in pitches of its own stretch of
    the line; None unless the first and last glyph are then width - 1 cells apart.

    A card photographed at an angle has its pitch grow along the line (tuning photo 14065: from 24
    to 40 px over a TD1's 30 characters), so no single pitch places its glyphs; a glyph missing
    (its step two pitches) or a speck beside one (no pitch: the same cell) is counted as such;
    only MAX_MISSING glyphs may be missing, none two in a row."""
    cells = [0]
    for i, step in enumerate(steps):
        near = steps[max(0, i - LOCAL_STEPS):i + LOCAL_STEPS + 1]
        middle = float(np.median(near))
        usual = near[(near > 0.6 * middle) & (near < 1.6 * middle)]
        local = float(np.median(usual)) if len(usual) else middle
        if local <= 0:
            return None
        count = float(step) / local
        whole = int(round(count))
        if abs(count - whole) > STEP_TOLERANCE or whole > MAX_STEP_CELLS:
            return None
        cells.append(cells[-1] + whole)
    return cells if cells[-1] == width - 1 else None


def _largest_per_cell(comps: list, cells: list[int], width: int) -> list:
    """The components placed in their cells, the largest where two share one."""
    out: list = [None] * width
    for c, k in zip(comps, cells):
        if 0 <= k < width and (out[k] is None or c[4] > out[k][4]):
            out[k] = c
    return out


def _glyphs(cells: list, labels: np.ndarray) -> LineGlyphs:
    """The cells' glyphs (x, y, w, h, area, label; None for an empty cell): heights, and shapes to come."""
    heights = tuple(float(c[3]) if c is not None else None for c in cells)
    boxes = tuple((c[0], c[1], c[2], c[3], c[5]) if c is not None else None for c in cells)
    return LineGlyphs(heights, boxes, labels)


def _central_run(on: np.ndarray) -> np.ndarray | None:
    """The rows of the run of text rows nearest the crop's middle (a neighbouring line's
    edge may show above or below it)."""
    runs = true_runs(on)
    if not runs:
        return None
    middle = len(on) / 2
    s, e = min(runs, key=lambda r: 0 if r[0] <= middle < r[1] else min(abs(r[0] - middle), abs(r[1] - middle)))
    return np.arange(s, e)


# Ink heights in OCR-B (OCRB.otf of Debian's fonts-ocr-b, per 100 pt): digits 77-79, capitals
# 70-73.5 (round ones overshoot), the filler 63. By class: per-glyph heights judged worse on the
# tuning photos (the overshoot is within the measuring noise).
CLASS_HEIGHTS = {"digit": 78.0, "letter": 72.0, "filler": 63.0}


def ocr_b_height(ch: str) -> float:
    return CLASS_HEIGHTS["digit" if ch.isdigit() else "filler" if ch == "<" else "letter"]


@dataclass(frozen=True)
class GlyphModel:
    """Measured height = a_line + s_line x OCR-B height + b x position, per line of one band
    (a: the stroke's thickening or thinning by the threshold, s: the scale, b: the perspective)."""

    heights: tuple[tuple[float | None, ...], ...]
    coef: tuple[float, ...]            # a and s per line, then b
    sigma: float
    judged: tuple[bool, ...]           # per line: enough references to judge its glyphs

    def predicted(self, li: int, pos: int, ch: str) -> float:
        return self.coef[2 * li] + self.coef[2 * li + 1] * ocr_b_height(ch) + self.coef[-1] * pos / 44.0

    def ratio(self, li: int, pos: int, read: str, other: str) -> float | None:
        """How much likelier the glyph at (li, pos) is `other` than `read` (LR_CAP at most)."""
        h = self.heights[li][pos] if li < len(self.heights) and pos < len(self.heights[li]) else None
        if h is None or not self.judged[li]:
            return None
        d_read, d_other = h - self.predicted(li, pos, read), h - self.predicted(li, pos, other)
        log_lr = (d_read ** 2 - d_other ** 2) / (2 * self.sigma ** 2)
        return float(min(LR_CAP, max(1.0 / LR_CAP, math.exp(max(-50.0, min(50.0, log_lr))))))


def _fit(samples: list[tuple[int, int, str, float]], lines: int) -> tuple[np.ndarray, np.ndarray] | None:
    x = np.zeros((len(samples), 2 * lines + 1))
    y = np.zeros(len(samples))
    for i, (li, pos, ch, h) in enumerate(samples):
        x[i, 2 * li] = 1.0
        x[i, 2 * li + 1] = ocr_b_height(ch)
        x[i, -1] = pos / 44.0
        y[i] = h
    # A line without a measured glyph (cut too tight) has no a and s: fitted without it, judged never.
    used = [c for c in range(x.shape[1]) if np.any(x[:, c])]
    if np.linalg.matrix_rank(x[:, used]) < len(used):
        return None
    coef = np.zeros(x.shape[1])
    coef[used] = np.linalg.lstsq(x[:, used], y, rcond=None)[0]
    return coef, y - x @ coef


def glyph_model(lines: Sequence[str], images: Sequence[np.ndarray], fmt: str = "",
                glyphs: Sequence[LineGlyphs] | None = None) -> GlyphModel | None:
    """The band's height model, fitted on the characters outside the mixed fields of `fmt`
    (their class is known), then again without the outliers beyond 3 MADs; None when the
    lines cannot be measured or digits and letters do not stand clearly apart in them.
    `glyphs`: the lines already measured (measure_line)."""
    if glyphs is None:
        glyphs = [measure_line(img, len(line)) for line, img in zip(lines, images)]
    measured = [g.heights for g in glyphs]
    mixed = set(mixed_positions(fmt))
    # A filler in a mixed field is a filler too (no confusable pair holds one): a passport's
    # empty personal number gives references where the other line cannot be measured.
    samples = [(li, pos, ch, h) for li, (line, heights) in enumerate(zip(lines, measured))
               for pos, (ch, h) in enumerate(zip(line, heights))
               if h is not None and ((li, pos) not in mixed or ch == "<") and ch in MRZ_CHARS and ch not in "1IJ"]
    digits = sum(1 for s in samples if s[2].isdigit())
    letters = sum(1 for s in samples if s[2].isalpha())
    fillers = sum(1 for s in samples if s[2] == "<")
    # The class heights are OCR-B's, so digits and fillers fix a line's scale as well as digits
    # and letters do: a TD3's second line alone (its first cut too tight to measure) has only
    # the nationality and sex as letters (tuning photos 7045, 7119: O read 0, unjudged).
    if digits < MIN_REFERENCES or letters < MIN_REFERENCES and (letters < MIN_FEW_LETTERS or fillers < MIN_REFERENCES):
        return None
    fitted = _fit(samples, len(lines))
    if fitted is None:
        return None
    coef, resid = fitted
    mad = float(np.median(np.abs(resid))) * 1.4826 + 1e-6
    kept = [s for s, r in zip(samples, resid) if abs(r) <= 3 * mad]
    fitted = _fit(kept, len(lines)) if len(kept) >= 2 * MIN_REFERENCES else None
    if fitted is None:
        return None
    coef, resid = fitted
    sigma = max(float(np.median(np.abs(resid))) * 1.4826, 0.5)
    # A digit must stand clearly above a letter on every line judged (O against 0: 5.5 units).
    judged = []
    for li in range(len(lines)):
        own = [s for s in kept if s[0] == li]
        classes = {s[2] == "<" for s in own} | {s[2].isdigit() for s in own if s[2] != "<"}
        gap = coef[2 * li + 1] * (CLASS_HEIGHTS["digit"] - CLASS_HEIGHTS["letter"])
        judged.append(len(own) >= MIN_LINE_REFERENCES and len(classes) >= 2 and gap >= 2.0 * sigma)
    if not any(judged):
        return None
    return GlyphModel(tuple(tuple(m) for m in measured), tuple(float(c) for c in coef), sigma, tuple(judged))


# --- shapes ----------------------------------------------------------------

# Pairs whose shapes differ in OCR-B though the recogniser confuses them: O is an oval where 0 has
# straight sides, D a flat back, I serifs where 1 has a flag. Their heights are ruled out above
# (I/1, D/0) or close (O/0); their shapes, scaled to one box, are compared with the same document's
# own glyphs of each class (same blur, same threshold, same print) where the layout fixes the class.
SHAPE_PAIRS = ("O0", "D0", "I1", "OD", "G6")
MIN_SEPARATION = 0.05  # 1 - correlation of the two classes' exemplars, at least: else they look alike
# A glyph (an exemplar's member, or the glyph judged against one of its pair) correlates at least
# this with the font's drawing of its character: else its cell holds a neighbour's glyph or a
# speck (tuning photo 11079: the date's zeros 0.17 and 0.13, cells one off; 5 % of zeros below 0.4).
MIN_FONT_LIKENESS = 0.4
# Per pair (first, second): below the first threshold of the glyph's position (-1 at the first's
# exemplar, +1 at the second's) the first is that many times likelier, above the second threshold
# the second; between, the shape does not tell. Measured on tuning photos 10000-10199 and
# 12000-12199 (document numbers; the other fields with each glyph left out of its exemplar):
# O/0: 76 % of Os but 5.7 % of 0s below -0.7 in document numbers, 88 % of 0s and 0.6 % of Os
# above 0.3; D/0, I/1, O/D: no glyph of ~1,100-1,800 beyond the thresholds on the wrong side.
SHAPE_EVIDENCE = {
    ("O0", ""): ((-0.7, 10.0), (0.3, 20.0)),
    ("D0", ""): ((-0.5, LR_CAP), (0.1, LR_CAP)),
    ("I1", ""): ((-0.5, LR_CAP), (0.1, LR_CAP)),
    ("OD", ""): ((-0.3, LR_CAP), (0.1, LR_CAP)),
    # One class's exemplar drawn from the font (no such glyph where the layout fixes the class; not
    # for O/0, too alike in a blurred photo): the same measure, with the drawn exemplar for that
    # class, thresholds with no glyph of ~230-1,700 per class on the wrong side.
    ("D0", "D"): ((-0.5, LR_CAP), (0.9, LR_CAP)),
    ("D0", "0"): ((-0.7, LR_CAP), (-0.1, LR_CAP)),
    ("I1", "I"): ((-0.3, LR_CAP), (0.1, LR_CAP)),
    ("I1", "1"): ((-0.7, LR_CAP), (-0.1, LR_CAP)),
    ("OD", "O"): ((0.1, LR_CAP), (0.7, LR_CAP)),
    ("OD", "D"): ((-0.9, LR_CAP), (-0.1, LR_CAP)),
    # G/6, which no check digit tells apart (16 and 6 modulo 10): G's bar against 6's closed loop.
    # No G of 49 (149 compared with the drawn G) nor 6 of 210 (642) on the wrong side.
    ("G6", ""): ((-0.5, LR_CAP), (0.2, LR_CAP)),
    ("G6", "G"): ((-0.3, LR_CAP), (0.5, LR_CAP)),
    ("G6", "6"): ((-0.5, LR_CAP), (0.1, LR_CAP)),
}
# A shape's verdict must be the font's too (the glyph nearer the drawing of the class it is said
# to be), except for O/0, too alike drawn: the band's exemplars come from other lines, whose blur may
# differ (tuning photo 11137: a zero of the second line nearer the first line's D than the second
# line's zeros). On tuning photos 10000-10199 and 12000-12199 the font disagreed with 9 of 1,567
# right verdicts on D/0, G/6, I/1 and O/D, and with none wrong.
FONT_UNSURE = ("O0",)
SHAPE_PARTNERS: dict[str, tuple[str, ...]] = {}
for _a, _b in SHAPE_PAIRS:
    SHAPE_PARTNERS[_a] = SHAPE_PARTNERS.get(_a, ()) + (_b,)
    SHAPE_PARTNERS[_b] = SHAPE_PARTNERS.get(_b, ()) + (_a,)


@dataclass(frozen=True)
class ShapeModel:
    """Per class character, the mean shape of the band's glyphs the layout says are that character."""

    glyphs: tuple[LineGlyphs, ...]
    exemplars: dict[str, np.ndarray]
    drawn: frozenset[str] = frozenset()   # characters whose exemplar is the font's (none in the band)

    def position(self, li: int, pos: int, read: str, other: str) -> float | None:
        """Where the glyph at (li, pos) lies from the exemplar of `read` (-1) to that of `other` (+1),
        in units of half their distance; None without both exemplars or a glyph."""
        x = self.glyphs[li].shape(pos) if li < len(self.glyphs) else None
        a, b = self._exemplar(read, other), self._exemplar(other, read)
        if x is None or a is None or b is None or not _like_font(x, read, other):
            return None
        separation = 1.0 - float(a @ b)
        if separation < MIN_SEPARATION:
            return None
        return float(x @ b - x @ a) / separation


    def font_agrees(self, li: int, pos: int, said: str, other: str) -> bool:
        """Whether the glyph looks more like the font's drawing of `said` than of `other` (a second
        opinion, independent of the band's exemplars; True without the font)."""
        x = self.glyphs[li].shape(pos) if li < len(self.glyphs) else None
        a, b = font_shape(said), font_shape(other)
        return x is None or a is None or b is None or float(x @ a) > float(x @ b)

    def source(self, a: str, b: str) -> str:
        """Which of `a`, `b` is compared by the font's drawing ("" when the band shows both)."""
        return next((c for c in (a, b) if c not in self.exemplars and c in self.drawn), "")

    def _exemplar(self, ch: str, other: str) -> np.ndarray | None:
        if ch in self.exemplars:
            return self.exemplars[ch]
        return font_shape(ch) if ch in self.drawn and other in self.exemplars else None


def shape_model(lines: Sequence[str], glyphs: Sequence[LineGlyphs], fmt: str) -> ShapeModel:
    """The band's exemplars of the SHAPE_PAIRS characters, from the fields whose alphabet fixes the
    class (a 0 read in a name is the letter O there, as the parser repairs it)."""
    members = set("".join(SHAPE_PAIRS))
    sums: dict[str, list[np.ndarray]] = {}
    shown = set()
    for seg in LAYOUTS.get(fmt, ()):
        if seg.alphabet not in (DIGITS, LETTERS) or seg.line >= len(lines) or seg.line >= len(glyphs):
            continue
        line = glyphs[seg.line]
        for pos in range(seg.start, min(seg.end, len(lines[seg.line]))):
            ch = lines[seg.line][pos]
            ch = TO_DIGIT.get(ch, ch) if seg.alphabet == DIGITS else TO_LETTER.get(ch, ch)
            shape = line.shape(pos) if ch in members else None
            if shape is not None:
                shown.add(ch)
            if shape is not None and _like_font(shape, ch):
                sums.setdefault(ch, []).append(shape)
    exemplars = {}
    for ch, vectors in sums.items():
        mean = np.mean(vectors, axis=0)
        norm = float(np.linalg.norm(mean))
        if norm > 0:
            exemplars[ch] = mean / norm
    # A pair's member the band does not show is compared by its drawing (SHAPE_EVIDENCE says how); not
    # one it shows unlike the drawing: that document's OCR-B is not Debian's (mrz-passporteye's
    # 77_card-cmw: its ones, unlike the drawn 1, made a one of its number an I).
    drawn = set()
    for pair in SHAPE_PAIRS:
        missing = [ch for ch in pair if ch not in exemplars and ch not in shown]
        if len(missing) == 1 and (pair, missing[0]) in SHAPE_EVIDENCE and font_shape(missing[0]) is not None:
            drawn.add(missing[0])
    return ShapeModel(tuple(glyphs), exemplars, frozenset(drawn))


def _like_font(shape: np.ndarray, *chars: str) -> bool:
    """Whether `shape` looks like the font's drawing of one of `chars` (MIN_FONT_LIKENESS); True
    without the font."""
    drawings = [font_shape(ch) for ch in chars]
    if any(d is None for d in drawings):
        return True
    return max(float(shape @ d) for d in drawings) >= MIN_FONT_LIKENESS


FONT_PATH = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"  # Debian's fonts-ocr-b
_FONT_SHAPES: dict[str, np.ndarray | None] = {}


def font_shape(ch: str) -> np.ndarray | None:
    """`ch` drawn in OCR-B (Debian's fonts-ocr-b), as a shape vector; None without the font."""
    if ch not in _FONT_SHAPES:
        try:
            from PIL import Image, ImageDraw, ImageFont

            font = ImageFont.truetype(FONT_PATH, 120)
        except (ImportError, OSError):
            _FONT_SHAPES[ch] = None
            return None
        image = Image.new("L", (200, 200), 0)
        ImageDraw.Draw(image).text((40, 10), ch, font=font, fill=255)
        ink = np.array(image) > 127
        ys, xs = np.nonzero(ink)
        _FONT_SHAPES[ch] = _shape(ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]) if len(ys) else None
    return _FONT_SHAPES[ch]


def _neutral(a: str, b: str) -> bool:
    """Whether the check digits cannot tell `a` from `b` (their values are equal modulo 10)."""
    return (char_value(a) - char_value(b)) % 10 == 0


def mixed_positions(fmt: str) -> list[tuple[int, int]]:
    """(line, position) of the characters whose field may hold digits and letters alike."""
    layout = LAYOUTS.get(fmt, ())
    return [(seg.line, pos) for seg in layout if seg.alphabet == ALNUM for pos in range(seg.start, seg.end)]


def unchecked_positions(fmt: str) -> list[tuple[int, int]]:
    """(line, position) of the mixed characters no check digit covers: a visa's optional data
    (every other mixed field is under the composite digit or its own)."""
    return [(seg.line, pos) for seg in LAYOUTS.get(fmt, ()) if fmt.startswith("MRV") and seg.name == "personal_number"
            for pos in range(seg.start, seg.end)]


# Mixed fields the visual zone prints (its cross-check can decide between readings there).
PRINTED_FIELDS = ("document_number",)


def unprinted_positions(fmt: str) -> list[tuple[int, int]]:
    """(line, position) of the mixed characters the visual zone does not print: optional data,
    personal numbers, the French card's office code."""
    return [(seg.line, pos) for seg in LAYOUTS.get(fmt, ()) if seg.alphabet == ALNUM
            and seg.name not in PRINTED_FIELDS for pos in range(seg.start, seg.end)]


@dataclass(frozen=True)
class GlyphEvidence:
    lines: list[str]
    rows: list
    changed: int
    # (line, position, character) where the glyph clearly is one member of a pair (HELD_LR): the
    # printed fields of the visual zone, whose reader confuses O/0 and I/1 alike, may not overrule it.
    held: tuple[tuple[int, int, str], ...] = ()
    # (line, position, character) of a member of an OCR-B pair where nothing but the glyph can tell
    # it from its partner (a visa's optional data) and the glyph does not clearly say which
    # (undecided_positions), or under a check digit where its shape clearly says the other member and
    # its height the one read (_at_odds): the check digits may hold either way, so the other reading
    # is an alternative.
    undecided: tuple[tuple[int, int, str], ...] = ()


HELD_LR = 10.0  # a glyph at least this clearly one member holds it against the printed fields


def _shape_ratio(shapes: ShapeModel, li: int, pos: int, read: str, other: str) -> float | None:
    """How much likelier the glyph is `other` than `read` by its shape (SHAPE_EVIDENCE), None when
    the shape does not tell (no exemplars, or between the classes)."""
    for pair in SHAPE_PAIRS:
        if {read, other} == set(pair):
            z = shapes.position(li, pos, pair[0], pair[1])
            if z is None:
                return None
            evidence = SHAPE_EVIDENCE.get((pair, shapes.source(*pair)))
            if evidence is None:
                return None
            (first_below, first_lr), (second_above, second_lr) = evidence
            towards_second = second_lr if z >= second_above else 1.0 / first_lr if z <= first_below else None
            if towards_second is None or pair not in FONT_UNSURE and not shapes.font_agrees(
                    li, pos, pair[1] if towards_second > 1 else pair[0], pair[0] if towards_second > 1 else pair[1]):
                return None
            return towards_second if other == pair[1] else 1.0 / towards_second
    return None


def _shape_excludes(shapes: ShapeModel, li: int, pos: int, said: str, candidates: Sequence[str]) -> bool:
    """Whether the shape says `said` against each other candidate it is paired with (a letter-high
    O against 0 may still be a D: tuning photo 11187)."""
    return all((_shape_ratio(shapes, li, pos, said, q) or LR_CAP) < 1.0 for q in candidates
               if q != said and q in SHAPE_PARTNERS.get(said, ()))


def _at_odds(model: GlyphModel | None, shapes: ShapeModel, li: int, pos: int, read: str, other: str) -> bool:
    """Whether the glyph's shape clearly says the other member of the pair while its height clearly
    says the one read (MIN_LR either way). Their product then looks decided while neither is to be
    trusted: held-out photo 65004 read a TD1 number's OO as 00 (heights 0.08 and 0.02 for O, shapes
    10 for O: weights 7 and 3, so the check digit holds), tuning photo 61059 its G as 6 (height 0.02,
    shape 50 for G). The other way round (the height for the other member, the shape for the one
    read) the shape was right on each of tuning photos 61188, 63062 and 63170 (G/6, shape 50)."""
    height = model.ratio(li, pos, read, other) if model is not None and other in PARTNERS.get(read, ()) else None
    shape = _shape_ratio(shapes, li, pos, read, other)
    return height is not None and shape is not None and height <= 1.0 / MIN_LR and shape >= MIN_LR


def _evidence(model: GlyphModel | None, shapes: ShapeModel, li: int, pos: int, read: str, other: str) -> float | None:
    """The glyph's likelihood ratio of `other` against `read`: its height's (PAIRS) times its
    shape's (SHAPE_PAIRS), LR_CAP at most either way; None when neither tells."""
    height = model.ratio(li, pos, read, other) if model is not None and other in PARTNERS.get(read, ()) else None
    shape = _shape_ratio(shapes, li, pos, read, other)
    if height is None and shape is None:
        return None
    lr = (height if height is not None else 1.0) * (shape if shape is not None else 1.0)
    return float(min(LR_CAP, max(1.0 / LR_CAP, lr)))


def adjust_rows(lines: Sequence[str], rows: Sequence[Sequence], fmt: str,
                images: Sequence[np.ndarray]) -> GlyphEvidence:
    """The lines and probability rows with the glyphs' evidence applied where a mixed field's
    character has an OCR-B partner of the other class (and O/D), with the positions changed and
    the characters the glyphs hold (GlyphEvidence).

    The partner's probability becomes max(its own, PARTNER_FLOOR x the read one's) times the
    likelihood ratio, when the glyph is at least MIN_LR more likely the partner; the
    line's character becomes the likelier of the two."""
    out_rows = [[(np.array(r, np.float32) if r is not None else None) for r in line_rows]
                if line_rows is not None else None for line_rows in rows]
    if len(images) != len(lines):
        return GlyphEvidence(list(lines), out_rows, 0, undecided=undecided_positions(lines, fmt))
    glyphs = [measure_line(img, len(line)) for line, img in zip(lines, images)]
    model = glyph_model(lines, images, fmt, glyphs)
    shapes = shape_model(lines, glyphs, fmt)
    out_lines = [list(line) for line in lines]
    if model is None and not shapes.exemplars:
        return GlyphEvidence(list(lines), out_rows, 0, undecided=undecided_positions(lines, fmt))
    told_apart = set()   # (line, position) whose character the glyph clearly tells from its partner
    at_odds = set()      # (line, position) under a check digit whose shape speaks against its height (_at_odds)
    uncovered = set(unchecked_positions(fmt))
    unprinted = set(unprinted_positions(fmt))
    changed = 0
    held = []
    for li, pos in mixed_positions(fmt):
        if li >= len(lines) or pos >= len(lines[li]) or out_rows[li] is None:
            continue
        read = lines[li][pos]
        partners = tuple(dict.fromkeys(PARTNERS.get(read, ()) + SHAPE_PARTNERS.get(read, ())))
        if not partners:
            continue
        measured = {p: _evidence(model, shapes, li, pos, read, p) for p in partners}
        if read in UNDECIDED_PARTNER:
            told = measured.get(UNDECIDED_PARTNER[read])
            if told is not None and (told <= 1.0 / MIN_LR or told >= FLIP_LR):
                told_apart.add((li, pos))  # the glyph is clearly the class read, or clearly enough the other to flip
            if (li, pos) not in uncovered and _at_odds(model, shapes, li, pos, read, UNDECIDED_PARTNER[read]):
                at_odds.add((li, pos))
        ratios = {p: r for p, r in measured.items() if r is not None and r >= MIN_LR}
        # Held: the shape tells (SHAPE_EVIDENCE) and height and shape together are HELD_LR sure.
        by_shape = {p: _shape_ratio(shapes, li, pos, read, p) for p in partners}
        held += [(li, pos, p) for p, r in ratios.items() if r >= HELD_LR and (by_shape[p] or 0.0) > 1.0
                 and _shape_excludes(shapes, li, pos, p, partners)]
        if all(r is not None and r <= 1.0 / HELD_LR and by_shape[p] is not None and by_shape[p] < 1.0
               for p, r in measured.items()):
            held.append((li, pos, read))
        if (li, pos) in unprinted:
            # No check digit tells G from 6 and the visual zone does not print the field: unless
            # the glyph clearly is the class read, the other reading is an alternative (the
            # reading is not trusted) rather than a silent guess (tuning range 6000-6199).
            ratios.update({p: MIN_LR for p, r in measured.items()
                           if r is not None and 1.0 / MIN_LR < r < MIN_LR and _neutral(read, p)})
        # The glyph clearly the class read: the recogniser's share for the other member shrinks by
        # the glyph's ratio, so the check digits cannot make a change the glyph speaks against (a
        # check digit printed wrong was "repaired" by turning a clearly printed 0 into O).
        clear = {p: r for p, r in measured.items() if r is not None and r <= 1.0 / MIN_LR and not _neutral(read, p)}
        # The glyph between the classes in a document number: the other member is an option for the
        # check digits (PARTNER_FLOOR), however sure the recogniser was (tuning photo 8139: IGO6765208
        # read IG06765208 without a doubt, the 0's glyph measured between O and 0). Only where the
        # visual zone prints the field, so its cross-check can refuse the change: in a French card's
        # office code it turned a check digit printed wrong valid (tuning photo 8079).
        for p, r in measured.items():
            if r is not None and 1.0 / MIN_LR < r < MIN_LR and not _neutral(read, p) and (li, pos) not in unprinted:
                ratios.setdefault(p, 1.0)
        if not ratios and not clear:
            continue
        row = out_rows[li][pos]
        if row is None:
            row = np.zeros(len(MRZ_CHARS), np.float32)
            row[_INDEX[read]] = 1.0
        for partner, towards_read in clear.items():
            row[_INDEX[partner]] = float(row[_INDEX[partner]]) * towards_read
        p_read = float(row[_INDEX[read]])
        for partner, towards_other in ratios.items():
            if (li, pos, partner) in held:
                # The shape and height both say the partner (none of 852 such glyphs on tuning photos
                # was wrong): it is read, and the character read costs the check digits ln(LR_CAP)
                # to return (a check digit then failing costs more).
                p_partner = max(float(row[_INDEX[partner]]), p_read)
                row[_INDEX[read]] = p_partner / LR_CAP
                p_read = float(row[_INDEX[read]])
            elif towards_other >= FLIP_LR and (li, pos) in uncovered:
                # Nothing but the glyph can choose here: it does.
                p_partner = max(float(row[_INDEX[partner]]), 1.25 * p_read)
            elif _neutral(read, partner):
                # No check digit tells these apart (G counts 16, 6 counts 6): the glyph makes the
                # other reading an alternative, for the printed fields to decide, never the reading.
                p_partner = max(float(row[_INDEX[partner]]), NEUTRAL_SHARE * p_read)
            else:
                # An alternative for the check digits to weigh, never more likely than the reading:
                # a correct reading whose digits hold stays the cheapest.
                p_partner = min(PARTNER_CAP * p_read,
                                max(float(row[_INDEX[partner]]), PARTNER_FLOOR * p_read) * towards_other)
            row[_INDEX[partner]] = max(float(row[_INDEX[partner]]), p_partner)
        total = float(row.sum())
        if total > 0:
            row = row / total
        out_rows[li][pos] = row
        best = MRZ_CHARS[int(row.argmax())]
        if best != read:
            out_lines[li][pos] = best
            changed += 1
    final = ["".join(line) for line in out_lines]
    held_at = {(li, pos) for li, pos, _ in held}
    odd = tuple((li, pos, final[li][pos]) for li, pos in sorted(at_odds - held_at) if final[li][pos] in UNDECIDED_PARTNER)
    return GlyphEvidence(final, out_rows, changed, tuple(held), undecided_positions(final, fmt, told_apart) + odd)


# Where a visa's optional data holds one member of an OCR-B pair (O/0, Z/2, S/5, B/8, G/6), no check
# digit covers it and the visual zone does not print it: only the glyph tells the members apart
# (FLIP_LR), and where it does not clearly say which (a ratio between 1 / MIN_LR and FLIP_LR, or not
# measured) the other member reads as well (tuning photo 18009: SO5043 read S05043, its glyph's
# ratio 0.5, the reading approved; tuning photo 61056: optional data Z898826 read 2898826, approved).
UNDECIDED_PAIRS = PAIRS
UNDECIDED_PARTNER = {a: b for pair in UNDECIDED_PAIRS for a, b in (pair, pair[::-1])}


def undecided_positions(lines: Sequence[str], fmt: str, told_apart: Collection[tuple[int, int]] = ()
                        ) -> tuple[tuple[int, int, str], ...]:
    """(line, position, character) of each member of an undecided pair (UNDECIDED_PARTNER) in a
    field only the glyph can decide (unchecked_positions) that is not among the (line, position)
    the glyph `told_apart`."""
    return tuple((li, pos, lines[li][pos]) for li, pos in unchecked_positions(fmt)
                 if li < len(lines) and pos < len(lines[li]) and lines[li][pos] in UNDECIDED_PARTNER
                 and (li, pos) not in told_apart)


# --- fillers: is the reading in step with the glyphs? ------------------------

# The filler `<` is a chevron no other OCR-B glyph resembles: a glyph correlating at least
# FONT_FILLER with its drawing is taken as one of the line's fillers (the nearest other glyph, K,
# reached 0.55 on tuning photos 14000-14029); their mean shape is the line's filler exemplar. Against
# it, the same photos' fillers correlated 0.82 and more, every other glyph 0.61 at most (K again).
FONT_FILLER = 0.6
MIN_FILLER_EXEMPLARS = 3
IS_FILLER = 0.75      # a glyph at least this like the line's fillers is one
# A glyph at most this like them is some other character: K, the filler's lookalike (up to 0.61),
# and a filler drawn wider by a speck beside it (0.63, tuning photo 14044) fall between.
NOT_FILLER = 0.45


def filler_verdicts(glyphs: Sequence[LineGlyphs]) -> list[list[bool | None]]:
    """Per line and cell: True where the glyph clearly is a filler, False where it clearly is
    another character, None where it is unsure or not measured (or the band shows too few
    fillers to compare with)."""
    drawn = font_shape("<")
    shapes = [[g.shape(pos) for pos in range(len(g.heights))] for g in glyphs]
    if drawn is None:
        return [[None] * len(line) for line in shapes]
    like = [[s for s in line if s is not None and float(s @ drawn) >= FONT_FILLER] for line in shapes]
    pooled = [s for line in like for s in line]
    out = []
    for line, own in zip(shapes, like):
        exemplars = own if len(own) >= MIN_FILLER_EXEMPLARS else pooled
        if len(exemplars) < MIN_FILLER_EXEMPLARS:
            out.append([None] * len(line))
            continue
        mean = np.mean(exemplars, axis=0)
        mean = mean / max(float(np.linalg.norm(mean)), 1e-9)
        verdicts: list[bool | None] = []
        for s in line:
            c = float(s @ mean) if s is not None else None
            verdicts.append(None if c is None else True if c >= IS_FILLER else False if c <= NOT_FILLER else None)
        out.append(verdicts)
    return out


# Glyphs drawn like the filler: a real passport's K measured 0.77 against its line's fillers
# (mrz-passporteye's 27_pass-gbr, KINGDOM; 0.61 at most on the tuning photos). A K read on a
# filler-like glyph says nothing of the line's step.
FILLER_SHAPED = frozenset("K")


def out_of_step(lines: Sequence[str], glyphs: Sequence[LineGlyphs],
                verdicts: Sequence[Sequence[bool | None]] | None = None) -> tuple[tuple[int, int, str], ...]:
    """(line, position, character the glyph shows) wherever the reading says a filler and the glyph
    clearly is another character (the nearest drawing in OCR-B names it), or the other way round
    (`<`): a line read a character out of step (one dropped or doubled, the length fitted
    elsewhere) puts data where the fillers are printed. `verdicts`: filler_verdicts(glyphs)."""
    if verdicts is None:
        verdicts = filler_verdicts(glyphs)
    out = []
    for li, (line, line_verdicts) in enumerate(zip(lines, verdicts)):
        for pos, (ch, filler) in enumerate(zip(line, line_verdicts)):
            if filler and ch in FILLER_SHAPED:
                continue
            if filler is not None and filler != (ch == "<"):
                out.append((li, pos, "<" if filler else _nearest_drawn(glyphs[li].shape(pos))))
    return tuple(out)


_DATA_CHARS = MRZ_CHARS.replace("<", "")


def _nearest_drawn(shape: np.ndarray | None) -> str:
    """The character whose OCR-B drawing `shape` is nearest (a glyph that is no filler)."""
    scores = [(float(shape @ d), ch) for ch in _DATA_CHARS
              if shape is not None and (d := font_shape(ch)) is not None]
    return max(scores)[1] if scores else "?"


# A check digit whose glyph is clearly another digit's OCR-B drawing (its likeness at least
# CHECK_OTHER_LIKENESS and CHECK_MARGIN above the digit read's) was misread, and the reading's
# check digits hold by chance (held-out photo 66176: a composite digit printed 9, wrong on the
# document, read 0, the 9's glyph 0.98 like a 9 and 0.27 like a 0, reported valid). On tuning
# photos 61000-61199 and 63000-63199 the rule fires on none of the 1,526 check digits read
# correctly.
CHECK_OTHER_LIKENESS = 0.85
CHECK_MARGIN = 0.4
_DIGIT_CHARS = "0123456789"


def misread_check_digits(lines: Sequence[str], fmt: str, glyphs: Sequence[LineGlyphs]
                         ) -> tuple[tuple[int, int, str], ...]:
    """(line, position, the digit the glyph shows) of each check digit whose glyph is clearly
    another digit (CHECK_OTHER_LIKENESS, CHECK_MARGIN)."""
    out = []
    for li, pos in sorted(check_digit_positions(fmt) if fmt in LAYOUTS else ()):
        if li >= len(lines) or li >= len(glyphs) or len(lines[li]) != len(glyphs[li].heights) \
                or lines[li][pos] not in _DIGIT_CHARS:
            continue
        shape = glyphs[li].shape(pos)
        own = _likeness(shape, lines[li][pos])
        if own is None:
            continue
        best, digit = max((_likeness(shape, d) or -1.0, d) for d in _DIGIT_CHARS if d != lines[li][pos])
        if best >= CHECK_OTHER_LIKENESS and best - own >= CHECK_MARGIN:
            out.append((li, pos, digit))
    return tuple(out)


# A line re-read where it differs from the first reading in more than SHIFT_DIFFERENCES characters
# was read shifted, one of the two (a character doubled in one place and dropped in another): in a
# run of data with no filler to tell (a TD2's optional data), the glyphs' likeness to the OCR-B
# drawings of each reading's characters tells which one is in step (tuning photo 19067: ZE184221
# re-read 2ZE18422, its composite digit holding by chance on a document printed with a wrong one).
SHIFT_DIFFERENCES = 4
SHIFT_MARGIN = 0.15   # mean likeness per differing glyph by which the first reading must match better


def shifted_cells(lines: Sequence[str], first: Sequence[str], glyphs: Sequence[LineGlyphs]
                  ) -> tuple[tuple[int, int, str], ...]:
    """(line, position, the first reading's character) where a line of `lines` read shifted from
    `first` puts characters the glyphs clearly look less like than the first reading's: the
    re-read is the one out of step."""
    out = []
    for li, (line, ref) in enumerate(zip(lines, first)):
        if li >= len(glyphs) or len(line) != len(ref) or len(line) != len(glyphs[li].heights):
            continue
        differing = [pos for pos, (a, b) in enumerate(zip(line, ref)) if a != b]
        if len(differing) <= SHIFT_DIFFERENCES:
            continue
        scored = [(pos, _likeness(glyphs[li].shape(pos), line[pos]), _likeness(glyphs[li].shape(pos), ref[pos]))
                  for pos in differing]
        scored = [(pos, own, theirs) for pos, own, theirs in scored if own is not None and theirs is not None]
        if len(scored) > SHIFT_DIFFERENCES and \
                sum(theirs - own for _, own, theirs in scored) > SHIFT_MARGIN * len(scored):
            out += [(li, pos, ref[pos]) for pos, own, theirs in scored if theirs > own]
    return tuple(out)


def _likeness(shape: np.ndarray | None, ch: str) -> float | None:
    """The glyph's correlation with the OCR-B drawing of `ch` (None without either)."""
    drawn = font_shape(ch) if shape is not None else None
    return float(shape @ drawn) if drawn is not None and shape is not None else None
