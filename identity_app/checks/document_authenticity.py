"""ID_DOCUMENT_AUTHENTICITY: is the document genuine, in date, unaltered,
physically present and acceptable to this application?

Image quality is judged first (a photo we cannot judge is NOT_AVAILABLE,
with the reason the user can fix). Then every sub-check runs and says what
it looked at:

- document_in_date      expiry vs `today` (EXPIRED_DOCUMENT unless accepted)
- mrz_integrity         ICAO check digits (DOC_NUMBER_INVALID, TAMPERED)
- data_consistency      MRZ vs printed fields, tolerant of OCR noise (DATA_MISMATCH)
- supported_document    document type vs policy (DOCUMENT_NOT_SUPPORTED)
- supported_country     issuing country vs policy (COUNTRY_NOT_SUPPORTED)
- specimen              SPECIMEN/MUSTER/VZOR... wording, UTO (SPECIMEN)
- portrait_present      a face on the portrait page (FACE_NOT_FOUND)
- physical_presence     screen / photocopy cues (DOCUMENT_COPY only when confident)

Sub-checks that cannot run (no MRZ, no printed fields, no expiry) are
listed under the report's `not_checked` data entry, never passed silently.
The text comes in as `DocumentText` from text extraction; this module never
reads the MRZ itself (it only OCRs the image for large stamped words).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Iterable

import numpy as np

from identity_app.checks.document_data import DocumentText
from identity_app.checks.image_quality import QualityResult, QualityThresholds, assess_quality
from identity_app.checks.report import (
    CheckReport,
    CheckType,
    Detail,
    Recommendation,
    SubCheck,
    details,
    sub_check,
)

ALGORITHM_VERSION = "document-authenticity/1"


class DocumentType(str, Enum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVING_LICENCE = "DRIVING_LICENCE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    VISA = "VISA"          # never in the accepted list the domain offers
    OTHER = "OTHER"


ALL_ACCEPTABLE_TYPES = frozenset(
    {DocumentType.PASSPORT, DocumentType.NATIONAL_ID, DocumentType.DRIVING_LICENCE, DocumentType.RESIDENCE_PERMIT}
)


@dataclass(frozen=True)
class DocumentPolicy:
    """What the application accepts. `countries` is a set of ISO 3166
    alpha-3 codes, used as an allow list or a deny list (an empty deny list
    accepts every country)."""

    accepted_types: frozenset[DocumentType] = ALL_ACCEPTABLE_TYPES
    countries: frozenset[str] = frozenset()
    countries_mode: str = "DENY"          # "ALLOW" or "DENY"
    accept_expired: bool = False
    # Passports and ID cards carry an MRZ; without a readable one the data
    # cannot be verified, so the result is NOT_AVAILABLE (INCORRECT_MRZ).
    require_mrz: bool = True

    def __post_init__(self) -> None:
        if self.countries_mode not in ("ALLOW", "DENY"):
            raise ValueError("countries_mode must be ALLOW or DENY")
        object.__setattr__(self, "countries", frozenset(c.upper() for c in self.countries))
        object.__setattr__(self, "accepted_types", frozenset(DocumentType(t) for t in self.accepted_types))

    def country_accepted(self, alpha3: str) -> bool:
        listed = alpha3 in self.countries
        return listed if self.countries_mode == "ALLOW" else not listed


@dataclass(frozen=True)
class AuthenticityThresholds:
    # Normalised edit distance (0 same .. 1 different) above which a printed
    # name no longer matches the MRZ. OCR of the visual zone misreads a
    # letter or two; a different name differs in most letters.
    max_name_distance: float = 0.34
    # Edits allowed in a document number after folding O/0, I/1, B/8, S/5...
    max_number_edits: int = 1
    # Digits allowed to differ between printed and MRZ dates (OCR noise).
    max_date_digit_errors: int = 1
    # Portrait: smallest face, as a share of the image's short side.
    min_portrait_fraction: float = 0.08
    # Screen/copy evidence needed for DOCUMENT_COPY (0..1).
    copy_reject_score: float = 0.9
    # Run our own OCR pass for stamped specimen words when the text
    # extraction's raw text has none (costs ~0.5-1.5 s on 2 cores).
    specimen_ocr: bool = True

    def as_details(self) -> dict[str, object]:
        return asdict(self)


# Most decisive first. REJECT reasons outrank NOT_AVAILABLE ones: a
# specimen is a specimen even in an unsupported country.
REJECT_ORDER = ("SPECIMEN", "DOCUMENT_COPY", "TAMPERED", "DOC_NUMBER_INVALID", "DATA_MISMATCH", "EXPIRED_DOCUMENT")
NOT_AVAILABLE_ORDER = ("DOCUMENT_NOT_SUPPORTED", "COUNTRY_NOT_SUPPORTED", "INCORRECT_MRZ", "FACE_NOT_FOUND")

RECOVERY = {
    "SPECIMEN": "This is a specimen or sample document: use your own document.",
    "DOCUMENT_COPY": "Photograph the original document, not a screen or a photocopy.",
    "TAMPERED": "The document's data does not verify: use an undamaged, unaltered document.",
    "DOC_NUMBER_INVALID": "The document number does not verify: retake the photo or use another document.",
    "DATA_MISMATCH": "Printed data and MRZ disagree: retake the photo so both are sharp, or use another document.",
    "EXPIRED_DOCUMENT": "The document has expired: use a document that is in date.",
    "DOCUMENT_NOT_SUPPORTED": "This type of document is not accepted here: use one of the accepted types.",
    "COUNTRY_NOT_SUPPORTED": "Documents from this country are not accepted here.",
    "INCORRECT_MRZ": "The machine-readable zone could not be read: retake the photo with the whole zone visible.",
    "FACE_NOT_FOUND": "No portrait found: photograph the page with the photo on it.",
}

# MRZ issuing-state codes that are not ISO alpha-3 themselves.
MRZ_TO_ALPHA3 = {
    "D": "DEU",      # Germany writes D<< in the MRZ
    "BDR": "DEU",    # old West German passports
    "SI": "SVN",     # old Slovenian cards wrote SI<
    "GBD": "GBR", "GBN": "GBR", "GBO": "GBR", "GBP": "GBR", "GBS": "GBR",  # British nationality classes
    "RKS": "XKX",    # Kosovo: ICAO RKS, user-assigned XKX elsewhere
}
SPECIMEN_COUNTRIES = frozenset({"UTO"})  # ICAO Doc 9303's fictional Utopia

# Words printed or stamped on specimen and sample documents (accents removed).
SPECIMEN_WORDS = frozenset({
    "SPECIMEN", "SPECIMENS", "MUSTER", "MUSTERMANN", "MUSTERFRAU", "MUSTERMANNOVA",
    "VZOR", "VZOREC", "VZORKA", "MUESTRA", "CAMPIONE", "SAMPLE", "WZOR", "MINTA",
    "SYNISHORN", "NAYTE", "MALLI", "ESPECIME", "ESPECIMEN", "MODELO",
})


def document_authenticity_report(
    image_bgr: np.ndarray,
    doc: DocumentText,
    policy: DocumentPolicy = DocumentPolicy(),
    *,
    today: date,
    quality_thresholds: QualityThresholds = QualityThresholds(),
    thresholds: AuthenticityThresholds = AuthenticityThresholds(),
    quality: QualityResult | None = None,
) -> CheckReport:
    """The ID_DOCUMENT_AUTHENTICITY report for one document image.

    `quality` may be passed when the caller already assessed this image
    with the same thresholds (the capture flow does), to skip re-measuring.
    """
    quality = quality or assess_quality(image_bgr, thresholds=quality_thresholds)
    quality_sub = _quality_sub_check(quality)
    all_thresholds = _threshold_details(policy, quality_thresholds, thresholds)
    if not quality.ok:
        return CheckReport(
            check_type=CheckType.ID_DOCUMENT_AUTHENTICITY,
            recommendation=Recommendation.NOT_AVAILABLE,
            reason=quality.reason,
            recovery_suggestion=quality.hint,
            breakdown=(quality_sub,),
            algorithm_version=ALGORITHM_VERSION,
            thresholds=all_thresholds,
        )

    findings = _Findings()
    findings.add(quality_sub)
    _in_date(doc, policy, today, thresholds, findings)
    _mrz_integrity(doc, findings)
    _data_consistency(doc, thresholds, findings)
    doc_type = _supported_document(doc, policy, findings)
    _supported_country(doc, policy, findings)
    _specimen(image_bgr, doc, thresholds, findings)
    _portrait(image_bgr, doc, doc_type, thresholds, findings)
    _physical_presence(image_bgr, quality, thresholds, findings)
    if not doc.mrz_found and policy.require_mrz:
        findings.reasons.append("INCORRECT_MRZ")

    reason, recommendation = findings.decision()
    data = ()
    if findings.not_checked:
        data = (Detail("not_checked", "; ".join(findings.not_checked)),)
    return CheckReport(
        check_type=CheckType.ID_DOCUMENT_AUTHENTICITY,
        recommendation=recommendation,
        reason=reason,
        recovery_suggestion=RECOVERY.get(reason) if reason else None,
        breakdown=tuple(findings.sub_checks),
        algorithm_version=ALGORITHM_VERSION,
        thresholds=all_thresholds,
        data=data,
    )


@dataclass
class _Findings:
    sub_checks: list[SubCheck] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    def add(self, sub: SubCheck, reason: str | None = None) -> None:
        self.sub_checks.append(sub)
        if reason and not sub.passed:
            self.reasons.append(reason)

    def skip(self, name: str, why: str) -> None:
        self.not_checked.append(f"{name}: {why}")

    def decision(self) -> tuple[str | None, Recommendation]:
        for reason in REJECT_ORDER:
            if reason in self.reasons:
                return reason, Recommendation.REJECT
        for reason in NOT_AVAILABLE_ORDER:
            if reason in self.reasons:
                return reason, Recommendation.NOT_AVAILABLE
        return None, Recommendation.APPROVE


def _threshold_details(policy: DocumentPolicy, q: QualityThresholds, t: AuthenticityThresholds) -> tuple[Detail, ...]:
    values: dict[str, object] = {
        "policy.accepted_types": ",".join(sorted(x.value for x in policy.accepted_types)),
        "policy.countries_mode": policy.countries_mode,
        "policy.countries": ",".join(sorted(policy.countries)),
        "policy.accept_expired": policy.accept_expired,
        "policy.require_mrz": policy.require_mrz,
    }
    values.update({f"quality.{k}": v for k, v in q.as_details().items()})
    values.update({f"authenticity.{k}": v for k, v in t.as_details().items()})
    return details(**values)


def _quality_sub_check(quality: QualityResult) -> SubCheck:
    m = quality.measures
    return sub_check(
        "image_quality",
        quality.ok,
        problems=",".join(quality.problems) or "none",
        sharpness=m.sharpness,
        brightness=m.brightness,
        glare_fraction=m.glare_fraction,
        colourfulness=m.colourfulness,
        document_found=m.document_found,
        document_border_seen=m.document_quad is not None,
        document_size=f"{m.document_long_side}x{m.document_short_side}",
        text_lines=m.text_lines,
    )


# --- in date -----------------------------------------------------------------

def _parse_iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _in_date(doc: DocumentText, policy: DocumentPolicy, today: date, t: AuthenticityThresholds, f: _Findings) -> None:
    expiry, source = doc.expiry(), "mrz"
    if expiry is None:
        expiry, source = _parse_iso(doc.printed("expiration_date")), "printed"
    if expiry is None:
        f.skip("document_in_date", "no expiry date read (MRZ or printed)")
        return
    expired = expiry < today
    f.add(
        sub_check(
            "document_in_date",
            not expired or policy.accept_expired,
            looked_at=f"expiration_date from {source} vs {today.isoformat()}",
            expired=expired,
            days_to_expiry=(expiry - today).days,
            expired_accepted=policy.accept_expired,
        ),
        "EXPIRED_DOCUMENT",
    )


# --- MRZ integrity -----------------------------------------------------------

def _mrz_integrity(doc: DocumentText, f: _Findings) -> None:
    if not doc.mrz_found:
        f.skip("mrz_integrity", "no MRZ found")
        return
    if not doc.check_digits:
        f.skip("mrz_integrity", "the MRZ reading carries no check digits")
        return
    invalid = [c.field for c in doc.check_digits if not c.valid]
    reason = None
    if "document_number" in invalid:
        reason = "DOC_NUMBER_INVALID"
    elif invalid:
        # Dates or the composite digit do not verify: the data was changed
        # after the digits were computed (or printed wrong by a forger).
        reason = "TAMPERED"
    f.add(
        sub_check(
            "mrz_integrity",
            not invalid,
            looked_at=f"{len(doc.check_digits)} ICAO 9303 check digits ({doc.mrz_format or 'unknown format'})",
            invalid_fields=",".join(invalid) or "none",
            ocr_repairs=len(doc.repairs),
            engine=doc.engine or "unknown",
        ),
        reason,
    )


# --- MRZ vs printed fields ---------------------------------------------------

_TRANSLIT = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "Å": "AA", "Ø": "OE", "Æ": "AE", "Þ": "TH", "Ð": "D"}
_CONFUSIONS = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "B": "8", "S": "5", "Z": "2", "G": "6"})


def _ascii_upper(text: str, icao: bool) -> str:
    text = text.upper()
    if icao:
        text = "".join(_TRANSLIT.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalise_name(text: str, *, icao: bool = False) -> str:
    """Letters only, single spaces: 'Müller-Lüdenscheidt' -> 'MULLER LUDENSCHEIDT'
    (with icao=True: 'MUELLER LUEDENSCHEIDT'); MRZ fillers become spaces."""
    text = _ascii_upper(text.replace("<", " "), icao)
    return " ".join(re.sub(r"[^A-Z]+", " ", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def name_distance(mrz_value: str, printed_value: str) -> float:
    """0..1: how different a printed name is from the MRZ's. Tries both
    transliterations of umlauts; a printed name longer than a truncated MRZ
    name is compared on the MRZ's length."""
    mrz = normalise_name(mrz_value)
    if not mrz:
        return 1.0
    best = 1.0
    for icao in (False, True):
        printed = normalise_name(printed_value, icao=icao)
        if not printed:
            continue
        candidates = [printed]
        if len(printed) > len(mrz):
            candidates.append(printed[: len(mrz)])
        for p in candidates:
            best = min(best, edit_distance(mrz, p) / max(len(mrz), len(p)))
    return best


def number_edits(mrz_value: str, printed_value: str) -> int:
    fold = lambda s: re.sub(r"[^A-Z0-9]", "", _ascii_upper(s, False)).translate(_CONFUSIONS)  # noqa: E731
    return edit_distance(fold(mrz_value), fold(printed_value))


def date_digit_errors(mrz_value: str, printed_value: str) -> int:
    a, b = re.sub(r"\D", "", mrz_value), re.sub(r"\D", "", printed_value)
    if len(a) != len(b):
        return max(len(a), len(b))
    return sum(x != y for x, y in zip(a, b))


def _data_consistency(doc: DocumentText, t: AuthenticityThresholds, f: _Findings) -> None:
    if not doc.mrz_found:
        f.skip("data_consistency", "no MRZ to compare the printed fields with")
        return
    compared: dict[str, str] = {}
    mismatched: list[str] = []
    for name in ("surname", "given_names"):
        mrz, printed = doc.field(name), doc.printed(name)
        if mrz and printed:
            d = name_distance(mrz, printed)
            compared[name] = f"{d:.2f}"
            if d > t.max_name_distance:
                mismatched.append(name)
    mrz, printed = doc.field("document_number"), doc.printed("document_number")
    if mrz and printed:
        edits = number_edits(mrz, printed)
        compared["document_number"] = f"{edits} edits"
        if edits > t.max_number_edits:
            mismatched.append("document_number")
    for name in ("date_of_birth", "expiration_date"):
        mrz, printed = doc.field(name), doc.printed(name)
        if mrz and printed:
            errors = date_digit_errors(mrz, printed)
            compared[name] = f"{errors} digits differ"
            if errors > t.max_date_digit_errors:
                mismatched.append(name)
    if not compared:
        f.skip("data_consistency", "no printed field was read to compare with the MRZ")
        return
    f.add(
        sub_check(
            "data_consistency",
            not mismatched,
            looked_at="MRZ vs printed " + ",".join(compared),
            mismatched=",".join(mismatched) or "none",
            **{f"difference.{k}": v for k, v in compared.items()},
        ),
        "DATA_MISMATCH",
    )


# --- type and country --------------------------------------------------------

def document_type_from_code(code: str | None) -> DocumentType | None:
    """The document type an MRZ document code (P, I<, ID, AR, C1, V...) stands for."""
    if not code:
        return None
    code = code.upper().replace("<", "")
    if not code:
        return None
    first = code[0]
    if first == "P":
        return DocumentType.PASSPORT
    if first == "V":
        return DocumentType.VISA
    if code[:2] in ("IR", "AR", "CR", "RP", "RT") or first == "C":
        # Residence permits (IR/AR in Europe, US permanent resident cards C1).
        return DocumentType.RESIDENCE_PERMIT
    if first in ("I", "A"):
        return DocumentType.NATIONAL_ID
    if first == "D":
        return DocumentType.DRIVING_LICENCE
    return DocumentType.OTHER


def country_alpha3(mrz_code: str | None) -> str | None:
    """ISO alpha-3 for an MRZ issuing-state code ('D<<' -> 'DEU', 'UTO' stays 'UTO')."""
    if not mrz_code:
        return None
    code = mrz_code.upper().replace("<", "").strip()
    return MRZ_TO_ALPHA3.get(code, code) or None


def _supported_document(doc: DocumentText, policy: DocumentPolicy, f: _Findings) -> DocumentType | None:
    code = doc.field("document_type") or doc.printed("document_type")
    doc_type = document_type_from_code(code)
    if doc_type is None:
        f.skip("supported_document", "document type unknown (no MRZ document code)")
        return None
    f.add(
        sub_check(
            "supported_document",
            doc_type in policy.accepted_types,
            looked_at="MRZ document code",
            document_code=code,
            document_type=doc_type.value,
        ),
        "DOCUMENT_NOT_SUPPORTED",
    )
    return doc_type


def _supported_country(doc: DocumentText, policy: DocumentPolicy, f: _Findings) -> None:
    raw = doc.field("issuing_country") or doc.printed("issuing_country")
    alpha3 = country_alpha3(raw)
    if alpha3 is None:
        f.skip("supported_country", "issuing country unknown")
        return
    f.add(
        sub_check(
            "supported_country",
            policy.country_accepted(alpha3),
            looked_at=f"MRZ issuing state vs {policy.countries_mode.lower()} list",
            mrz_code=raw,
            country=alpha3,
        ),
        "COUNTRY_NOT_SUPPORTED",
    )


# --- specimen ----------------------------------------------------------------

def specimen_words(text: str) -> list[str]:
    """Specimen words in `text` (accents and case ignored, MRZ fillers as
    spaces); a long word may carry one OCR error ('SPECIMFN')."""
    tokens = re.findall(r"[A-Z]+", _ascii_upper(text.replace("<", " "), False))
    found = []
    for token in tokens:
        if token in SPECIMEN_WORDS:
            found.append(token)
        elif len(token) >= 7 and any(
            len(w) >= 7 and abs(len(w) - len(token)) <= 1 and edit_distance(w, token) <= 1 for w in SPECIMEN_WORDS
        ):
            found.append(token)
    return found


def _specimen(image_bgr: np.ndarray, doc: DocumentText, t: AuthenticityThresholds, f: _Findings) -> None:
    looked_at = ["raw_text", "MRZ and printed names", "issuing country"]
    names = " ".join(
        v for k, v in list(doc.fields) + list(doc.printed_fields) if k in ("surname", "given_names")
    )
    hits = specimen_words(doc.raw_text) + specimen_words(names)
    country = country_alpha3(doc.field("issuing_country"))
    if country in SPECIMEN_COUNTRIES:
        hits.append(f"country {country}")
    if not hits and t.specimen_ocr:
        looked_at.append("own OCR pass for large stamped words")
        hits = specimen_words(_ocr_text(image_bgr))
    f.add(
        sub_check(
            "specimen",
            not hits,
            looked_at=",".join(looked_at),
            found=",".join(sorted(set(hits))) or "none",
        ),
        "SPECIMEN",
    )


def _ocr_text(image_bgr: np.ndarray) -> str:
    """All the text RapidOCR finds at a modest resolution: enough for stamp
    words, which are the largest on the page."""
    import cv2

    from identity_app.checks.ocr_engines import rapidocr_lines

    h, w = image_bgr.shape[:2]
    scale = min(1.0, 800 / max(h, w))
    small = cv2.resize(image_bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else image_bgr
    try:
        return " ".join(text for text, _, _ in rapidocr_lines(small))
    except Exception:  # noqa: BLE001 - OCR failing must not fail the check
        return ""


# --- portrait ----------------------------------------------------------------

@lru_cache(maxsize=1)
def _face_cascade():
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV Haar face cascade missing (needs opencv-python-headless 4.x)")
    return cascade


def find_portraits(image_bgr: np.ndarray, *, min_fraction: float = 0.08) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h in original pixels) on a document image, at
    any right-angle rotation (the document may be sideways)."""
    import cv2

    h, w = image_bgr.shape[:2]
    scale = min(1.0, 640 / max(h, w))
    grey = cv2.cvtColor(
        cv2.resize(image_bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else image_bgr,
        cv2.COLOR_BGR2GRAY,
    )
    # No histogram equalisation: on the shared passports it made the cascade
    # miss the light, low-contrast ICAO specimen portraits.
    min_side = max(20, int(min(grey.shape) * min_fraction))
    for k in range(4):
        view = np.rot90(grey, k) if k else grey
        faces = _face_cascade().detectMultiScale(
            np.ascontiguousarray(view), scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
        )
        if len(faces):
            # Report boxes in the rotated view's pixels, rescaled: callers
            # only need count and size, not exact placement.
            return [tuple(int(round(v / scale)) for v in box) for box in faces]
    return []


def _portrait(
    image_bgr: np.ndarray, doc: DocumentText, doc_type: DocumentType | None, t: AuthenticityThresholds, f: _Findings
) -> None:
    faces = find_portraits(image_bgr, min_fraction=t.min_portrait_fraction)
    # ID cards (TD1) carry the MRZ on the back and the portrait on the
    # front: from the MRZ side, a missing portrait is expected.
    expected = doc.mrz_format != "TD1"
    largest = max((bw for _, _, bw, _ in faces), default=0)
    sub = sub_check(
        "portrait_present",
        bool(faces) or not expected,
        looked_at="OpenCV Haar frontal-face cascade at 4 rotations",
        faces_found=len(faces),
        largest_face_px=largest,
        portrait_expected_on_this_side=expected,
    )
    f.add(sub, "FACE_NOT_FOUND")


# --- screen or photocopy -----------------------------------------------------

def moire_score(grey: np.ndarray) -> float:
    """0..1: strength of isolated periodic peaks in the mid/high spatial
    frequencies, typical of a photographed screen's pixel grid (moire).
    Printed guilloches are periodic too, so this alone never decides."""
    import cv2

    size = 256
    g = cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    g -= g.mean()
    g *= np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(g))))
    yy, xx = np.mgrid[-size // 2 : size // 2, -size // 2 : size // 2]
    radius = np.hypot(xx, yy)
    band = (radius > size * 0.15) & (radius < size * 0.48)
    values = spectrum[band]
    # Peak prominence over the band's typical level, in robust spread units.
    median = float(np.median(values))
    spread = float(np.percentile(values, 90) - median) or 1e-6
    prominence = (float(values.max()) - median) / spread
    return float(np.clip((prominence - 4.0) / 8.0, 0.0, 1.0))


def bezel_score(grey: np.ndarray) -> float:
    """0..1: share of the frame's four edge bands that are uniformly near
    black, as a phone or monitor bezel (or a screenshot's black bars) is."""
    h, w = grey.shape
    bw, bh = max(2, w // 25), max(2, h // 25)
    bands = (grey[:bh], grey[-bh:], grey[:, :bw], grey[:, -bw:])
    dark = sum(1 for b in bands if float((b < 35).mean()) > 0.85)
    return dark / 4.0


def _physical_presence(image_bgr: np.ndarray, quality: QualityResult, t: AuthenticityThresholds, f: _Findings) -> None:
    import cv2

    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    moire = moire_score(grey)
    bezel = bezel_score(grey)
    colourless = quality.measures.colourfulness < 4.0
    # Evidence combines: a bezel alone may be a dark table, moire alone a
    # guilloche; together they describe a screen. Uncalibrated: the shared
    # data holds no screen or photocopy captures, so only a strong joint
    # signal rejects.
    score = float(min(1.0, 0.55 * moire + 0.45 * bezel + (0.3 if colourless else 0.0)))
    f.add(
        sub_check(
            "physical_presence",
            score < t.copy_reject_score,
            looked_at="FFT moire peaks, dark bezel bands at the frame edges, colourfulness",
            moire_score=moire,
            bezel_score=bezel,
            colourless=colourless,
            copy_score=score,
            calibrated=False,
        ),
        "DOCUMENT_COPY",
    )


def reasons_of(report: CheckReport) -> Iterable[str]:
    """Failed sub-check names of a report (helper for evaluation tables)."""
    return (s.sub_check for s in report.breakdown if not s.passed)
