"""What text extraction read from a document: the contract between the
text-extraction check and the checks that use its output (document
authenticity compares the MRZ with the printed fields, the console shows
the fields as a table)."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Mapping

# Field names used in `DocumentText.fields` and `printed_fields`.
FIELD_NAMES = (
    "document_type",      # P, I, A, C, V ... (first MRZ character(s))
    "issuing_country",    # ISO 3166 alpha-3 as printed in the MRZ (e.g. UTO, D<<)
    "surname",
    "given_names",
    "document_number",
    "nationality",
    "date_of_birth",      # ISO yyyy-mm-dd
    "sex",                # M, F or X
    "expiration_date",    # ISO yyyy-mm-dd
    "personal_number",    # optional data
)


# Pairs the glyph step tells apart by height and shape (mrz_glyphs: a character it holds is
# read from the glyph) and that the visual zone's reader confuses as the MRZ recogniser does.
HELD_CONFUSABLES = frozenset({("O", "0"), ("0", "O"), ("D", "0"), ("0", "D"), ("I", "1"), ("1", "I"),
                              ("O", "D"), ("D", "O"), ("G", "6"), ("6", "G")})


def comparable(name: str, value: str) -> str:
    """A field value as printed-vs-MRZ comparisons see it: letters and digits only, dates as YYMMDD."""
    value = re.sub(r"[^A-Z0-9]", "", value.upper().replace("<", ""))
    # The MRZ has two-digit years: compare dates as YYMMDD, not the guessed century.
    return value[2:] if name.endswith("date_of_birth") or name.endswith("expiration_date") else value


@dataclass(frozen=True)
class CheckDigit:
    field: str            # document_number, date_of_birth, expiration_date, personal_number, composite
    expected: str         # the digit computed from the data
    printed: str          # the digit as read
    valid: bool


@dataclass(frozen=True)
class Repair:
    """An OCR confusion repaired where the field's alphabet is known."""
    line: int
    position: int
    read: str
    repaired: str
    reason: str


@dataclass(frozen=True)
class DocumentText:
    mrz_found: bool
    mrz_format: str | None = None          # TD1, TD2, TD3, MRV_A, MRV_B, FRA_ID, NON_ICAO (lines as read)
    mrz_lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()          # MRZ fields, see FIELD_NAMES
    check_digits: tuple[CheckDigit, ...] = ()
    repairs: tuple[Repair, ...] = ()
    printed_fields: tuple[tuple[str, str], ...] = ()  # visual zone, same names
    raw_text: str = ""                                 # all OCR text, for specimen wording
    rotation: int = 0                                  # degrees the image was turned to read it
    engine: str = ""                                   # which OCR engine(s) produced the MRZ
    # Other readings whose check digits hold too, that the printed fields could not rule out.
    mrz_alternatives: tuple[tuple[str, ...], ...] = ()
    # The document's corners in the photo when it was read flattened (perspective corrected).
    document_corners: tuple[tuple[float, float], ...] = ()
    # x, y, w, h of the MRZ band in the image read (flattened when document_corners are set)
    # turned by `rotation`: where the MRZ evidence is cropped from.
    mrz_band: tuple[int, ...] = ()
    # (field, index in its `comparable` value, character) of MRZ characters the glyphs' height and
    # shape held (mrz_glyphs): the visual zone's confusable of one there is its reader's misreading.
    mrz_held: tuple[tuple[str, int, str], ...] = ()
    # (line, position, character) the glyphs held where the reading says its confusable instead:
    # the check digits forced it back against a clear glyph (a misread they made hold, or a digit
    # printed wrong); and the cells of a line read out of step where the reading still puts data on
    # a filler's glyph or a filler on another character's (text_extraction.still_out_of_step).
    # Such a reading is not approved.
    mrz_against_glyphs: tuple[tuple[int, int, str], ...] = ()

    @property
    def check_digits_valid(self) -> bool:
        return bool(self.check_digits) and all(c.valid for c in self.check_digits)

    def field(self, name: str) -> str | None:
        return dict(self.fields).get(name)

    def printed(self, name: str) -> str | None:
        return dict(self.printed_fields).get(name)

    def printed_agrees(self, name: str) -> bool | None:
        """Whether the printed field says what the MRZ's does (`comparable`); None when either is
        missing. A name the MRZ cuts at its line's end agrees with a printed one it begins. A
        printed character that differs from the MRZ's only as its confusable
        (HELD_CONFUSABLES) where the glyphs held the MRZ's character does not disagree: the
        visual zone's reader printed O as 0 or I as 1 where the MRZ's glyph clearly is O or I."""
        printed, mrz = self.printed(name), self.field(name)
        if not printed or not mrz:
            return None
        a, b = comparable(name, printed), comparable(name, mrz)
        if a == b:
            return True
        if name in ("surname", "given_names") and b and a.startswith(b) and any(
                line.endswith(mrz.split()[-1]) for line in self.mrz_lines):
            # A name cut at the MRZ line's end (no filler after it): the printed one goes on.
            return True
        held = {i: ch for field, i, ch in self.mrz_held if field == name}
        return len(a) == len(b) and all(x == y or (held.get(i) == y and (x, y) in HELD_CONFUSABLES)
                                        for i, (x, y) in enumerate(zip(a, b)))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the text extraction task stores it as its result)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "DocumentText":
        """A stored reading back; keys it does not know (a task's own notes) are ignored."""
        return cls(
            mrz_found=bool(raw.get("mrz_found")),
            mrz_format=raw.get("mrz_format"),
            mrz_lines=tuple(raw.get("mrz_lines") or ()),
            fields=tuple((str(k), str(v)) for k, v in raw.get("fields") or ()),
            check_digits=tuple(CheckDigit(**c) for c in raw.get("check_digits") or ()),
            repairs=tuple(Repair(**r) for r in raw.get("repairs") or ()),
            printed_fields=tuple((str(k), str(v)) for k, v in raw.get("printed_fields") or ()),
            raw_text=raw.get("raw_text") or "",
            rotation=int(raw.get("rotation") or 0),
            engine=raw.get("engine") or "",
            mrz_alternatives=tuple(tuple(a) for a in raw.get("mrz_alternatives") or ()),
            document_corners=tuple((float(x), float(y)) for x, y in raw.get("document_corners") or ()),
            mrz_band=tuple(int(v) for v in raw.get("mrz_band") or ()),
            mrz_held=tuple((str(f), int(i), str(c)) for f, i, c in raw.get("mrz_held") or ()),
            mrz_against_glyphs=tuple((int(li), int(pos), str(c)) for li, pos, c in raw.get("mrz_against_glyphs") or ()),
        )

    def expiry(self) -> date | None:
        value = self.field("expiration_date")
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None
