"""Read the MRZ of a document photo: locate, split into lines, OCR, vote, parse.

RapidOCR's recogniser reads each located line (about 40 ms a line); when
its reading does not validate, Tesseract reads the same lines and the two
readings are combined position by position, preferring the combination whose
check digits validate. Every candidate is a reading some engine produced:
data is never changed to make a check digit pass, so a document whose
printed check digits are wrong is reported invalid.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import cv2
import numpy as np

from identity_app.checks import ocr_engines
from identity_app.checks.document_data import Repair
from identity_app.checks.icao import MRZ_ALPHABET
from identity_app.checks.mrz_locate import MRZCandidate, find_mrz_candidates, rotate
from identity_app.checks.mrz_parse import ParsedMRZ, parse_mrz

FORMAT_WIDTHS = {2: (44, 36), 3: (30,)}
MAX_VOTE_POSITIONS = 10          # 2**10 combinations at most
LINE_HEIGHT_FOR_TESSERACT = 48   # px: Tesseract reads OCR-B best around this size


@dataclass(frozen=True)
class MRZReading:
    parsed: ParsedMRZ
    rotation: int                 # degrees the image was turned (clockwise) to read it
    engine: str
    length_repairs: tuple[Repair, ...] = ()
    confidence: float = 0.0

    @property
    def repairs(self) -> tuple[Repair, ...]:
        return self.length_repairs + self.parsed.repairs


# --- text clean-up -------------------------------------------------------

_LOOKALIKE_FILLERS = {"«": "<", "‹": "<", "〈": "<", "(": "<", "[": "<", "{": "<", "≤": "<"}


def clean_line(text: str) -> str:
    """Upper-case, fillers normalised, spaces and non-MRZ characters dropped."""
    out = []
    for ch in text.upper():
        ch = _LOOKALIKE_FILLERS.get(ch, ch)
        if ch in MRZ_ALPHABET:
            out.append(ch)
    return "".join(out)


def fit_length(line: str, target: int, line_no: int) -> tuple[str, list[Repair]]:
    """Make a line `target` long by adding or removing fillers in its longest filler run.

    OCR engines most often drop or double a `<` inside a long run of them;
    other length errors are left for the check digits to expose.
    """
    repairs: list[Repair] = []
    while len(line) != target:
        runs = [(m_end - m_start, m_start, m_end) for m_start, m_end in _filler_runs(line)]
        if len(line) > target:
            if runs and max(runs)[0] >= 2:
                _, start, end = max(runs)
                line = line[:end - 1] + line[end:]
                repairs.append(Repair(line_no, end, "<", "", "line too long: one filler removed from a run"))
            else:
                repairs.append(Repair(line_no, len(line), line[-1], "", "line too long: last character dropped"))
                line = line[:-1]
        else:
            if runs:
                _, start, end = max(runs)
                line = line[:end] + "<" + line[end:]
                repairs.append(Repair(line_no, end + 1, "", "<", "line too short: one filler added to a run"))
            else:
                line = line + "<"
                repairs.append(Repair(line_no, len(line), "", "<", "line too short: filler added at the end"))
    return line, repairs


def _filler_runs(line: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, ch in enumerate(line + "#"):
        if ch == "<" and start is None:
            start = i
        elif ch != "<" and start is not None:
            runs.append((start, i))
            start = None
    return runs


# --- line splitting -------------------------------------------------------

def split_lines(crop: np.ndarray) -> list[np.ndarray]:
    """Cut a levelled MRZ band into its text lines by the row profile of dark ink."""
    blur = cv2.GaussianBlur(crop, (3, 3), 0)
    _, ink = cv2.threshold(blur, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    profile = ink.mean(axis=1)
    k = max(3, crop.shape[0] // 40) | 1
    profile = np.convolve(profile, np.ones(k) / k, mode="same")
    on = profile > max(0.3 * float(profile.max()), 0.02)
    runs, start = [], None
    for i, v in enumerate(list(on) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            runs.append((start, i))
            start = None
    if not runs:
        return []
    tallest = max(e - s for s, e in runs)
    runs = [(s, e) for s, e in runs if e - s >= 0.4 * tallest]
    lines = []
    for s, e in runs:
        pad = max(2, int((e - s) * 0.3))
        lines.append(crop[max(0, s - pad):min(crop.shape[0], e + pad)])
    return lines


# --- engines on lines -----------------------------------------------------

def _rapid(line_img: np.ndarray) -> tuple[str, float]:
    text, score = ocr_engines.rapidocr_read_line(line_img)
    return clean_line(text), score


def _tesseract(line_img: np.ndarray) -> tuple[str, float]:
    h, w = line_img.shape[:2]
    scale = LINE_HEIGHT_FOR_TESSERACT / max(h, 1)
    up = cv2.resize(line_img, (max(1, int(w * scale)), LINE_HEIGHT_FOR_TESSERACT), interpolation=cv2.INTER_CUBIC)
    _, bw = cv2.threshold(cv2.GaussianBlur(up, (3, 3), 0), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    bw = cv2.copyMakeBorder(bw, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
    return clean_line(ocr_engines.tesseract_text(bw, psm=7)), 0.5


def _best_window(readings: Sequence[str], confidences: Sequence[float]) -> tuple[ParsedMRZ, list[Repair], tuple[int, int], float] | None:
    """Pick the 2 or 3 consecutive lines that parse best as some MRZ format."""
    best = None
    for count, widths in FORMAT_WIDTHS.items():
        for first in range(0, len(readings) - count + 1):
            window = readings[first:first + count]
            for width in widths:
                if any(abs(len(r) - width) > 4 for r in window):
                    continue
                fitted, repairs = [], []
                for i, r in enumerate(window):
                    line, rep = fit_length(r, width, i + 1)
                    fitted.append(line)
                    repairs += rep
                parsed = parse_mrz(fitted)
                if parsed is None:
                    continue
                conf = float(np.mean(confidences[first:first + count]))
                key = (parsed.valid_count, -len(repairs), conf)
                if best is None or key > best[0]:
                    best = (key, parsed, repairs, (first, count), conf)
    return None if best is None else best[1:]


def _vote(lines_a: Sequence[str], lines_b: Sequence[str]) -> list[tuple[str, ...]]:
    """Every combination of the two readings at the positions where they differ."""
    flat_a, flat_b = "".join(lines_a), "".join(lines_b)
    diff = [i for i, (a, b) in enumerate(zip(flat_a, flat_b)) if a != b][:MAX_VOTE_POSITIONS]
    widths = [len(x) for x in lines_a]
    out = []
    for choice in itertools.product((0, 1), repeat=len(diff)):
        chars = list(flat_a)
        for pick, pos in zip(choice, diff):
            if pick:
                chars[pos] = flat_b[pos]
        text = "".join(chars)
        split, start = [], 0
        for w in widths:
            split.append(text[start:start + w])
            start += w
        out.append(tuple(split))
    return out


def _read_band(line_imgs: list[np.ndarray], use_tesseract: bool) -> tuple[ParsedMRZ, list[Repair], str, float] | None:
    rapid = [_rapid(img) for img in line_imgs]
    found = _best_window([t for t, _ in rapid], [s for _, s in rapid])
    if found is None:
        return None
    parsed, repairs, (first, count), conf = found
    if parsed.valid or not use_tesseract or not ocr_engines.tesseract_available():
        return parsed, repairs, "rapidocr", conf
    tess = [_tesseract(img)[0] for img in line_imgs[first:first + count]]
    widths = [len(line) for line in parsed.lines]
    tess_fitted = []
    for i, (t, w) in enumerate(zip(tess, widths)):
        if abs(len(t) - w) > 4:
            return parsed, repairs, "rapidocr", conf
        tess_fitted.append(fit_length(t, w, i + 1)[0])
    # The raw (unrepaired) RapidOCR lines, fitted the same way, are the first voter.
    rapid_fitted = [fit_length(rapid[first + i][0], w, i + 1)[0] for i, w in enumerate(widths)]
    best = (parsed.valid_count, 1, parsed)
    for combo in _vote(rapid_fitted, tess_fitted):
        cand = parse_mrz(combo)
        if cand is None:
            continue
        same = int(cand.lines == parsed.lines)
        if (cand.valid_count, same) > best[:2]:
            best = (cand.valid_count, same, cand)
    chosen = best[2]
    engine = "rapidocr" if chosen is parsed else "rapidocr+tesseract"
    return chosen, repairs, engine, conf


def _orientations(candidate: MRZCandidate) -> list[tuple[int, np.ndarray]]:
    return [(candidate.rotation, candidate.crop), ((candidate.rotation + 180) % 360, rotate(candidate.crop, 180))]


def read_mrz(image_bgr: np.ndarray, use_tesseract: bool = True, max_candidates: int = 3) -> MRZReading | None:
    """The best MRZ reading in the image, or None when no MRZ could be read."""
    best: MRZReading | None = None
    for candidate in find_mrz_candidates(image_bgr, max_candidates=max_candidates):
        for rotation, crop in _orientations(candidate):
            lines = split_lines(crop)
            if len(lines) < 2:
                continue
            result = _read_band(lines, use_tesseract)
            if result is None:
                continue
            parsed, repairs, engine, conf = result
            reading = MRZReading(parsed, rotation, engine, tuple(repairs), conf)
            if best is None or (parsed.valid_count, conf) > (best.parsed.valid_count, best.confidence):
                best = reading
            if parsed.valid:
                return best
    return best
