"""The visual zone's values the MRZ cross-check compares (pure: no OCR here): a printed date is no
document number, and a name's accents are dropped as the MRZ's transliteration drops them."""
from __future__ import annotations

from datetime import date

from identity_app.checks.document_data import DocumentText
from identity_app.checks.visual_zone import TextItem, printed_fields_from_items

TODAY = date(2026, 11, 25)


def _item(text: str, x: float, y: float, w: float = 150, h: float = 18) -> TextItem:
    return TextItem(text, 0.99, x, y, x + w, y + h)


def test_a_date_under_a_number_label_is_not_taken_for_the_document_number():
    items = [_item("Passport No.", 100, 10), _item("04MAY1992", 100, 32), _item("GS0141238", 300, 10)]
    assert printed_fields_from_items(items, TODAY).get("document_number") == "GS0141238"


def test_a_number_that_is_no_date_is_still_taken():
    items = [_item("Passport No.", 100, 10), _item("L898902C3", 100, 32)]
    assert printed_fields_from_items(items, TODAY)["document_number"] == "L898902C3"


def test_a_printed_name_with_an_accent_agrees_with_the_mrz_s_transliteration():
    items = [_item("Surname", 100, 10), _item("Dialló", 100, 32), _item("Given names", 100, 60),
             _item("Éva Marie", 100, 82)]
    fields = printed_fields_from_items(items, TODAY)
    assert (fields["surname"], fields["given_names"]) == ("DIALLO", "EVA MARIE")
    doc = DocumentText(mrz_found=True, fields=(("surname", "DIALLO"),), printed_fields=tuple(fields.items()))
    assert doc.printed_agrees("surname") is True
