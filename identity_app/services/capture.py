"""The end user's capture flow behind a session link: open, consent, document
images, liveness attempts, finish. Every function takes the link token: the
link is the capability, and a closed link reveals nothing about its session.

Image bytes are decoded and re-encoded here (type by content, size and pixel
limits, EXIF orientation applied, metadata dropped) before they reach storage.
Refusals are `CaptureRefused` with a stable `code` the pages translate.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
from sqlmodel import Session, func, select

from identity_app.models import (
    Check,
    CheckState,
    MediaItem,
    MediaKind,
    Resource,
    ResourceKind,
    SessionState,
    Task,
    TaskState,
    VerificationSession,
    utcnow,
)
from identity_app.services import audit
from identity_app.services.app_config import ChecksConfig
from identity_app.services.errors import DomainError
from identity_app.services.media import store_session_media
from identity_app.settings import get_settings
from identity_app.storage import MediaStore

if TYPE_CHECKING:  # the checks load MediaPipe lazily, on the first frame
    from identity_app.checks.liveness import FrameAnalysis

DOCUMENTS_WITH_BACK = frozenset({"NATIONAL_ID", "DRIVING_LICENCE", "RESIDENCE_PERMIT"})
MAX_FRAMES_PER_ATTEMPT = 240      # ~30 s at 8 fps
MAX_FRAME_BYTES = 400 * 1024      # one streamed JPEG frame
MAX_FRAME_PIXELS = 1280 * 960
JPEG_QUALITY = 92
TEXT_TASK = "ID_DOCUMENT_TEXT_DATA_EXTRACTION"


class CaptureRefused(DomainError):
    """A capture step refused; `code` is stable (translated by the pages)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class LinkStatus(str, Enum):
    OPEN = "OPEN"            # capture may go on
    CHECKING = "CHECKING"    # capture finished, checks running or under review
    DONE = "DONE"            # the session is COMPLETED
    CLOSED = "CLOSED"        # unknown, deleted or expired: reveals nothing


@dataclass(frozen=True)
class CaptureView:
    """What the capture pages need to know; no personal data."""

    status: LinkStatus
    application_name: str = ""
    primary_colour: str = "#2563eb"
    secondary_colour: str = "#0f172a"
    locale: str = "en"
    privacy_policy_url: str = ""
    success_url: str = ""
    consent_given: bool = False
    document_enabled: bool = True
    document_types: tuple[str, ...] = ()
    country_mode: str = "ALLOW_ALL"
    countries: tuple[str, ...] = ()
    upload_allowed: bool = False
    liveness_enabled: bool = True
    max_retries: int = 3
    liveness_attempts: int = 0
    liveness_passed: bool = False
    document_captured: bool = False


CLOSED = CaptureView(status=LinkStatus.CLOSED)


@dataclass(frozen=True)
class QualityFeedback:
    ok: bool
    problems: tuple[str, ...]


@dataclass(frozen=True)
class StoredDocument:
    resource_id: int
    media_id: int
    side: str
    needs_back: bool


@dataclass(frozen=True)
class LivenessAttempt:
    resource_id: int
    attempt: int
    challenges: tuple[str, ...]


@dataclass(frozen=True)
class LivenessResult:
    """None fields while the attempt is still being evaluated."""

    done: bool
    passed: bool = False
    reason: str | None = None
    attempts_used: int = 0
    attempts_left: int = 0


# ----------------------------------------------------------------- the link


def _config(vs: VerificationSession) -> ChecksConfig:
    return ChecksConfig.from_dict((vs.config_snapshot or {}).get("checks"))


def _prefs(vs: VerificationSession) -> dict:
    return (vs.config_snapshot or {}).get("preferences") or {}


def _session(db: Session, token: str) -> VerificationSession | None:
    if not token or len(token) > 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        return None
    return db.exec(select(VerificationSession).where(VerificationSession.token == token)).first()


def _expire_if_due(db: Session, vs: VerificationSession, now: datetime) -> None:
    """A link whose lifetime passed before capture finished expires now."""
    if vs.state == SessionState.ONGOING and vs.expires_at <= now and vs.capture_finished_at is None:
        vs.state = SessionState.EXPIRED
        db.add(vs)
        audit.record(db, "session.expired", application_id=vs.application_id, session_id=vs.id)


def _status(vs: VerificationSession) -> LinkStatus:
    if vs.state == SessionState.COMPLETED:
        return LinkStatus.DONE
    if vs.state != SessionState.ONGOING:
        return LinkStatus.CLOSED
    return LinkStatus.CHECKING if vs.capture_finished_at else LinkStatus.OPEN


def _attempts(db: Session, session_id: int) -> list[Resource]:
    return list(db.exec(select(Resource).where(Resource.session_id == session_id,
                                               Resource.kind == ResourceKind.LIVENESS).order_by(Resource.attempt)))


def _liveness_passed(db: Session, session_id: int) -> bool:
    return db.exec(select(Check.id).where(Check.session_id == session_id, Check.type == "LIVENESS",
                                          Check.state == CheckState.DONE,
                                          Check.recommendation == "APPROVE")).first() is not None


def _front(db: Session, session_id: int) -> MediaItem | None:
    return db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                           MediaItem.kind == MediaKind.DOCUMENT_FRONT)
                   .order_by(MediaItem.id.desc())).first()  # type: ignore[union-attr]


def view_of(db: Session, vs: VerificationSession) -> CaptureView:
    status = _status(vs)
    if status == LinkStatus.CLOSED:
        return CLOSED
    cfg, prefs = _config(vs), _prefs(vs)
    d = cfg.document_authenticity
    assert vs.id is not None
    return CaptureView(
        status=status,
        application_name=str(prefs.get("application_name", "")),
        primary_colour=str(prefs.get("primary_colour", "#2563eb")),
        secondary_colour=str(prefs.get("secondary_colour", "#0f172a")),
        locale=str(prefs.get("locale", "en")),
        privacy_policy_url=str(prefs.get("privacy_policy_url", "")),
        success_url=str(prefs.get("success_url", "")),
        consent_given=vs.consent_at is not None,
        document_enabled=d.enabled,
        document_types=tuple(d.accepted_types),
        country_mode=d.country_mode,
        countries=tuple(d.countries),
        upload_allowed=d.capture_method == "CAMERA_AND_UPLOAD",
        liveness_enabled=cfg.liveness.enabled,
        max_retries=cfg.liveness.max_retries,
        liveness_attempts=len(_attempts(db, vs.id)),
        liveness_passed=_liveness_passed(db, vs.id),
        document_captured=_front(db, vs.id) is not None,
    )


def describe_device(user_agent: str) -> tuple[str, str]:
    """(browser, OS) from a user agent, coarse on purpose."""
    ua = user_agent or ""
    browser = next((name for pattern, name in (
        (r"FBAN|FBAV", "Facebook in-app"), (r"Instagram", "Instagram in-app"), (r"\bLine/", "LINE in-app"),
        (r"Edg/", "Edge"), (r"OPR/", "Opera"), (r"SamsungBrowser", "Samsung Internet"),
        (r"Firefox/|FxiOS", "Firefox"), (r"Chrome/|CriOS", "Chrome"), (r"Version/.*Safari", "Safari"),
    ) if re.search(pattern, ua)), "Other")
    system = next((name for pattern, name in (
        (r"Android", "Android"), (r"iPhone|iPad|iPod", "iOS"), (r"Windows", "Windows"),
        (r"Mac OS X|Macintosh", "macOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
    ) if re.search(pattern, ua)), "Other")
    return browser, system


def open_link(db: Session, *, token: str, user_agent: str = "", ip: str = "",
              now: datetime | None = None) -> CaptureView:
    """The capture view of a link, recording the device that opened it."""
    now = now or utcnow()
    vs = _session(db, token)
    if vs is None:
        return CLOSED
    _expire_if_due(db, vs, now)
    if _status(vs) == LinkStatus.OPEN:
        browser, system = describe_device(user_agent)
        device = dict(vs.device or {})
        device.update({"browser": browser, "os": system, "ip": ip[:64], "user_agent": user_agent[:300],
                       "last_opened_at": now.isoformat()})
        device.setdefault("first_opened_at", now.isoformat())
        vs.device = device
        if vs.started_at is None:
            vs.started_at = now
            audit.record(db, "capture.started", application_id=vs.application_id, session_id=vs.id, ip=ip)
        db.add(vs)
    db.flush()
    return view_of(db, vs)


def require_open(db: Session, token: str, now: datetime | None = None) -> VerificationSession:
    """The session of an open link, or CaptureRefused(LINK_CLOSED)."""
    vs = _session(db, token)
    if vs is not None:
        _expire_if_due(db, vs, now or utcnow())
    if vs is None or _status(vs) != LinkStatus.OPEN:
        raise CaptureRefused("LINK_CLOSED", "This link is not valid any more.")
    return vs


def _require_consent(vs: VerificationSession) -> None:
    if vs.consent_at is None:
        raise CaptureRefused("CONSENT_REQUIRED", "Consent is needed before capture.")


def give_consent(db: Session, *, token: str, ip: str = "") -> CaptureView:
    vs = require_open(db, token)
    if vs.consent_at is None:
        vs.consent_at = utcnow()
        db.add(vs)
        audit.record(db, "capture.consent_given", application_id=vs.application_id, session_id=vs.id, ip=ip)
    db.flush()
    return view_of(db, vs)


def status(db: Session, *, token: str) -> CaptureView:
    vs = _session(db, token)
    return view_of(db, vs) if vs is not None else CLOSED


# ----------------------------------------------------------------- images


def decode(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None) -> np.ndarray:
    """Bytes to an upright BGR image, or CaptureRefused naming the problem."""
    from identity_app.checks.image_io import DecodeFailure, ImageDecodeError, decode_image

    s = get_settings()
    limit_bytes = max_bytes or s.upload_max_bytes
    try:
        return decode_image(data, max_bytes=limit_bytes, max_pixels=max_pixels or s.upload_max_pixels)
    except ImageDecodeError as exc:
        messages = {
            DecodeFailure.EMPTY: "The file is empty.",
            DecodeFailure.UNSUPPORTED_TYPE: "This file is not a JPEG, PNG or WebP image.",
            DecodeFailure.FILE_TOO_LARGE: f"The file is too large ({limit_bytes // (1024 * 1024)} MB at most).",
            DecodeFailure.TOO_MANY_PIXELS: "The image has too many pixels.",
            DecodeFailure.CORRUPTED: "The image is damaged and cannot be read.",
        }
        raise CaptureRefused(exc.reason.value, messages[exc.reason]) from None


def encode_jpeg(image_bgr: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """Pixels only: a fresh JPEG carries none of the original's metadata."""
    import cv2

    ok, buf = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def frame_quality(data: bytes) -> QualityFeedback:
    """Live feedback on a (downscaled) camera frame of a document."""
    from identity_app.checks.image_quality import assess_quality

    image = decode(data, max_bytes=MAX_FRAME_BYTES, max_pixels=MAX_FRAME_PIXELS)
    q = assess_quality(image)
    return QualityFeedback(q.ok, q.problems)


def _check_document_choice(vs: VerificationSession, document_type: str, country: str) -> None:
    d = _config(vs).document_authenticity
    if document_type not in d.accepted_types:
        raise CaptureRefused("DOCUMENT_TYPE_NOT_ACCEPTED", "This type of document is not accepted here.")
    if d.country_mode == "ALLOW_ALL":
        return
    country = (country or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise CaptureRefused("COUNTRY_REQUIRED", "Choose the country that issued the document.")
    listed = country in d.countries
    if (d.country_mode == "ALLOW") != listed:
        raise CaptureRefused("COUNTRY_NOT_ACCEPTED", "Documents from this country are not accepted here.")


def store_document_image(db: Session, store: MediaStore, *, token: str, data: bytes, side: str = "FRONT",
                         document_type: str = "PASSPORT", country: str = "", ip: str = "") -> StoredDocument:
    """Check, clean and store a document photo (camera frame or upload).

    A front starts a new document resource (a re-capture is a new attempt);
    a back joins the latest front. Photos that fail the quality check are
    refused with the reason, so the user can fix it before the checks run.
    """
    from identity_app.checks.image_quality import assess_quality

    vs = require_open(db, token)
    _require_consent(vs)
    if side not in ("FRONT", "BACK"):
        raise CaptureRefused("BAD_REQUEST", "Unknown document side.")
    assert vs.id is not None
    image = decode(data)
    quality = assess_quality(image)
    if not quality.ok:
        raise CaptureRefused(quality.problems[0], quality.hints[0])
    if side == "FRONT":
        _check_document_choice(vs, document_type, country)
        count = db.exec(select(func.count()).select_from(Resource).where(
            Resource.session_id == vs.id, Resource.kind == ResourceKind.ID_DOCUMENT)).one()
        resource = Resource(session_id=vs.id, kind=ResourceKind.ID_DOCUMENT, attempt=int(count) + 1,
                            document_type=document_type, issuing_country=(country or "").upper()[:3])
        db.add(resource)
        db.flush()
    else:
        resource = db.exec(select(Resource).where(Resource.session_id == vs.id,
                                                  Resource.kind == ResourceKind.ID_DOCUMENT)
                           .order_by(Resource.attempt.desc())).first()  # type: ignore[attr-defined]
        if resource is None:
            raise CaptureRefused("FRONT_FIRST", "Photograph the front of the document first.")
    assert resource.id is not None
    h, w = image.shape[:2]
    item = store_session_media(db, store, session_id=vs.id, resource_id=resource.id,
                               kind=MediaKind.DOCUMENT_FRONT if side == "FRONT" else MediaKind.DOCUMENT_BACK,
                               data=encode_jpeg(image), content_type="image/jpeg", width=w, height=h)
    audit.record(db, "capture.document_stored", application_id=vs.application_id, session_id=vs.id, ip=ip,
                 target=f"media:{item.id}", side=side)
    assert item.id is not None
    return StoredDocument(resource.id, item.id, side, side == "FRONT" and resource.document_type in DOCUMENTS_WITH_BACK)


# ----------------------------------------------------------------- liveness


def _challenge_count() -> int:
    import secrets

    return 2 + secrets.randbelow(2)  # 2 or 3


def choose_challenges() -> tuple[str, ...]:
    from identity_app.checks.liveness import Challenge, random_challenges

    s = get_settings()
    if s.test_hooks and s.test_liveness_challenges:  # test-only: see settings.py
        fixed = tuple(c.strip().upper() for c in s.test_liveness_challenges.split(",") if c.strip())
        return tuple(Challenge(c).value for c in fixed)
    return tuple(c.value for c in random_challenges(_challenge_count()))


def start_liveness_attempt(db: Session, *, token: str, ip: str = "") -> LivenessAttempt:
    vs = require_open(db, token)
    _require_consent(vs)
    assert vs.id is not None
    attempts = _attempts(db, vs.id)
    if _liveness_passed(db, vs.id):
        raise CaptureRefused("LIVENESS_DONE", "The liveness check is already passed.")
    if len(attempts) >= _config(vs).liveness.max_retries:
        raise CaptureRefused("NO_ATTEMPTS_LEFT", "No liveness attempts are left.")
    pending = [r for r in attempts if not _attempt_finished(db, r)]
    for r in pending:  # an abandoned attempt (page reloaded) counts as used
        _finish_attempt_row(db, vs, r)
    resource = Resource(session_id=vs.id, kind=ResourceKind.LIVENESS, attempt=len(attempts) + 1,
                        challenge=list(choose_challenges()))
    db.add(resource)
    db.flush()
    assert resource.id is not None
    audit.record(db, "capture.liveness_started", application_id=vs.application_id, session_id=vs.id, ip=ip,
                 attempt=resource.attempt)
    return LivenessAttempt(resource.id, resource.attempt, tuple(resource.challenge))


def _attempt(db: Session, vs: VerificationSession, resource_id: int) -> Resource:
    r = db.get(Resource, resource_id)
    if r is None or r.session_id != vs.id or r.kind != ResourceKind.LIVENESS:
        raise CaptureRefused("BAD_REQUEST", "Unknown liveness attempt.")
    return r


def _attempt_finished(db: Session, r: Resource) -> bool:
    return db.exec(select(Check.id).where(Check.resource_id == r.id)).first() is not None


def frame_count(db: Session, resource_id: int) -> int:
    return int(db.exec(select(func.count()).select_from(MediaItem).where(MediaItem.resource_id == resource_id)).one())


def add_liveness_frames(db: Session, store: MediaStore, *, token: str, resource_id: int,
                        frames: list[tuple[int, bytes]]) -> list[FrameAnalysis]:
    """Store a batch of (ms since the first challenge, JPEG) frames, each with its analysis.

    Each frame is analysed once, here, as it arrives (MediaPipe landmarks, a few
    ms): the analysis gives the live feedback and is stored with the frame, so
    the worker's decision does not analyse the attempt again. Returns the analyses.
    """
    from identity_app.checks.liveness import analyse_frame

    vs = require_open(db, token)
    _require_consent(vs)
    r = _attempt(db, vs, resource_id)
    if _attempt_finished(db, r):
        raise CaptureRefused("ATTEMPT_FINISHED", "This attempt is over.")
    if frame_count(db, resource_id) + len(frames) > MAX_FRAMES_PER_ATTEMPT:
        raise CaptureRefused("TOO_MANY_FRAMES", "This attempt took too long.")
    assert vs.id is not None
    images = [decode(data, max_bytes=MAX_FRAME_BYTES, max_pixels=MAX_FRAME_PIXELS) for _, data in frames]
    analyses = []
    for (ms, _), image in zip(frames, images):
        h, w = image.shape[:2]
        analysis = analyse_frame(image)
        store_session_media(db, store, session_id=vs.id, resource_id=resource_id,
                            kind=MediaKind.LIVENESS_FRAME, data=encode_jpeg(image, 90),
                            content_type="image/jpeg", width=w, height=h, captured_ms=int(ms),
                            analysis=analysis.to_dict())
        analyses.append(analysis)
    db.flush()
    return analyses


def _finish_attempt_row(db: Session, vs: VerificationSession, r: Resource) -> None:
    db.add(Check(session_id=vs.id, resource_id=r.id, type="LIVENESS", state=CheckState.PENDING, attempt=r.attempt))


def finish_liveness_attempt(db: Session, *, token: str, resource_id: int, ip: str = "") -> int:
    """Close an attempt: its LIVENESS check is created PENDING (the worker decides it)."""
    vs = require_open(db, token)
    r = _attempt(db, vs, resource_id)
    if not _attempt_finished(db, r):
        _finish_attempt_row(db, vs, r)
        audit.record(db, "capture.liveness_finished", application_id=vs.application_id, session_id=vs.id, ip=ip,
                     attempt=r.attempt, frames=frame_count(db, resource_id))
    db.flush()
    assert r.id is not None
    return r.id


def liveness_result(db: Session, *, token: str, resource_id: int) -> LivenessResult:
    vs = _session(db, token)
    if vs is None:
        raise CaptureRefused("LINK_CLOSED", "This link is not valid any more.")
    r = _attempt(db, vs, resource_id)
    check = db.exec(select(Check).where(Check.resource_id == r.id, Check.type == "LIVENESS")).first()
    assert vs.id is not None
    used = len(_attempts(db, vs.id))
    left = max(0, _config(vs).liveness.max_retries - used)
    if check is None or check.state != CheckState.DONE:
        return LivenessResult(False, attempts_used=used, attempts_left=left)
    return LivenessResult(True, check.recommendation == "APPROVE", check.reason, used, left)


# ----------------------------------------------------------------- finish


def finish_capture(db: Session, *, token: str, ip: str = "") -> int:
    """Everything is captured: create the session's checks (PENDING) and close capture.

    Returns the session id; the caller enqueues the worker job AFTER commit.
    """
    vs = require_open(db, token)
    _require_consent(vs)
    cfg = _config(vs)
    assert vs.id is not None
    front = _front(db, vs.id)
    if cfg.document_authenticity.enabled and front is None:
        raise CaptureRefused("DOCUMENT_MISSING", "Photograph your document first.")
    attempts = _attempts(db, vs.id)
    if cfg.liveness.enabled:
        if not attempts:
            raise CaptureRefused("LIVENESS_MISSING", "Take the liveness check first.")
        if not _liveness_passed(db, vs.id) and len(attempts) < cfg.liveness.max_retries:
            open_or_pending = [r for r in attempts if not _attempt_finished(db, r)]
            if open_or_pending:
                raise CaptureRefused("LIVENESS_MISSING", "Finish the liveness check first.")
    for r in attempts:
        if not _attempt_finished(db, r):
            _finish_attempt_row(db, vs, r)
    doc_resource = front.resource_id if front else None

    def pending(check_type: str) -> None:
        db.add(Check(session_id=vs.id, resource_id=doc_resource, type=check_type, state=CheckState.PENDING))

    if front is not None:
        if cfg.document_authenticity.enabled:
            pending("ID_DOCUMENT_AUTHENTICITY")
        if cfg.text_extraction.enabled:
            read_early = db.exec(select(Task).where(Task.session_id == vs.id, Task.type == TEXT_TASK,
                                                    Task.resource_id == doc_resource)).first()
            if read_early is None:  # else the document was read while the user went on (see verification)
                db.add(Task(session_id=vs.id, resource_id=doc_resource, type=TEXT_TASK, state=TaskState.PENDING))
            pending("ID_DOCUMENT_TEXT_DATA_CHECK")
        if cfg.face_match.enabled and cfg.liveness.enabled:
            pending("ID_DOCUMENT_FACE_MATCH")
    vs.capture_finished_at = utcnow()
    db.add(vs)
    audit.record(db, "capture.finished", application_id=vs.application_id, session_id=vs.id, ip=ip)
    db.flush()
    return vs.id
