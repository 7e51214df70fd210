"""What a session created through the API may change from its application's configuration: only
ever less or stricter, never more. A request can drop checks, narrow the accepted documents,
require the camera, allow fewer liveness retries, ask for more manual review, shorten the link's
lifetime and send the person back to its own redirect URLs. Anything beyond what the application
allows is refused with a message naming it, so a backend never believes it got a check it did not."""
from __future__ import annotations

from dataclasses import dataclass, replace

from identity_app.services.applications.checks_config import MANUAL_CHECK_VALUES, ChecksConfig, validate
from identity_app.services.applications.settings import url_or_empty
from identity_app.services.errors import ValidationError

# NEVER < FALLBACK < ALWAYS: how much a person reviews
_REVIEW_ORDER = {"NEVER": 0, "FALLBACK": 1, "ALWAYS": 2}


@dataclass(frozen=True)
class SessionOverrides:
    """None everywhere means "as the application says"."""

    document_authenticity: bool | None = None
    liveness: bool | None = None
    face_match: bool | None = None
    text_extraction: bool | None = None
    accepted_document_types: tuple[str, ...] | None = None
    camera_only: bool | None = None
    liveness_max_retries: int | None = None
    face_match_manual_check: str | None = None
    text_extraction_manual_check: str | None = None
    session_lifetime_days: int | None = None
    success_url: str | None = None
    error_url: str | None = None


def _enabled(name: str, allowed: bool, asked: bool | None) -> bool:
    if asked is None:
        return allowed
    if asked and not allowed:
        raise ValidationError(f"The application does not run the {name} check: it cannot be requested.")
    return asked


def _review(name: str, allowed: str, asked: str | None) -> str:
    if asked is None:
        return allowed
    if asked not in MANUAL_CHECK_VALUES:
        raise ValidationError(f"The manual check for {name} must be ALWAYS, FALLBACK or NEVER.")
    if _REVIEW_ORDER[asked] < _REVIEW_ORDER[allowed]:
        raise ValidationError(f"The application reviews {name} {allowed}: a session cannot ask for less review.")
    return asked


def apply_checks(cfg: ChecksConfig, o: SessionOverrides) -> ChecksConfig:
    """The application's checks narrowed by the request (ValidationError beyond what it allows)."""
    d, lv = cfg.document_authenticity, cfg.liveness
    types = d.accepted_types
    if o.accepted_document_types is not None:
        extra = [t for t in o.accepted_document_types if t not in d.accepted_types]
        if extra or not o.accepted_document_types:
            raise ValidationError("Accepted document types must be some of the application's: "
                                  + ", ".join(d.accepted_types) + ".")
        types = tuple(t for t in d.accepted_types if t in o.accepted_document_types)
    capture = "CAMERA" if o.camera_only else d.capture_method
    if o.camera_only is False and d.capture_method == "CAMERA":
        raise ValidationError("The application accepts the camera only: uploads cannot be allowed.")
    retries = lv.max_retries
    if o.liveness_max_retries is not None:
        if not 1 <= o.liveness_max_retries <= lv.max_retries:
            raise ValidationError(f"Liveness retries must be between 1 and the application's {lv.max_retries}.")
        retries = o.liveness_max_retries
    out = replace(
        cfg,
        document_authenticity=replace(d, enabled=_enabled("document", d.enabled, o.document_authenticity),
                                      accepted_types=types, capture_method=capture),
        liveness=replace(lv, enabled=_enabled("liveness", lv.enabled, o.liveness), max_retries=retries),
        face_match=replace(cfg.face_match, enabled=_enabled("face match", cfg.face_match.enabled, o.face_match),
                           manual_check=_review("face match", cfg.face_match.manual_check,
                                                o.face_match_manual_check)),
        text_extraction=replace(cfg.text_extraction,
                                enabled=_enabled("text extraction", cfg.text_extraction.enabled, o.text_extraction),
                                manual_check=_review("text extraction", cfg.text_extraction.manual_check,
                                                     o.text_extraction_manual_check)),
    )
    if not (out.document_authenticity.enabled or out.liveness.enabled):
        raise ValidationError("A session needs the document check, the liveness check or both.")
    return validate(out)


def apply_preferences(prefs: dict, o: SessionOverrides) -> dict:
    """The session's copy of the application's preferences with the request's lifetime and URLs."""
    out = dict(prefs)
    if o.session_lifetime_days is not None:
        allowed = int(prefs.get("session_lifetime_days", 1))
        if not 1 <= o.session_lifetime_days <= allowed:
            raise ValidationError(f"The link lifetime must be between 1 and the application's {allowed} days.")
        out["session_lifetime_days"] = o.session_lifetime_days
    if o.success_url is not None:
        out["success_url"] = url_or_empty(o.success_url, "success redirect URL")
    if o.error_url is not None:
        out["error_url"] = url_or_empty(o.error_url, "error redirect URL")
    return out
