"""Running a session's checks: the imperative shell around the pure checks.

It reads the captured media, lets `identity_app.checks` decide, and writes
one Check row per check (and per liveness attempt) plus the text extraction
Task. Each result is committed on its own, and finished work is never
redone, so a job interrupted by a restart resumes where it stopped and a
duplicate job finds nothing left to do. The session is COMPLETED when every
check and task is done and no manual review is pending.
"""
from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone

import numpy as np
from sqlmodel import Session, select

from identity_app.models import (
    Check,
    CheckState,
    ManualCheck,
    MediaItem,
    MediaKind,
    Resource,
    ResourceKind,
    ReviewState,
    SessionState,
    Task,
    TaskState,
    VerificationSession,
    utcnow,
)
from identity_app.services import completion
from identity_app.services.app_config import ChecksConfig
from identity_app.services.capture import TEXT_TASK, encode_jpeg
from identity_app.services.media import store_session_media
from identity_app.storage import MediaStore

log = logging.getLogger(__name__)


# ----------------------------------------------------------------- helpers


def _config(vs: VerificationSession) -> ChecksConfig:
    return ChecksConfig.from_dict((vs.config_snapshot or {}).get("checks"))


def _image(store: MediaStore, item: MediaItem) -> np.ndarray:
    import cv2

    data = np.frombuffer(store.get(item.storage_key), np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)  # stored media was re-encoded by us: plain JPEG
    if image is None:
        raise ValueError(f"media {item.id} could not be decoded")
    return image


def _media(db: Session, session_id: int, kind: MediaKind, resource_id: int | None = None) -> list[MediaItem]:
    q = select(MediaItem).where(MediaItem.session_id == session_id, MediaItem.kind == kind)
    if resource_id is not None:
        q = q.where(MediaItem.resource_id == resource_id)
    return list(db.exec(q.order_by(MediaItem.id)))


def review_needed(manual_check: ManualCheck, recommendation: str | None) -> bool:
    return manual_check == ManualCheck.ALWAYS or (
        manual_check == ManualCheck.FALLBACK and recommendation != "APPROVE")


def _check_row(db: Session, session_id: int, check_type: str, resource_id: int | None) -> Check:
    row = db.exec(select(Check).where(Check.session_id == session_id, Check.type == check_type,
                                      Check.resource_id == resource_id)).first()
    if row is None:
        row = Check(session_id=session_id, resource_id=resource_id, type=check_type, state=CheckState.PENDING)
    return row


def _write_check(db: Session, row: Check, report, manual: ManualCheck = ManualCheck.NEVER) -> None:
    row.state = CheckState.DONE
    row.report = report.to_dict()
    row.recommendation = report.recommendation.value
    row.reason = report.reason
    row.manual_check = manual
    row.review_state = ReviewState.PENDING if review_needed(manual, row.recommendation) else ReviewState.NOT_REQUIRED
    row.completed_at = utcnow()
    db.add(row)
    db.commit()


def document_text_to_dict(doc) -> dict:
    return asdict(doc)


def document_text_from_dict(raw: dict):
    from identity_app.checks.document_data import CheckDigit, DocumentText, Repair

    return DocumentText(
        mrz_found=bool(raw.get("mrz_found")),
        mrz_format=raw.get("mrz_format"),
        mrz_lines=tuple(raw.get("mrz_lines") or ()),
        fields=tuple(tuple(f) for f in raw.get("fields") or ()),  # type: ignore[misc]
        check_digits=tuple(CheckDigit(**c) for c in raw.get("check_digits") or ()),
        repairs=tuple(Repair(**r) for r in raw.get("repairs") or ()),
        printed_fields=tuple(tuple(f) for f in raw.get("printed_fields") or ()),  # type: ignore[misc]
        raw_text=raw.get("raw_text") or "",
        rotation=int(raw.get("rotation") or 0),
        engine=raw.get("engine") or "",
    )


# ----------------------------------------------------------------- liveness


def _attempt_frames(db: Session, store: MediaStore, resource: Resource) -> tuple[list[np.ndarray], list[float]]:
    items = list(db.exec(select(MediaItem).where(MediaItem.resource_id == resource.id,
                                                 MediaItem.kind == MediaKind.LIVENESS_FRAME)))
    items.sort(key=lambda m: ((m.captured_ms if m.captured_ms is not None else 0), m.id))
    frames, times, last = [], [], None
    for m in items:
        t = (m.captured_ms or 0) / 1000.0
        if last is not None and t <= last:  # a repeated timestamp: keep the first frame
            continue
        frames.append(_image(store, m))
        times.append(t)
        last = t
    return frames, times


def evaluate_liveness_attempt(db: Session, store: MediaStore, *, resource_id: int) -> None:
    """Decide one liveness attempt (its own resource and check). Idempotent."""
    from identity_app.checks.liveness import Challenge, liveness_report

    resource = db.get(Resource, resource_id)
    if resource is None or resource.kind != ResourceKind.LIVENESS:
        return
    row = _check_row(db, resource.session_id, "LIVENESS", resource.id)
    if row.state == CheckState.DONE:
        return
    row.attempt = resource.attempt
    frames, times = _attempt_frames(db, store, resource)
    report = liveness_report(frames, times, [Challenge(c) for c in resource.challenge])
    _write_check(db, row, report)
    log.info("liveness attempt %s of session %s: %s", resource.attempt, resource.session_id,
             report.recommendation.value)


def _selfie(db: Session, store: MediaStore, vs: VerificationSession) -> np.ndarray | None:
    """The best frontal frame of the passed (else the latest) attempt, stored once as SELFIE."""
    from identity_app.checks.liveness import best_frontal_frame

    assert vs.id is not None
    existing = _media(db, vs.id, MediaKind.SELFIE)
    if existing:
        return _image(store, existing[-1])
    attempts = list(db.exec(select(Resource).where(Resource.session_id == vs.id,
                                                   Resource.kind == ResourceKind.LIVENESS)
                            .order_by(Resource.attempt.desc())))  # type: ignore[attr-defined]
    passed = {c.resource_id for c in db.exec(select(Check).where(
        Check.session_id == vs.id, Check.type == "LIVENESS", Check.recommendation == "APPROVE"))}
    attempts.sort(key=lambda r: (r.id not in passed, -r.attempt))
    for resource in attempts:
        frames, _ = _attempt_frames(db, store, resource)
        best = best_frontal_frame(frames) if frames else None
        if best is None:
            continue
        h, w = frames[best].shape[:2]
        store_session_media(db, store, session_id=vs.id, resource_id=resource.id, kind=MediaKind.SELFIE,
                            data=encode_jpeg(frames[best]), content_type="image/jpeg", width=w, height=h)
        db.commit()
        return frames[best]
    return None


# ----------------------------------------------------------------- document


def _document_text(db: Session, store: MediaStore, vs: VerificationSession, resource_id: int, today: date,
                   record_task: bool):
    """Text extraction of a document: reuse a finished task's result, else read it now."""
    from identity_app.checks.text_extraction import extract_document_text

    assert vs.id is not None
    task = db.exec(select(Task).where(Task.session_id == vs.id, Task.type == TEXT_TASK,
                                      Task.resource_id == resource_id)).first()
    if task is not None and task.state == TaskState.DONE:
        return document_text_from_dict(task.result)
    images = [_image(store, m) for side in (MediaKind.DOCUMENT_FRONT, MediaKind.DOCUMENT_BACK)
              for m in _media(db, vs.id, side, resource_id)[-1:]]
    doc = None
    error = ""
    try:
        for image in images:  # the MRZ of an ID card is on its back
            doc = extract_document_text(image, today=today)
            if doc.mrz_found:
                break
    except Exception as exc:  # an OCR failure fails the task, not the job
        log.exception("text extraction failed for session %s", vs.id)
        error = type(exc).__name__
    if record_task:
        task = task or Task(session_id=vs.id, resource_id=resource_id, type=TEXT_TASK)
        task.state = TaskState.DONE if doc is not None else TaskState.FAILED
        task.result = document_text_to_dict(doc) if doc is not None else {}
        task.error = error
        task.completed_at = utcnow()
        db.add(task)
        db.commit()
    return doc


def document_policy(cfg: ChecksConfig):
    from identity_app.checks.document_authenticity import DocumentPolicy

    d = cfg.document_authenticity
    restricted = d.country_mode in ("ALLOW", "DENY")
    return DocumentPolicy(
        accepted_types=frozenset(d.accepted_types),
        countries=frozenset(d.countries) if restricted else frozenset(),
        countries_mode=d.country_mode if restricted else "DENY",
        accept_expired=d.accept_expired,
    )


# ----------------------------------------------------------------- the job


def run_session_checks(db: Session, store: MediaStore, *, session_id: int, today: date | None = None) -> None:
    """Run every requested check of a captured session, then complete it if nothing waits for review."""
    from identity_app.checks.document_authenticity import document_authenticity_report
    from identity_app.checks.document_data import DocumentText
    from identity_app.checks.face_match import DEFAULT_THRESHOLD, face_match_report
    from identity_app.checks.text_extraction import text_data_report

    vs = db.get(VerificationSession, session_id)
    if vs is None or vs.state != SessionState.ONGOING or vs.capture_finished_at is None:
        return
    today = today or datetime.now(timezone.utc).date()
    cfg = _config(vs)

    for resource in db.exec(select(Resource).where(Resource.session_id == session_id,
                                                   Resource.kind == ResourceKind.LIVENESS)).all():
        evaluate_liveness_attempt(db, store, resource_id=resource.id)  # type: ignore[arg-type]

    fronts = _media(db, session_id, MediaKind.DOCUMENT_FRONT)
    if fronts:
        front = fronts[-1]
        resource_id = front.resource_id
        wanted = {t: _check_row(db, session_id, t, resource_id) for t in (
            "ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_TEXT_DATA_CHECK", "ID_DOCUMENT_FACE_MATCH")}
        enabled = {
            "ID_DOCUMENT_AUTHENTICITY": cfg.document_authenticity.enabled,
            "ID_DOCUMENT_TEXT_DATA_CHECK": cfg.text_extraction.enabled,
            "ID_DOCUMENT_FACE_MATCH": cfg.face_match.enabled and cfg.liveness.enabled,
        }
        todo = {t for t, row in wanted.items() if enabled[t] and row.state != CheckState.DONE}
        doc_image = _image(store, front) if todo else None
        if todo & {"ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_TEXT_DATA_CHECK"}:
            assert resource_id is not None
            doc = _document_text(db, store, vs, resource_id, today, record_task=cfg.text_extraction.enabled)
            if "ID_DOCUMENT_TEXT_DATA_CHECK" in todo:
                report = text_data_report(doc or DocumentText(mrz_found=False))
                _write_check(db, wanted["ID_DOCUMENT_TEXT_DATA_CHECK"], report,
                             ManualCheck(cfg.text_extraction.manual_check))
            if "ID_DOCUMENT_AUTHENTICITY" in todo:
                report = document_authenticity_report(doc_image, doc or DocumentText(mrz_found=False),
                                                      document_policy(cfg), today=today)
                _write_check(db, wanted["ID_DOCUMENT_AUTHENTICITY"], report)
        if "ID_DOCUMENT_FACE_MATCH" in todo:
            selfie = _selfie(db, store, vs)
            if selfie is None:  # no usable face in any attempt: the check says so
                selfie = np.zeros((240, 320, 3), np.uint8)
            report = face_match_report(doc_image, selfie, threshold=cfg.face_match_threshold or DEFAULT_THRESHOLD)
            _write_check(db, wanted["ID_DOCUMENT_FACE_MATCH"], report, ManualCheck(cfg.face_match.manual_check))
    complete_if_ready(db, session_id)


def complete_if_ready(db: Session, session_id: int) -> bool:
    """COMPLETED when all checks and tasks are done and no review is pending."""
    done = completion.complete_if_ready(db, session_id)
    if done:
        db.commit()
    return done


# ----------------------------------------------------------------- sweeps


def sessions_needing_checks(db: Session, *, finished_before: datetime | None = None) -> list[int]:
    """Captured sessions with a check or task not yet done (lost or interrupted jobs)."""
    q = select(VerificationSession.id).where(VerificationSession.state == SessionState.ONGOING,
                                             VerificationSession.capture_finished_at.is_not(None))  # type: ignore[union-attr]
    if finished_before is not None:
        q = q.where(VerificationSession.capture_finished_at < finished_before)  # type: ignore[operator]
    ids = list(db.exec(q))
    out = []
    for sid in ids:
        open_check = db.exec(select(Check.id).where(Check.session_id == sid, Check.state != CheckState.DONE)).first()
        open_task = db.exec(select(Task.id).where(Task.session_id == sid, Task.state == TaskState.PENDING)).first()
        reviewing = db.exec(select(Check.id).where(Check.session_id == sid,
                                                   Check.review_state == ReviewState.PENDING)).first()
        if open_check is not None or open_task is not None or reviewing is None:
            out.append(sid)  # work left, or all done and not yet marked COMPLETED
    return out


STALE_AFTER = timedelta(minutes=5)
