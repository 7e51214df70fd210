"""The OCR engines text extraction uses, loaded once per process, lazily.

Tesseract (through pytesseract; the apt package brings the English LSTM
model) reads MRZ bands with a whitelist of the MRZ alphabet; RapidOCR (its
PP-OCR ONNX models ship inside the wheel) is the second engine for MRZ lines
and the reader of the visual zone. Nothing heavy is imported at module
import time, so the web server can import this module for free.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

MRZ_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def _tesseract_env() -> None:
    # Tesseract's OpenMP threads fight each other on 2 cores: one thread is ~4x faster.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@lru_cache(maxsize=1)
def _pytesseract() -> Any:
    _tesseract_env()
    import pytesseract

    return pytesseract


def tesseract_config(psm: int, whitelist: str | None = MRZ_WHITELIST) -> str:
    """Config for OCR-B MRZ text: no dictionaries (MRZ text is not words)."""
    parts = [f"--oem 1 --psm {psm}", "-c load_system_dawg=0", "-c load_freq_dawg=0"]
    if whitelist:
        parts.append(f"-c tessedit_char_whitelist={whitelist}")
    return " ".join(parts)


def tesseract_text(image: np.ndarray, psm: int = 6, whitelist: str | None = MRZ_WHITELIST) -> str:
    """Text Tesseract reads in a grey or binary image (lines separated by newlines)."""
    return _pytesseract().image_to_string(image, config=tesseract_config(psm, whitelist))


@lru_cache(maxsize=1)
def tesseract_available() -> bool:
    try:
        _pytesseract().get_tesseract_version()
        return True
    except Exception:  # noqa: BLE001 - any failure means "cannot use it"
        return False


@lru_cache(maxsize=2)
def rapidocr_engine(kind: str = "page") -> Any:
    """A RapidOCR pipeline: "page" (detection + recognition) or "line" (recognition only).

    Two instances because RapidOCR stores the per-call flags (use_det ...) on
    the engine: each instance is always called with the same flags, so
    threads sharing one cannot switch another's mode mid-call.
    """
    from rapidocr import RapidOCR

    # Detection at most 960 px on the long side: the visual zone's text is large
    # enough, and the default (upscaling the short side to 736) costs ~0.7 s.
    # One ONNX Runtime thread: its spinning worker threads cost 2x under
    # contention on 2 cores (other checks, the web server) and gain little
    # on one 48-px text line.
    return RapidOCR(params={
        "Global.use_det": kind == "page",
        "Global.use_cls": False,
        "Global.log_level": "critical",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "Det.limit_type": "max",
        "Det.limit_side_len": 960,
        # Unbatched recognition: batches pad every line to the widest one
        # (measured ~15% slower on a passport page with batches of 6).
        "Rec.rec_batch_num": 1,
        # RapidOCR pads every line to at least 320 px (at 48 px high); half the
        # lines of a document page are narrower (median 225 px), so that padding
        # was a quarter of all recognition work. 160 px keeps enough padding for
        # short dates ("10 04 1950" read as "1004 1950" at 48-96 px) and read the
        # same printed fields on the 38 shared documents. The MRZ line reader
        # keeps RapidOCR's default (MRZ lines are wider anyway).
        "Rec.rec_img_shape": [3, 48, 160 if kind == "page" else 320],
    })


def rapidocr_read_line(image: np.ndarray) -> tuple[str, float]:
    """Recognition only: read `image` as one line of text (text, confidence)."""
    if image.ndim == 2:
        import cv2

        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    result = rapidocr_engine("line")(image, use_det=False, use_cls=False, use_rec=True)
    texts = getattr(result, "txts", None) or ("",)
    scores = getattr(result, "scores", None) or (0.0,)
    return str(texts[0]), float(scores[0])


MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
# Characters the recogniser returns for an MRZ character (case, filler look-alikes).
_AS_MRZ = {"«": "<", "‹": "<", "〈": "<", "(": "<", "[": "<", "{": "<", "≤": "<", "く": "<"}
MIN_MRZ_MASS = 0.2   # a character whose MRZ-alphabet probability is below this is not an MRZ character


@lru_cache(maxsize=1)
def _mrz_projection() -> tuple[np.ndarray, np.ndarray]:
    """(the recogniser's classes that are MRZ characters, a (those x 37) matrix summing them
    into the MRZ alphabet): upper and lower case, filler look-alikes."""
    chars = rapidocr_engine("line")._load_rec_model().postprocess_op.character
    cols, targets = [], []
    for i, ch in enumerate(chars):
        if i == 0 or len(ch) != 1:  # the CTC blank, multi-character tokens
            continue
        mapped = _AS_MRZ.get(ch, ch.upper())
        j = MRZ_CHARS.find(mapped) if len(mapped) == 1 else -1
        if j >= 0:
            cols.append(i)
            targets.append(j)
    proj = np.zeros((len(cols), len(MRZ_CHARS)), np.float32)
    proj[np.arange(len(cols)), targets] = 1.0
    return np.array(cols), proj


def rapidocr_line_distributions(image: np.ndarray) -> tuple[str, float, np.ndarray]:
    """Recognition only, keeping what the recogniser hesitated about.

    Returns (text, confidence, probabilities): `text` holds only MRZ
    characters (the most likely MRZ character of every character the
    recogniser emitted with enough MRZ-alphabet probability), and
    `probabilities` is a (len(text) x 37) array over MRZ_CHARS, each row
    the recogniser's probabilities at that character (renormalised over the
    MRZ alphabet). The same preprocessing and model as `rapidocr_read_line`.
    """
    import cv2

    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    engine = rapidocr_engine("line")
    rec = engine._load_rec_model()
    img, _ = engine.preprocess_img(engine.load_img(image))
    c, h_target, w_target = rec.rec_image_shape[:3]
    h, w = img.shape[:2]
    norm = rec.resize_norm_img(img, max(w_target / h_target, w / max(h, 1)))[np.newaxis].astype(np.float32)
    preds = rec.session(norm)[0]                       # (T, classes), softmax
    best = preds.argmax(axis=1)
    cols, proj = _mrz_projection()
    mrz = preds[:, cols] @ proj                        # (T, 37)
    rows, confidences, prev = [], [], -1
    start = 0
    for t in range(len(best) + 1):
        k = best[t] if t < len(best) else -1
        if t < len(best) and k == prev:
            continue
        if prev > 0:  # the segment [start, t) emitted one character
            seg = mrz[start:t]
            peak = int(seg.sum(axis=1).argmax())
            mass = float(seg[peak].sum())
            if mass >= MIN_MRZ_MASS:
                rows.append(seg[peak] / mass)
                confidences.append(float(preds[start:t, prev].max()))
        prev, start = k, t
    probs = np.array(rows, np.float32).reshape(-1, len(MRZ_CHARS))
    text = "".join(MRZ_CHARS[i] for i in probs.argmax(axis=1)) if len(rows) else ""
    return text, (float(np.mean(confidences)) if confidences else 0.0), probs


def rapidocr_lines_distributions(images: Sequence[np.ndarray]) -> list[tuple[str, float, np.ndarray]]:
    """`rapidocr_line_distributions` of each image, every other one on the helper thread."""
    images = list(images)
    if len(images) < 2:
        return [rapidocr_line_distributions(image) for image in images]
    helper = _helper_pool().submit(lambda: [rapidocr_line_distributions(image) for image in images[1::2]])
    out: list = [None] * len(images)
    out[0::2] = [rapidocr_line_distributions(image) for image in images[0::2]]
    out[1::2] = helper.result()
    return out


def rapidocr_read_lines(images: Sequence[np.ndarray], parallel: bool = True) -> list[tuple[str, float]]:
    """`rapidocr_read_line` of each image (the lines of one MRZ band), in order.

    parallel: every other line is read on the helper thread, so a band's two or
    three lines take about the time of one or two. The "line" engine is called
    with the same flags from both threads (see rapidocr_engine), and ONNX
    Runtime sessions may run concurrently.
    """
    images = list(images)
    if not parallel or len(images) < 2:
        return [rapidocr_read_line(image) for image in images]
    helper = _helper_pool().submit(lambda: [rapidocr_read_line(image) for image in images[1::2]])
    out: list[tuple[str, float]] = [("", 0.0)] * len(images)
    out[0::2] = [rapidocr_read_line(image) for image in images[0::2]]
    out[1::2] = helper.result()
    return out


def rapidocr_lines(
    image: np.ndarray,
    skip: Callable[[np.ndarray], bool] | None = None,
    parallel: bool = True,
) -> list[tuple[str, float, np.ndarray]]:
    """(text, confidence, box as 4 corner points) per text line RapidOCR finds in `image`.

    RapidOCR's own page pipeline (rapidocr 3.10: preprocess, detect and crop,
    recognise, drop empty or low-confidence text), with two savings that
    leave every line it does read unchanged:
    - `skip(box)` True: that detected line is not recognised (the MRZ lines,
      which the MRZ reader has read already). Recognition costs ~25 ms a line
      at least, so every skipped line counts.
    - parallel: the lines are recognised by two threads (ONNX Runtime releases
      the GIL; a session may run concurrently), so a page read uses the second
      core whenever it is idle.
    """
    from rapidocr.main import RapidOCRError
    from rapidocr.ch_ppocr_rec import TextRecInput
    from rapidocr.utils.process_img import map_boxes_to_original

    engine = rapidocr_engine("page")
    original = engine.load_img(image)
    img, op_record = engine.preprocess_img(original)
    try:
        crops, det = engine.detect_and_crop(img, op_record)
    except RapidOCRError:  # no text detected
        return []
    boxes = map_boxes_to_original(np.array(det.boxes, dtype=np.float32), op_record, *original.shape[:2])
    wanted = [i for i, box in enumerate(boxes) if skip is None or not skip(box)]
    recogniser = engine._load_rec_model()

    def recognise(indices: list[int]) -> list[tuple[str, float]]:
        if not indices:
            return []
        out = recogniser(TextRecInput(img=[crops[i] for i in indices], return_word_box=False))
        return list(zip(out.txts, out.scores))

    # Alternate by width so both halves cost about the same.
    by_width = sorted(wanted, key=lambda i: crops[i].shape[1] / max(1, crops[i].shape[0]))
    halves = (by_width[0::2], by_width[1::2]) if parallel and len(by_width) > 1 else (by_width, [])
    helper = _helper_pool().submit(recognise, halves[1]) if halves[1] else None
    results = dict(zip(halves[0], recognise(halves[0])))
    if helper is not None:
        results.update(zip(halves[1], helper.result()))
    lines = []
    for i in wanted:  # detection order, as RapidOCR returns it
        text, score = results[i]
        if text.strip() and score >= engine.text_score:
            lines.append((str(text), float(score), np.asarray(boxes[i])))
    return lines


@lru_cache(maxsize=1)
def _helper_pool() -> Any:
    # One thread: the second core. Nothing that runs on it may wait for it (no nesting).
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-recognition")


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Give the memory freed by the last document's reading back to the system.

    A document's reading allocates and frees hundreds of MB of image buffers
    (renderings of the MRZ lines, the page for detection, ONNX Runtime's
    tensors) on two threads. glibc keeps what is freed in its heaps: a worker
    reading generated documents with the visual zone held 530 MB after its
    first document and 690 MB after 30 (about 5 MB a document), of which
    malloc_trim gave 275 MB back every time (415 MB live, constant). True
    when trimmed (glibc), False elsewhere.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def warm_up() -> None:
    """Load both RapidOCR pipelines (ONNX sessions) and find Tesseract now, not on the first document."""
    blank = np.full((64, 256, 3), 255, np.uint8)
    rapidocr_lines(blank, parallel=False)  # detection (a blank page stops before recognition)
    rapidocr_engine("page")._load_rec_model()
    rapidocr_read_line(blank)
    tesseract_available()
