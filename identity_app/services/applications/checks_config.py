"""The requested checks of an application, as a typed value stored as JSON.

A session copies this (with the preferences) when it is created, so later
changes to the application never change a session already under way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from identity_app.services.errors import ValidationError

DOCUMENT_TYPES = ("PASSPORT", "NATIONAL_ID", "DRIVING_LICENCE", "RESIDENCE_PERMIT")
DOCUMENT_TYPE_LABELS = {
    "PASSPORT": "Passport",
    "NATIONAL_ID": "National ID card",
    "DRIVING_LICENCE": "Driving licence",
    "RESIDENCE_PERMIT": "Residence permit",
}
MANUAL_CHECK_VALUES = ("ALWAYS", "FALLBACK", "NEVER")
CAPTURE_METHODS = ("CAMERA", "CAMERA_AND_UPLOAD")
LIVENESS_TYPES = ("ACTIVE", "PASSIVE")


@dataclass(frozen=True)
class DocumentSettings:
    enabled: bool = True
    accepted_types: tuple[str, ...] = DOCUMENT_TYPES
    country_mode: str = "ALLOW_ALL"  # ALLOW_ALL, ALLOW (only the list), DENY (all but the list)
    countries: tuple[str, ...] = ()  # ISO 3166 alpha-3
    accept_expired: bool = False
    document_count: int = 1
    capture_method: str = "CAMERA_AND_UPLOAD"


@dataclass(frozen=True)
class LivenessSettings:
    enabled: bool = True
    liveness_type: str = "ACTIVE"
    max_retries: int = 3


@dataclass(frozen=True)
class ManualCheckSettings:
    enabled: bool = True
    manual_check: str = "FALLBACK"


@dataclass(frozen=True)
class ChecksConfig:
    document_authenticity: DocumentSettings = field(default_factory=DocumentSettings)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)
    face_match: ManualCheckSettings = field(default_factory=ManualCheckSettings)
    text_extraction: ManualCheckSettings = field(default_factory=lambda: ManualCheckSettings(manual_check="FALLBACK"))
    face_match_threshold: float | None = None  # None: the check's calibrated default

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> "ChecksConfig":
        raw = raw or {}
        d = raw.get("document_authenticity") or {}
        lv = raw.get("liveness") or {}
        fm = raw.get("face_match") or {}
        tx = raw.get("text_extraction") or {}
        base = cls()
        cfg = cls(
            document_authenticity=DocumentSettings(**{
                **asdict(base.document_authenticity), **d,
                "accepted_types": tuple(d.get("accepted_types", base.document_authenticity.accepted_types)),
                "countries": tuple(d.get("countries", ())),
            }),
            liveness=LivenessSettings(**{**asdict(base.liveness), **lv}),
            face_match=ManualCheckSettings(**{**asdict(base.face_match), **fm}),
            text_extraction=ManualCheckSettings(**{**asdict(base.text_extraction), **tx}),
            face_match_threshold=raw.get("face_match_threshold"),
        )
        return validate(cfg)


def validate(cfg: ChecksConfig) -> ChecksConfig:
    d = cfg.document_authenticity
    bad_types = [t for t in d.accepted_types if t not in DOCUMENT_TYPES]
    if bad_types or not d.accepted_types:
        raise ValidationError("Choose at least one accepted document type.")
    if d.country_mode not in ("ALLOW_ALL", "ALLOW", "DENY"):
        raise ValidationError("Country list must be allow all, an allow list or a deny list.")
    countries = tuple(sorted({c.strip().upper() for c in d.countries if c.strip()}))
    if any(len(c) != 3 or not c.isalpha() for c in countries):
        raise ValidationError("Countries are ISO 3166 alpha-3 codes, such as GBR or FRA.")
    if d.country_mode == "ALLOW" and not countries:
        raise ValidationError("An allow list needs at least one country.")
    if not 1 <= d.document_count <= 3:
        raise ValidationError("A session can require 1 to 3 documents.")
    if d.capture_method not in CAPTURE_METHODS:
        raise ValidationError("Capture method must be camera only, or camera and upload.")
    if cfg.liveness.liveness_type not in LIVENESS_TYPES:
        raise ValidationError("Liveness must be ACTIVE (a challenge) or PASSIVE (one selfie).")
    if not 1 <= cfg.liveness.max_retries <= 10:
        raise ValidationError("Liveness retries must be between 1 and 10.")
    for name, s in (("face match", cfg.face_match), ("text extraction", cfg.text_extraction)):
        if s.manual_check not in MANUAL_CHECK_VALUES:
            raise ValidationError(f"Manual check for {name} must be ALWAYS, FALLBACK or NEVER.")
    if cfg.face_match_threshold is not None and not 0.0 < cfg.face_match_threshold < 1.0:
        raise ValidationError("The face match threshold is a confidence between 0 and 1.")
    return replace(cfg, document_authenticity=replace(d, countries=countries))
