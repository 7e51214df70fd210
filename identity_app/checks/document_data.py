"""What text extraction read from a document: the contract between the
text-extraction check and the checks that use its output (document
authenticity compares the MRZ with the printed fields, the console shows
the fields as a table)."""
from __future__ import annotations

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

    @property
    def check_digits_valid(self) -> bool:
        return bool(self.check_digits) and all(c.valid for c in self.check_digits)

    def field(self, name: str) -> str | None:
        return dict(self.fields).get(name)

    def printed(self, name: str) -> str | None:
        return dict(self.printed_fields).get(name)

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
        )

    def expiry(self) -> date | None:
        value = self.field("expiration_date")
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None
