"""The generator run away from ../shared/data (a copy of the checkout elsewhere) says so once, instead of
silently drawing other documents for the same seeds; IDV_SHARED_DATA points it at the data."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from identity_app.evaluation import synthetic_documents as synth

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not synth.fonts_available(), reason="OCR-B (Debian fonts-ocr-b) is not installed")


def test_a_missing_data_folder_is_said_once_and_documents_are_still_drawn(tmp_path, capsys):
    absent = tmp_path / "no-such-folder"
    docs = [synth.generate(seed, kind="scan", data_dir=absent) for seed in (1, 2)]
    assert all(d.image.size and d.lines for d in docs)
    said = capsys.readouterr().err
    assert said.count(str(absent)) == 1 and "plain textures" in said


def test_idv_shared_data_names_the_folder_the_real_images_come_from(tmp_path):
    out = subprocess.run([sys.executable, "-c", "from identity_app.evaluation import synthetic_documents as s;"
                          " print(s.DATA_DIR)"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "IDV_SHARED_DATA": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path.resolve())
