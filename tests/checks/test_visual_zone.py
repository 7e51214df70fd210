"""Printed-field placement from OCR'd text lines (pure: no OCR here)."""
from __future__ import annotations

from datetime import date

import pytest

from identity_app.checks.visual_zone import TextItem, parse_printed_date, printed_fields_from_items

TODAY = date(2026, 11, 25)


def _item(text: str, x: float, y: float, w: float = 150, h: float = 18) -> TextItem:
    return TextItem(text, 0.99, x, y, x + w, y + h)


@pytest.mark.parametrize(
    "text, kind, iso",
    [
        ("12 AUGUST/AOUT 74", "birth", "1974-08-12"),
        ("16 APR/AVR 07", "expiry", "2007-04-16"),
        ("05FEB1965", "birth", "1965-02-05"),
        ("20 Juin/Jun 1978", "birth", "1978-06-20"),
        ("01.01.1911", "birth", "1911-01-01"),
        ("1974-08-12", "birth", "1974-08-12"),
        ("12/08/1974", "birth", "1974-08-12"),
        ("ZE 184226 B", "birth", None),
        ("31.02.1990", "birth", None),
    ],
)
def test_printed_dates(text, kind, iso):
    assert parse_printed_date(text, kind, TODAY) == iso


def test_fields_are_taken_from_under_their_labels():
    items = [
        _item("Passport No./ N° de passeport", 400, 10, 250),
        _item("L898902C3", 400, 32, 100),
        _item("Surname/ Nom", 100, 60),
        _item("ERIKSSON", 100, 82),
        _item("Given names/ Prénoms", 100, 110),
        _item("ANNA MARIA", 100, 132),
        _item("Date of birth/ Date de naissance", 100, 160, 250),
        _item("Personal No./ N° personnel", 400, 160, 200),
        _item("12 AUG/AOUT 74", 100, 182),
        _item("ZE 184226 B", 400, 182),
        _item("Place of birth/ Lieu de naissance", 100, 210, 250),
        _item("ZENITH", 100, 232),
        _item("Date of issue/ Date de délivrance", 100, 260, 250),
        _item("16 APR/AVR 07", 100, 282),
        _item("Date of expiry/ Date d'expiration", 100, 310, 250),
        _item("15 APR/AVR 12", 100, 332),
        _item("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 20, 400, 700),
    ]
    assert printed_fields_from_items(items, TODAY) == {
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "document_number": "L898902C3",
        "date_of_birth": "1974-08-12",
        "expiration_date": "2012-04-15",
    }


def test_a_combined_name_is_split_at_its_comma():
    items = [_item("Surname", 100, 10), _item("LIN, MEI-HUA", 100, 32),
             _item("Given names", 300, 10), _item("LIN, MEI-HUA", 300, 32)]
    fields = printed_fields_from_items(items, TODAY)
    assert (fields["surname"], fields["given_names"]) == ("LIN", "MEI-HUA")


def test_given_names_printed_with_commas_between_them_are_all_kept():
    # A French identity card prints "Prénom(s): JEAN, PIERRE" (its MRZ: JEAN<<PIERRE).
    items = [_item("Nom", 100, 10), _item("ERIKSSON", 100, 32),
             _item("Prénom(s)", 100, 60), _item("JEAN, PIERRE", 100, 82)]
    fields = printed_fields_from_items(items, TODAY)
    assert (fields["surname"], fields["given_names"]) == ("ERIKSSON", "JEAN PIERRE")


def test_nothing_is_guessed_without_labels_or_enough_dates():
    items = [_item("01.01.1980", 100, 10), _item("01.01.2030", 100, 40), _item("SMITH", 100, 70)]
    assert printed_fields_from_items(items, TODAY) == {}
    items.append(_item("01.01.2020", 100, 100))
    assert printed_fields_from_items(items, TODAY) == {"date_of_birth": "1980-01-01", "expiration_date": "2030-01-01"}
