"""Document authenticity on real document images from ../shared/data, with
DocumentText built from the transcribed MRZs (as text extraction would)."""
from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from identity_app.checks.document_authenticity import (
    AuthenticityThresholds,
    DocumentPolicy,
    DocumentType,
    country_alpha3,
    document_authenticity_report,
    document_type_from_code,
    name_distance,
    specimen_words,
)
from identity_app.checks.document_data import CheckDigit, DocumentText
from identity_app.checks.report import CheckReport, CheckType, Recommendation
from identity_app.evaluation.doc_eval import document_text_from_mrz

pytestmark = pytest.mark.slow  # not in the fast tier: real OCR and models on real documents

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mrz-passporteye"
TODAY = date(2026, 11, 25)
NO_OCR = AuthenticityThresholds(specimen_ocr=False)


def _folder() -> Path:
    if not (DATA / "ground_truth_mrz.csv").is_file():
        pytest.skip(f"evaluation data {DATA} is absent (see ../shared/data/README.md)")
    return DATA


def _image(name: str) -> np.ndarray:
    image = cv2.imread(str(_folder() / name))
    assert image is not None, name
    return image


def _doc(name: str) -> DocumentText:
    with (_folder() / "ground_truth_mrz.csv").open(newline="") as fh:
        mrz = next(row["mrz"] for row in csv.DictReader(fh) if row["file"] == name)
    return document_text_from_mrz(mrz, TODAY)


def _sub(report: CheckReport, name: str):
    return next(s for s in report.breakdown if s.sub_check == name)


FIN = "testdata/100_pass-fin.png"  # Finnish passport, expired 2011-08-21, portrait page


def test_it_checks_image_quality_first():
    blurred = cv2.GaussianBlur(_image(FIN), (0, 0), 6)
    report = document_authenticity_report(blurred, _doc(FIN), today=TODAY, thresholds=NO_OCR)
    assert report.check_type is CheckType.ID_DOCUMENT_AUTHENTICITY
    assert (report.recommendation, report.reason) == (Recommendation.NOT_AVAILABLE, "PHOTO_TOO_BLURRY")
    assert [s.sub_check for s in report.breakdown] == ["image_quality"]
    assert "hold still" in report.recovery_suggestion


def test_it_rejects_an_expired_document_unless_the_policy_accepts_it():
    image, doc = _image(FIN), _doc(FIN)
    expired = document_authenticity_report(image, doc, today=TODAY, thresholds=NO_OCR)
    assert (expired.recommendation, expired.reason) == (Recommendation.REJECT, "EXPIRED_DOCUMENT")
    accepted = document_authenticity_report(
        image, doc, DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert accepted.recommendation is Recommendation.APPROVE, accepted.to_dict()
    in_date = document_authenticity_report(image, doc, today=date(2010, 1, 1), thresholds=NO_OCR)
    assert in_date.recommendation is Recommendation.APPROVE
    assert _sub(in_date, "document_in_date").passed
    assert _sub(in_date, "portrait_present").passed


def test_it_reports_a_mismatch_between_mrz_and_printed_fields():
    image, doc = _image(FIN), _doc(FIN)
    policy = DocumentPolicy(accept_expired=True)
    # Printed zone read with typical OCR noise: still the same document.
    noisy = replace(doc, printed_fields=(
        ("surname", "Virtanen"), ("given_names", "Maria 0livia"),
        ("document_number", "XP8271602"), ("date_of_birth", "1971-12-21"),
    ))
    ok = document_authenticity_report(image, noisy, policy, today=TODAY, thresholds=NO_OCR)
    assert ok.recommendation is Recommendation.APPROVE, ok.to_dict()
    assert _sub(ok, "data_consistency").passed
    # A different name and birth date printed than encoded in the MRZ.
    forged = replace(doc, printed_fields=(("surname", "Korhonen"), ("date_of_birth", "1985-03-02")))
    report = document_authenticity_report(image, forged, policy, today=TODAY, thresholds=NO_OCR)
    assert (report.recommendation, report.reason) == (Recommendation.REJECT, "DATA_MISMATCH")
    mismatched = dict((d.name, d.value) for d in _sub(report, "data_consistency").details)["mismatched"]
    assert mismatched == "surname,date_of_birth"


def test_name_distance_tolerates_transliteration_and_truncation():
    assert name_distance("MUELLER", "Müller") == 0.0
    assert name_distance("ESPANOLA", "ESPAÑOLA") == 0.0
    assert name_distance("KOWALSKA<KWIATKOWSK", "Kowalska-Kwiatkowska") == 0.0
    assert name_distance("VIRTANEN", "Korhonen") > 0.34


@pytest.mark.parametrize(
    "name, found",
    [
        ("tests_data/passport-td3.jpg", "country UTO"),  # ICAO specimen, Utopia
        ("testdata/100_pass-bdr.jpg", "MUSTERMANN"),    # German specimen holder
        ("testdata/100_pass-cze.jpg", "SPECIMEN,VZOR"),  # names in the MRZ
    ],
)
def test_it_rejects_specimens_from_their_data(name, found):
    report = document_authenticity_report(
        _image(name), _doc(name), DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert (report.recommendation, report.reason) == (Recommendation.REJECT, "SPECIMEN")
    assert dict((d.name, d.value) for d in _sub(report, "specimen").details)["found"] == found


def test_it_finds_a_stamped_specimen_word_with_its_own_ocr_pass():
    # Taiwanese specimen: nothing in the MRZ says so, only the stamp on the page.
    name = "testdata/43_pass-twn.jpg"
    report = document_authenticity_report(
        _image(name), _doc(name), DocumentPolicy(accept_expired=True), today=TODAY
    )
    assert (report.recommendation, report.reason) == (Recommendation.REJECT, "SPECIMEN")
    details = dict((d.name, d.value) for d in _sub(report, "specimen").details)
    assert "own OCR pass" in details["looked_at"] and details["found"] == "SPECIMEN"


def test_specimen_words_in_raw_text_count():
    assert specimen_words("Reisepass MUSTER 2014") == ["MUSTER"]
    assert specimen_words("SPÉCIMEN muestra") == ["SPECIMEN", "MUESTRA"]
    assert specimen_words("SPECIMFN") == ["SPECIMFN"]  # one OCR error in a long word
    assert specimen_words("MUSTANG SAMPLES SPECIAL") == []


def test_it_applies_country_allow_and_deny_lists():
    image, doc = _image(FIN), _doc(FIN)
    base = dict(accept_expired=True)

    def decide(policy):
        r = document_authenticity_report(image, doc, policy, today=TODAY, thresholds=NO_OCR)
        return r.recommendation, r.reason

    assert decide(DocumentPolicy(countries=frozenset({"FIN"}), countries_mode="ALLOW", **base)) == (
        Recommendation.APPROVE, None)
    assert decide(DocumentPolicy(countries=frozenset({"DEU"}), countries_mode="ALLOW", **base)) == (
        Recommendation.NOT_AVAILABLE, "COUNTRY_NOT_SUPPORTED")
    assert decide(DocumentPolicy(countries=frozenset({"FIN"}), countries_mode="DENY", **base)) == (
        Recommendation.NOT_AVAILABLE, "COUNTRY_NOT_SUPPORTED")
    # Germany writes D<< in the MRZ: an allow list of DEU accepts it.
    german = replace(doc, fields=tuple((k, "D<<" if k == "issuing_country" else v) for k, v in doc.fields))
    r = document_authenticity_report(
        image, german, DocumentPolicy(countries=frozenset({"DEU"}), countries_mode="ALLOW", **base),
        today=TODAY, thresholds=NO_OCR,
    )
    assert _sub(r, "supported_country").passed


def test_country_and_type_codes():
    assert country_alpha3("D<<") == country_alpha3("D") == country_alpha3("BDR") == "DEU"
    assert country_alpha3("UTO") == "UTO"
    assert document_type_from_code("P") is DocumentType.PASSPORT
    assert document_type_from_code("ID") is DocumentType.NATIONAL_ID
    assert document_type_from_code("I<") is DocumentType.NATIONAL_ID
    assert document_type_from_code("C1") is DocumentType.RESIDENCE_PERMIT
    assert document_type_from_code("VC") is DocumentType.VISA


def test_it_does_not_support_visas_or_types_the_policy_leaves_out():
    name = "testdata/100_visa-polx.jpg"
    report = document_authenticity_report(
        _image(name), _doc(name), DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert (report.recommendation, report.reason) == (Recommendation.NOT_AVAILABLE, "DOCUMENT_NOT_SUPPORTED")
    passports_not_accepted = DocumentPolicy(accepted_types=frozenset({DocumentType.NATIONAL_ID}), accept_expired=True)
    report = document_authenticity_report(_image(FIN), _doc(FIN), passports_not_accepted, today=TODAY, thresholds=NO_OCR)
    assert report.reason == "DOCUMENT_NOT_SUPPORTED"


def test_it_reports_check_digits_invalid_as_printed():
    # US permanent resident card sample: document number digit wrong as printed.
    name = "testdata/33_id-usa.jpg"
    report = document_authenticity_report(
        _image(name), _doc(name), DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert (report.recommendation, report.reason) == (Recommendation.REJECT, "DOC_NUMBER_INVALID")
    # Only the composite digit wrong: the data was altered after issue.
    doc = _doc(FIN)
    tampered = replace(doc, check_digits=tuple(
        CheckDigit(c.field, c.expected, "9" if c.expected != "9" else "0", False) if c.field == "composite" else c
        for c in doc.check_digits
    ))
    report = document_authenticity_report(
        _image(FIN), tampered, DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert (report.recommendation, report.reason) == (Recommendation.REJECT, "TAMPERED")


def test_a_document_without_mrz_gets_the_image_checks_and_says_what_was_not_checked():
    image = _image(FIN)
    no_mrz = DocumentText(mrz_found=False, printed_fields=(("expiration_date", "2030-01-01"),))
    report = document_authenticity_report(image, no_mrz, today=TODAY, thresholds=NO_OCR)
    assert (report.recommendation, report.reason) == (Recommendation.NOT_AVAILABLE, "INCORRECT_MRZ")
    names = {s.sub_check for s in report.breakdown}
    assert {"image_quality", "document_in_date", "specimen", "portrait_present", "physical_presence"} <= names
    not_checked = report.data_dict()["not_checked"]
    assert "mrz_integrity: no MRZ found" in not_checked
    lenient = document_authenticity_report(
        image, no_mrz, DocumentPolicy(require_mrz=False), today=TODAY, thresholds=NO_OCR
    )
    assert lenient.recommendation is Recommendation.APPROVE
    # Stamped specimen wording still rejects a document without an MRZ.
    stamped = replace(no_mrz, raw_text="REPUBLIC OF UTOPIA  SPECIMEN")
    assert document_authenticity_report(image, stamped, today=TODAY, thresholds=NO_OCR).reason == "SPECIMEN"


def test_it_wants_a_portrait_on_a_passport_page():
    # The Spanish figure shows only the MRZ part of a card: no face on it.
    image = _image("testdata/0_id-esp.png")
    as_passport = replace(_doc(FIN), mrz_format="TD3")
    report = document_authenticity_report(
        image, as_passport, DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert not _sub(report, "portrait_present").passed
    assert report.reason == "FACE_NOT_FOUND"
    # From the MRZ (back) side of an ID card a missing portrait is expected.
    as_card = replace(as_passport, mrz_format="TD1")
    report = document_authenticity_report(
        image, as_card, DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    assert _sub(report, "portrait_present").passed


def test_screen_and_copy_cues_are_scored_but_do_not_reject_a_genuine_scan():
    report = document_authenticity_report(
        _image(FIN), _doc(FIN), DocumentPolicy(accept_expired=True), today=TODAY, thresholds=NO_OCR
    )
    presence = _sub(report, "physical_presence")
    values = dict((d.name, d.value) for d in presence.details)
    assert presence.passed and values["calibrated"] == "False"
    assert 0.0 <= float(values["copy_score"]) < 0.9


def test_the_report_round_trips_through_json():
    report = document_authenticity_report(_image(FIN), _doc(FIN), today=TODAY, thresholds=NO_OCR)
    assert CheckReport.from_dict(report.to_dict()) == report
    assert report.algorithm_version.startswith("document-authenticity/")
    assert any(d.name == "policy.accept_expired" for d in report.thresholds)
