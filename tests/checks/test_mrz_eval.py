"""The MRZ evaluation works on any folder in the ground_truth_mrz.csv format:
here one made on the spot from OCR-B renderings (one valid, one with a wrong
printed check digit, one listed image missing)."""
from __future__ import annotations

import json

import cv2

from identity_app.evaluation.mrz_eval import run_mrz_evaluation
from tests.checks.test_icao import TD1, TD3
from tests.checks.test_text_extraction_images import _render


def test_it_evaluates_a_folder_in_the_shared_format(tmp_path):
    wrong = (TD3[0], TD3[1][:9] + "5" + TD3[1][10:])
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "td1.png"), _render(TD1))
    cv2.imwrite(str(tmp_path / "img" / "wrong.png"), _render(wrong))
    (tmp_path / "ground_truth_mrz.csv").write_text(
        "file,mrz,notes\n"
        f"img/td1.png,{'|'.join(TD1)},valid\n"
        f"img/wrong.png,{'|'.join(wrong)},document number check digit wrong as printed\n"
        f"img/missing.png,{'|'.join(TD1)},not there\n"
    )
    out = tmp_path / "result.json"
    result = run_mrz_evaluation(tmp_path, out, baseline=False)
    ours = result["ours"]
    assert result["missing_images"] == 1 and ours["images"] == 2
    assert ours["exact_documents"] == 2 and ours["exact_line_rate"] == 1.0
    assert ours["integrity_negatives"] == 1 and ours["integrity_negatives_reported_invalid"] == 1
    assert ours["read_with_valid_check_digits"] == 1 and ours["valid_but_wrong"] == 0
    assert ours["field_accuracy"]["document_number"] == 1.0
    assert json.loads(out.read_text())["ours"]["exact_documents"] == 2
