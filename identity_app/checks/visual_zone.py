"""Read the printed (visual inspection zone) fields of a document page.

RapidOCR finds and reads every text line; fields are then taken from the
layout: a value is the text just below (or right of) its label, with labels
in the languages ICAO documents commonly print (English and French on every
passport, plus the issuing state's). Dates are recognised in the usual
printed forms (12 AUG 74, 12.08.1974, 1974-08-12 ...). Where no label is
found and the page shows at least three full dates, the earliest and latest
stand for birth and expiry.
This is best effort: a field that cannot be placed is left out, never guessed
from the MRZ.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import numpy as np

from identity_app.checks import ocr_engines
from identity_app.checks.mrz_parse import mrz_date


@dataclass(frozen=True)
class TextItem:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


LABELS = {
    "surname": r"\bsurname|\bnom\b|apellido|nachname|familienname|cognome|achternaam|priezvisko|prijmeni|nazwisko|sukunimi|efternamn|pavarde|uzvards",
    "given_names": r"given name|prenom|vorname|nombre|\bnomi\b|voornam|jmeno|imion|etunim|fornamn|vardas|vards",
    "date_of_birth": r"birth|naissance|geburt|nacimiento|nascita|narozeni|urodzenia|syntyma|fodelse|gimimo|dzimsanas",
    "expiration_date": r"expir|valid until|date of exp|gultig|caducidad|scadenza|platnost|waznosci|voimassa|giltig|galioja|deris lidz",
    "document_number": r"passport n|document n|card n|passeport|passnummer|pass nr|ausweisnummer|numero|cislo|numer|\bno\.",
}
# Labels that name the document's own number; the generic "No." / "numero"
# ones are used only when none of these has a value.
_STRONG_NUMBER_LABEL = re.compile(r"passport n|document n|card n|passeport|passnummer|pass nr|ausweisnummer")
_ANY_LABEL = re.compile("|".join(LABELS.values()))
# "Place of birth" shares its words with "date of birth": never a date label.
_PLACE = re.compile(r"place|lieu|\bort\b|geburtsort|lugar|luogo|misto|miejsce|paikka|ort/|syntymapaikka")
# Nor is a personal number, case number or registration number a document number.
_NOT_DOCUMENT_NUMBER = re.compile(r"personal|personnel|persoonlijk|rodne|case|registration|record|file")
_EXCLUDED = {"date_of_birth": _PLACE, "document_number": _NOT_DOCUMENT_NUMBER}

_MONTHS = {
    "JAN": 1, "FEB": 2, "FEV": 2, "MAR": 3, "APR": 4, "AVR": 4, "MAY": 5, "MAI": 5, "JUN": 6, "JUIN": 6,
    "JUL": 7, "JUIL": 7, "AUG": 8, "AOU": 8, "AOUT": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
    "JANV": 1, "FEVR": 2, "MARS": 3, "AVRIL": 4, "JUI": 7, "SEPT": 9, "OKT": 10, "DEZ": 12, "MRZ": 3, "MAE": 3,
}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s?[./\- ]\s?(\d{1,2})\s?[./\- ]\s?(\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORD_DATE = re.compile(r"\b(\d{1,2})\s*([A-Z]{3,9})(?![A-Z])(?:\s*/\s*[A-Z]{3,9})?\s*(\d{4}|\d{2})\b")
_DOC_NUMBER = re.compile(r"^[A-Z0-9]{5,12}$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def parse_printed_date(text: str, kind: str, today: date | None = None) -> str | None:
    """ISO date from a printed date in one of the usual forms, else None."""
    up = _fold(text).upper()
    for m in _ISO_DATE.finditer(up):
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            pass
    for m in _WORD_DATE.finditer(up):
        month = _MONTHS.get(m[2]) or _MONTHS.get(m[2][:4]) or _MONTHS.get(m[2][:3])
        if month:
            iso = _from_parts(int(m[1]), month, m[3], kind, today)
            if iso:
                return iso
    for m in _NUMERIC_DATE.finditer(up):
        iso = _from_parts(int(m[1]), int(m[2]), m[3], kind, today)
        if iso:
            return iso
    return None


def _from_parts(day: int, month: int, year: str, kind: str, today: date | None) -> str | None:
    if len(year) == 2:
        iso = mrz_date(f"{year}{month:02d}{day:02d}", kind, today)
        return iso if "-" in iso else None
    try:
        return date(int(year), month, day).isoformat()
    except ValueError:
        return None


def in_mrz_band(box: np.ndarray, band: tuple[int, int, int, int]) -> bool:
    """A detected line that is one of the MRZ's lines: centred inside the band and
    at least half its width (a stamp over the MRZ is narrower, and still read)."""
    x, y, w, h = band
    xs, ys = box[:, 0], box[:, 1]
    cx, cy = float(xs.mean()), float(ys.mean())
    return x <= cx <= x + w and y <= cy <= y + h and float(xs.max() - xs.min()) >= 0.5 * w


def _items(image_bgr: np.ndarray, mrz_band: tuple[int, int, int, int] | None = None) -> list[TextItem]:
    out = []
    skip = (lambda box: in_mrz_band(box, mrz_band)) if mrz_band is not None else None
    for text, score, box in ocr_engines.rapidocr_lines(image_bgr, skip=skip):
        if box is None or not text.strip():
            continue
        xs, ys = box[:, 0], box[:, 1]
        out.append(TextItem(text.strip(), score, float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
    return out


def _is_mrz_line(text: str) -> bool:
    return "<<" in text or (len(text) >= 28 and " " not in text and text.upper() == text and "<" in text)


def _value_below(label: TextItem, items: list[TextItem], accept) -> TextItem | None:
    """The nearest acceptable item under the label (or on its right, same row)."""
    best, best_d = None, float("inf")
    h = max(label.height, 8.0)
    for it in items:
        if it is label or _ANY_LABEL.search(_fold(it.text)) or _is_mrz_line(it.text) or not accept(it.text):
            continue
        dy, dx = it.cy - label.cy, it.x0 - label.x0
        below = 0 < dy < 3.0 * h and label.x0 - 2 * h <= it.cx <= label.x1 + 2 * h
        right = abs(dy) < 0.6 * h and 0 < it.x0 - label.x1 < 6 * h
        if below or right:
            d = dy + 0.2 * abs(dx) if below else 3 * h + dx
            if d < best_d:
                best, best_d = it, d
    return best


def _name_text(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and len(letters) >= 0.8 * len(text.replace(" ", "").replace("-", "").replace("'", ""))


def _clean_name(text: str) -> str:
    """Upper case, single spaces, accents dropped: the MRZ writes Ó as O (ICAO Doc 9303's
    transliteration), and an exact reading was held back for a printed DIALLÓ (tuning photo 17155)."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(folded.upper().split())


def _document_number_text(text: str) -> bool:
    """A value that may be a document number: 5 to 12 letters and digits, a digit among them, and
    no printed date (04MAY1992 under a label taken for the number's held an exact reading back:
    tuning photo 17157)."""
    packed = text.replace(" ", "").upper()
    return bool(_DOC_NUMBER.match(packed)) and any(c.isdigit() for c in packed) \
        and parse_printed_date(text, "birth") is None


def printed_fields_from_items(items: list[TextItem], today: date | None = None) -> dict[str, str]:
    """Fields placed by their labels; dates fall back to earliest/latest on the page."""
    fields: dict[str, str] = {}
    labels = {name: [it for it in items if re.search(pattern, _fold(it.text))] for name, pattern in LABELS.items()}

    def first_value(name: str, accept, convert):
        """The value nearest to any of the field's labels."""
        found = []
        for label in labels[name]:
            if name in _EXCLUDED and _EXCLUDED[name].search(_fold(label.text)):
                continue
            value = _value_below(label, items, accept)
            if value is not None:
                converted = convert(value.text)
                if converted:
                    found.append((abs(value.cy - label.cy) + abs(value.x0 - label.x0) * 0.2, converted))
        return min(found)[1] if found else None

    surname = first_value("surname", _name_text, _clean_name)
    given = first_value("given_names", _name_text, _clean_name)
    # "SURNAME, GIVEN NAMES" printed as one value under one label (both labels find it).
    combined = surname is not None and surname == given and "," in surname
    if surname and "," in surname:
        surname = surname.split(",", 1)[0].strip()
    if given and "," in given:
        # Given names of their own printed with commas between them (a French card's "JEAN, PIERRE":
        # its MRZ says JEAN<<PIERRE; only the last name taken, exact readings were held back).
        given = given.split(",", 1)[1].strip() if combined else _clean_name(given.replace(",", " "))
    if surname:
        fields["surname"] = surname
    if given:
        fields["given_names"] = given
    strong = [it for it in labels["document_number"] if _STRONG_NUMBER_LABEL.search(_fold(it.text))]
    weak = [it for it in labels["document_number"] if it not in strong]
    labels["document_number"] = strong
    number = first_value(
        "document_number",
        _document_number_text,
        lambda t: t.replace(" ", "").upper(),
    )
    labels["document_number"] = weak
    number = number or first_value(
        "document_number",
        _document_number_text,
        lambda t: t.replace(" ", "").upper(),
    )
    if number:
        fields["document_number"] = number
    for name, kind in (("date_of_birth", "birth"), ("expiration_date", "expiry")):
        iso = first_value(name, lambda t, k=kind: parse_printed_date(t, k, today) is not None,
                          lambda t, k=kind: parse_printed_date(t, k, today))
        if iso:
            fields[name] = iso
    if "date_of_birth" not in fields or "expiration_date" not in fields:
        # Without labels, only a page with four-digit-year dates of birth, issue
        # and expiry (at least three) says which is which: earliest and latest.
        dates = sorted({d for it in items if not _is_mrz_line(it.text)
                        for d in [parse_printed_date(it.text, "birth", today)] if d
                        and re.search(r"\d{4}", it.text)})
        if len(dates) >= 3:
            fields.setdefault("date_of_birth", dates[0])
            fields.setdefault("expiration_date", dates[-1])
    return fields


def read_visual_zone(
    image_bgr: np.ndarray, today: date | None = None, mrz_band: tuple[int, int, int, int] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(printed fields, every text line read) from an upright document image.

    mrz_band: x, y, w, h of an MRZ already read; its lines are not read again
    (they never hold a printed field, and the MRZ reader's text is better).
    """
    items = _items(image_bgr, mrz_band)
    items.sort(key=lambda it: (it.cy, it.x0))
    return printed_fields_from_items(items, today), [it.text for it in items]
