"""MRZ lines rendered in the OCR-B font onto a card-like page, for the text extraction tests."""
from __future__ import annotations

import glob
from pathlib import Path

import cv2
import numpy as np
import pytest


def ocr_b_font() -> Path:
    for candidate in ("/usr/share/fonts/opentype/ocr-b/OCRB.otf", *glob.glob("/usr/share/fonts/**/OCRB*.otf", recursive=True)):
        if Path(candidate).is_file():
            return Path(candidate)
    pytest.skip("the OCR-B font (Debian package fonts-ocr-b) is not installed")


def render_mrz_page(lines: tuple[str, ...], skew_degrees: float = 0.0) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(ocr_b_font()), 28)
    width = int(max(font.getlength(line) for line in lines))
    page = Image.new("L", (width + 80, 420), 235)
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), "SPECIMEN  IDENTITY CARD", fill=40, font=ImageFont.truetype(str(ocr_b_font()), 22))
    y = 420 - 50 * len(lines) - 30
    for line in lines:
        draw.text((40, y), line, fill=20, font=font)
        y += 50
    if skew_degrees:
        page = page.rotate(skew_degrees, expand=True, fillcolor=235)
    gray = np.array(page)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
