"""Reading documents all day in one worker must not grow its memory: what a reading frees goes
back to the system (ocr_engines.release_freed_memory after every extract_document_text), and the
MRZ evaluation's capture photos are made one at a time."""
from __future__ import annotations

import inspect
import sys

import numpy as np
import pytest

from identity_app.checks import ocr_engines, text_extraction

MB = 1 << 20


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux") or ocr_engines._malloc_trim() is None,
                    reason="glibc only")
def test_memory_a_reading_frees_goes_back_to_the_system():
    ocr_engines.release_freed_memory()
    before = _rss_mb()
    big = np.ones(16 * MB, np.uint8)  # freed, it raises glibc's mmap threshold: 1 MB buffers then come from its heap
    del big
    blocks = [np.ones(MB, np.uint8) for _ in range(150)]
    blocks = blocks[-1:]  # 149 MB freed below a block still in use: glibc keeps them unless trimmed
    assert ocr_engines.release_freed_memory() is True
    assert _rss_mb() - before < 40, "freed buffers were kept by the process"
    del blocks


def test_every_document_reading_releases_what_it_freed(monkeypatch):
    calls = []
    monkeypatch.setattr(ocr_engines, "release_freed_memory", lambda: calls.append(1) or True)
    blank = np.full((120, 400, 3), 255, np.uint8)
    doc = text_extraction.extract_document_text(blank, read_visual_zone=False, use_tesseract=False)
    assert not doc.mrz_found
    assert calls == [1]


def test_capture_photos_are_made_one_at_a_time():
    from identity_app.evaluation import synthetic_documents

    assert inspect.isgenerator(synthetic_documents.capture_photos(3, 5000))
