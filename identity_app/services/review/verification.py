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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np
from sqlmodel import Session, select

from identity_app.checks.document_data import DocumentText
from identity_app.checks.image_io import encode_jpeg
from identity_app.checks.report import CheckType, Recommendation
from identity_app.models import (
    DOCUMENTS_WITH_BACK,
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
    TaskType,
    VerificationSession,
    utcnow,
)
from identity_app.services.api import events
from identity_app.services.review import completion, manual as review
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.capture.media import store_session_media
from identity_app.storage import MediaStore

log = logging.getLogger(__name__)
SOURCE_KEY = "image_side"  # in a text task's result: which image the text was read from
MEDIA_KEY = "media_ids"    # and which stored images (front, back) it read: a retake makes it stale


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


def _check_row(db: Session, session_id: int, check_type: CheckType, resource_id: int | None) -> Check:
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
    row.review_state = review.initial_review_state(row.type, manual, row.recommendation)
    row.completed_at = utcnow()
    db.add(row)
    db.flush()
    vs = db.get(VerificationSession, row.session_id)
    if vs is not None and row.id is not None:  # told in the same commit as the report it announces
        events.check_completed(db, vs, check_id=row.id, check_type=str(row.type),
                               recommendation=row.recommendation, reason=row.reason)
    db.commit()


# ----------------------------------------------------------------- liveness


def _attempt_frames(db: Session, store: MediaStore,
                    resource: Resource) -> tuple[list[np.ndarray], list[float], list[dict | None]]:
    """The attempt's frames in capture order, their times (s) and their stored analyses (None if absent)."""
    items = list(db.exec(select(MediaItem).where(MediaItem.resource_id == resource.id,
                                                 MediaItem.kind == MediaKind.LIVENESS_FRAME)))
    items.sort(key=lambda m: ((m.captured_ms if m.captured_ms is not None else 0), m.id))
    frames, times, stored, last = [], [], [], None
    for m in items:
        t = (m.captured_ms or 0) / 1000.0
        if last is not None and t <= last:  # a repeated timestamp: keep the first frame
            continue
        frames.append(_image(store, m))
        times.append(t)
        stored.append(m.analysis)
        last = t
    return frames, times, stored


@dataclass(frozen=True)
class _Attempt:
    """One liveness attempt's frames and analyses, read once per job for liveness and the selfie choice."""

    frames: list[np.ndarray]
    times: list[float]
    analyses: list
    best: int | None          # selfie.choose_selfie: the selfie this attempt would give
    selfie_face: object | None  # faces.EncodedFace of frames[best], the mean over the choice's match_frames


def _analyse_attempt(db: Session, store: MediaStore, resource: Resource,
                     attempts: dict[int, _Attempt] | None = None) -> _Attempt:
    from identity_app.checks.face_match import MIRRORED
    from identity_app.checks.faces import encode_selfie_frames
    from identity_app.checks.liveness import FrameAnalysis, analyse_frame
    from identity_app.checks.selfie import choose_selfie

    assert resource.id is not None
    if attempts is not None and resource.id in attempts:
        return attempts[resource.id]
    frames, times, stored = _attempt_frames(db, store, resource)
    # The web process analysed each frame as it arrived (capture.add_liveness_frames); only frames
    # stored without a usable analysis (older rows, another analysis version) are analysed here.
    analyses = [FrameAnalysis.from_dict(raw) or analyse_frame(f) for f, raw in zip(frames, stored)]
    choice = choose_selfie(frames, analyses) if frames else None
    best = choice.index if choice is not None else None
    selfie_face = encode_selfie_frames([frames[i] for i in choice.match_frames], mirrored=MIRRORED) \
        if choice is not None and best is not None else None
    attempt = _Attempt(frames, times, analyses, best, selfie_face)
    if attempts is not None:
        attempts[resource.id] = attempt
    return attempt


def evaluate_liveness_attempt(db: Session, store: MediaStore, *, resource_id: int,
                              attempts: dict[int, _Attempt] | None = None) -> None:
    """Decide one liveness attempt (its own resource and check). Idempotent.

    The frame this attempt would give as the selfie joins the same-face
    comparison, so face match only ever sees the face that answered the
    challenges. `attempts`: a per-job cache of analysed attempts.
    """
    from identity_app.checks.liveness import Challenge, liveness_report

    resource = db.get(Resource, resource_id)
    if resource is None or resource.kind != ResourceKind.LIVENESS:
        return
    row = _check_row(db, resource.session_id, CheckType.LIVENESS, resource.id)
    if row.state == CheckState.DONE:
        return
    row.attempt = resource.attempt
    a = _analyse_attempt(db, store, resource, attempts)
    report = liveness_report(a.frames, a.times, [Challenge(c) for c in resource.challenge], analyses=a.analyses,
                             selfie_index=a.best, selfie_face=a.selfie_face)  # type: ignore[arg-type]
    _write_check(db, row, report)
    log.info("liveness attempt %s of session %s: %s", resource.attempt, resource.session_id,
             report.recommendation.value)


def _selfie(db: Session, store: MediaStore, vs: VerificationSession,
            attempts: dict[int, _Attempt] | None = None) -> tuple[np.ndarray, object | None] | None:
    """The best frontal frame of the passed (else the latest) attempt, stored once as SELFIE.

    Returns the frame and its faces.EncodedFace (None for a selfie stored by
    an earlier job: face match then finds the face itself).
    """
    assert vs.id is not None
    existing = _media(db, vs.id, MediaKind.SELFIE)
    if existing:
        return _image(store, existing[-1]), None
    resources = list(db.exec(select(Resource).where(Resource.session_id == vs.id,
                                                    Resource.kind == ResourceKind.LIVENESS)
                             .order_by(Resource.attempt.desc())))  # type: ignore[attr-defined]
    passed = {c.resource_id for c in db.exec(select(Check).where(
        Check.session_id == vs.id, Check.type == CheckType.LIVENESS,
        Check.recommendation == Recommendation.APPROVE))}
    resources.sort(key=lambda r: (r.id not in passed, -r.attempt))
    for resource in resources:
        a = _analyse_attempt(db, store, resource, attempts)
        if a.best is None:
            continue
        frame = a.frames[a.best]
        h, w = frame.shape[:2]
        store_session_media(db, store, session_id=vs.id, resource_id=resource.id, kind=MediaKind.SELFIE,
                            data=encode_jpeg(frame), content_type="image/jpeg", width=w, height=h)
        db.commit()
        return frame, a.selfie_face
    return None


# ----------------------------------------------------------------- document


@dataclass(frozen=True)
class _DocumentWork:
    """What the document branch reads (on this thread) before its pure work runs elsewhere."""

    task: Task | None
    stored: DocumentText | None           # a finished task's reading, reused
    stored_from_front: bool               # that text was read from the front image
    images: list[tuple[MediaKind, np.ndarray]]  # to read; with a stored reading, the image it was read from
    media_ids: list[int]                  # the latest front and back of the document, read or to read
    front_id: int | None = None           # the latest front: the source of the evidence drawn from it
    source_ids: tuple[tuple[MediaKind, int], ...] = ()  # each side's latest media id


@dataclass(frozen=True)
class _DocumentResult:
    doc: DocumentText | None              # None when OCR failed
    from_front: bool                      # read from the front image (the one authenticity judges)
    error: str
    text_report: object | None
    authenticity_report: object | None
    evidence: object | None = None        # text_extraction.DocumentEvidence
    mrz_side: MediaKind | None = None     # the side the MRZ crop was cut from


def _document_work(db: Session, store: MediaStore, vs: VerificationSession, resource_id: int,
                   with_source: bool = False) -> _DocumentWork:
    """Text extraction's inputs: a finished task's result to reuse (read from the images the
    document has now), else the document images. `with_source`: with a reused result, the
    image it was read from too (for the evidence cut from it)."""
    assert vs.id is not None
    task = db.exec(select(Task).where(Task.session_id == vs.id, Task.type == TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION,
                                      Task.resource_id == resource_id)).first()
    latest = [m for side in (MediaKind.DOCUMENT_FRONT, MediaKind.DOCUMENT_BACK)
              for m in _media(db, vs.id, side, resource_id)[-1:]]
    media_ids = [m.id for m in latest if m.id is not None]
    front_id = next((m.id for m in latest if m.kind == MediaKind.DOCUMENT_FRONT), None)
    source_ids = tuple((m.kind, m.id) for m in latest if m.id is not None)
    result = (task.result or {}) if task is not None else {}
    if task is not None and task.state == TaskState.DONE and result.get(MEDIA_KEY) == media_ids:
        stored = DocumentText.from_dict(result)
        source = [m for m in latest if m.kind.value == result.get(SOURCE_KEY)]
        images = [(m.kind, _image(store, m)) for m in source] if with_source and stored.mrz_found else []
        return _DocumentWork(task, stored, result.get(SOURCE_KEY) == MediaKind.DOCUMENT_FRONT.value, images,
                             media_ids, front_id, source_ids)
    return _DocumentWork(task, None, False, [(m.kind, _image(store, m)) for m in latest], media_ids,
                         front_id, source_ids)


def _document_checks(work: _DocumentWork, doc_image: np.ndarray | None, policy, today: date,
                     text_wanted: bool, authenticity_wanted: bool, session_id: int) -> _DocumentResult:
    """Pure work, safe on another thread: read the text, then judge the document with it."""
    from identity_app.checks.document_authenticity import AuthenticityThresholds, document_authenticity_report
    from identity_app.checks.text_extraction import document_evidence, extract_document_text, text_data_report

    doc, from_front, error = work.stored, work.stored_from_front, ""
    read_side, read_image = work.images[0] if work.stored is not None and work.images else (None, None)
    if work.stored is None:
        try:
            for side, image in work.images:  # the MRZ of an ID card is on its back
                doc = extract_document_text(image, today=today)
                from_front, read_side, read_image = side == MediaKind.DOCUMENT_FRONT, side, image
                if doc.mrz_found:  # type: ignore[attr-defined]
                    break
        except Exception as exc:  # an OCR failure fails the task, not the job
            log.exception("text extraction failed for session %s", session_id)
            doc, error = None, type(exc).__name__
    text = doc if doc is not None else DocumentText(mrz_found=False)
    text_report = text_data_report(text) if text_wanted else None  # type: ignore[arg-type]
    authenticity = None
    if authenticity_wanted:
        # Text extraction OCRed the whole front page (visual zone): its raw text
        # already holds any stamped specimen word, so no second OCR pass of it.
        thresholds = AuthenticityThresholds(specimen_ocr=not (from_front and doc is not None))
        authenticity = document_authenticity_report(doc_image, text, policy, today=today,  # type: ignore[arg-type]
                                                    thresholds=thresholds)
    evidence = None
    if doc_image is not None:
        try:
            evidence = document_evidence(doc_image, doc, read_image if doc is not None and doc.mrz_found else None,
                                         front_read=from_front)
        except Exception:  # evidence is for the reviewer's eyes: its failure fails no check
            log.exception("document evidence failed for session %s", session_id)
    return _DocumentResult(doc, from_front, error, text_report, authenticity, evidence, read_side)


def _record_task(db: Session, vs: VerificationSession, resource_id: int, work: _DocumentWork,
                 result: _DocumentResult) -> None:
    if work.stored is not None:
        return
    # Re-read: the early reading and the session's job may both have started before either wrote it.
    task = work.task or db.exec(select(Task).where(
        Task.session_id == vs.id, Task.type == TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION,
        Task.resource_id == resource_id)).first() \
        or Task(session_id=vs.id, resource_id=resource_id, type=TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION)
    task.state = TaskState.DONE if result.doc is not None else TaskState.FAILED
    task.result = {**result.doc.to_dict(), SOURCE_KEY: (
        MediaKind.DOCUMENT_FRONT if result.from_front else MediaKind.DOCUMENT_BACK).value,
        MEDIA_KEY: work.media_ids} if result.doc is not None else {}
    task.error = result.error
    task.completed_at = utcnow()
    db.add(task)
    db.flush()
    assert task.id is not None
    events.task_completed(db, vs, task_id=task.id, task_type=str(task.type))
    db.commit()


EVIDENCE_KEY = "evidence_media_id"  # in a sub-check's details: the evidence media it looked at
# Which evidence each sub-check looked at (text extraction's and document authenticity's names).
EVIDENCE_OF = {
    "mrz_found": MediaKind.MRZ_CROP, "mrz_integrity": MediaKind.MRZ_CROP, "data_consistency": MediaKind.MRZ_CROP,
    "portrait_present": MediaKind.PORTRAIT_CROP,
    "image_quality": MediaKind.DOCUMENT_CORRECTED, "specimen": MediaKind.DOCUMENT_CORRECTED,
    "physical_presence": MediaKind.DOCUMENT_CORRECTED,
}


def _store_evidence(db: Session, store: MediaStore, vs: VerificationSession, resource_id: int,
                    work: _DocumentWork, result: _DocumentResult) -> dict[MediaKind, int]:
    """Keep the crops the document checks looked at as the session's media (encrypted by the
    store, deleted with the session), once per source photo: a job run again finds them.
    Returns each kind's media id."""
    evidence = result.evidence
    if evidence is None or vs.id is None:
        return {}
    sources = dict(work.source_ids)
    wanted = {
        MediaKind.MRZ_CROP: (evidence.mrz_crop, sources.get(result.mrz_side) if result.mrz_side else None),  # type: ignore[attr-defined]
        MediaKind.PORTRAIT_CROP: (evidence.portrait, work.front_id),  # type: ignore[attr-defined]
        MediaKind.DOCUMENT_CORRECTED: (evidence.corrected, work.front_id),  # type: ignore[attr-defined]
    }
    ids: dict[MediaKind, int] = {}
    for kind, (image, source_id) in wanted.items():
        if image is None or source_id is None:
            continue
        kept = [m for m in _media(db, vs.id, kind, resource_id)
                if (m.analysis or {}).get("source_media_id") == source_id]
        if kept:
            ids[kind] = kept[-1].id  # type: ignore[assignment]
            continue
        h, w = image.shape[:2]
        note: dict = {"source_media_id": source_id}
        if kind == MediaKind.DOCUMENT_CORRECTED:
            note |= {"corners": [list(c) for c in evidence.corners], "rotation": evidence.rotation}  # type: ignore[attr-defined]
        item = store_session_media(db, store, session_id=vs.id, resource_id=resource_id, kind=kind,
                                   data=encode_jpeg(image), content_type="image/jpeg", width=w, height=h,
                                   analysis=note)
        ids[kind] = item.id  # type: ignore[assignment]
    db.commit()
    return ids


def _with_evidence(report, ids: dict[MediaKind, int]):
    """The report with each sub-check naming the evidence media it looked at (EVIDENCE_OF)."""
    if report is None or not ids:
        return report
    from dataclasses import replace

    from identity_app.checks.report import Detail

    def named(sub):
        kind = EVIDENCE_OF.get(sub.sub_check)
        if kind not in ids:
            return sub
        return replace(sub, details=sub.details + (Detail(EVIDENCE_KEY, str(ids[kind])),))

    return replace(report, breakdown=tuple(named(s) for s in report.breakdown))


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


def read_document_early(db: Session, store: MediaStore, *, resource_id: int, today: date | None = None) -> bool:
    """Read a document's text as soon as its photo is stored, while the user goes on to liveness.

    The result is the text extraction task of that document, which the session's
    checks then reuse instead of reading it after the last capture (as long as
    no other photo of the document came since). Returns True when it read the
    document; False when there is nothing to do (text extraction off, capture
    already finished: the session's job reads it, or already read).
    """
    resource = db.get(Resource, resource_id)
    if resource is None or resource.kind != ResourceKind.ID_DOCUMENT:
        return False
    vs = db.get(VerificationSession, resource.session_id)
    if vs is None or vs.state != SessionState.ONGOING or vs.capture_finished_at is not None:
        return False
    if not _config(vs).text_extraction.enabled:
        return False
    if resource.document_type in DOCUMENTS_WITH_BACK and not _media(db, vs.id, MediaKind.DOCUMENT_BACK, resource_id):
        return False  # the back (where ID cards print the MRZ) is on its way: read both then
    work = _document_work(db, store, vs, resource_id)
    if work.stored is not None or not work.images:
        return False
    today = today or datetime.now(timezone.utc).date()
    result = _document_checks(work, None, None, today, False, False, vs.id)  # type: ignore[arg-type]
    _record_task(db, vs, resource_id, work, result)
    return True


def read_newest_document_early(db: Session, store: MediaStore, *, resource_id: int, rounds: int = 3,
                               today: date | None = None) -> int:
    """`read_document_early` on the newest document of `resource_id`'s session, and again while newer
    photos keep arriving during a reading (at most `rounds` readings). Returns the readings made.

    The worker keeps one such job per session queued or running; photos stored meanwhile are read here."""
    resource = db.get(Resource, resource_id)
    if resource is None:
        return 0
    readings = 0
    for _ in range(max(1, rounds)):
        db.expire_all()  # see photos committed by the web server since the last round
        newest = db.exec(select(Resource.id).where(Resource.session_id == resource.session_id,
                                                   Resource.kind == ResourceKind.ID_DOCUMENT)
                         .order_by(Resource.attempt.desc())).first()  # type: ignore[attr-defined]
        if newest is None or not read_document_early(db, store, resource_id=newest, today=today):
            break
        readings += 1
    return readings


# ----------------------------------------------------------------- the job


def run_session_checks(db: Session, store: MediaStore, *, session_id: int, today: date | None = None) -> None:
    """Run every requested check of a captured session, then complete it if nothing waits for review.

    The document branch (text extraction, then authenticity with its text)
    runs on a second thread while this one decides liveness and face match:
    OCR, OpenCV, dlib and ONNX Runtime release the GIL, so on 2 cores the two
    branches overlap. Only this thread touches the database; MediaPipe stays
    on it too (FaceMesh is not thread-safe).
    """
    from identity_app.checks.face_match import DEFAULT_THRESHOLD, face_match_report

    vs = db.get(VerificationSession, session_id)
    if vs is None or vs.state != SessionState.ONGOING or vs.capture_finished_at is None:
        return
    today = today or datetime.now(timezone.utc).date()
    cfg = _config(vs)

    fronts = _media(db, session_id, MediaKind.DOCUMENT_FRONT)
    front = fronts[-1] if fronts else None
    resource_id = front.resource_id if front is not None else None
    authenticity, text_data, face_match = (CheckType.ID_DOCUMENT_AUTHENTICITY, CheckType.ID_DOCUMENT_TEXT_DATA_CHECK,
                                           CheckType.ID_DOCUMENT_FACE_MATCH)
    wanted = {t: _check_row(db, session_id, t, resource_id)
              for t in (authenticity, text_data, face_match)} if front else {}
    enabled = {
        authenticity: cfg.document_authenticity.enabled,
        text_data: cfg.text_extraction.enabled,
        face_match: cfg.face_match.enabled and cfg.liveness.enabled,
    }
    todo = {t for t, row in wanted.items() if enabled[t] and row.state != CheckState.DONE}
    doc_image = _image(store, front) if todo and front is not None else None

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="document-checks") as pool:
        document = None
        if todo & {authenticity, text_data}:
            assert resource_id is not None
            work = _document_work(db, store, vs, resource_id, with_source=True)
            document = (work, pool.submit(
                _document_checks, work, doc_image, document_policy(cfg), today,
                text_data in todo, authenticity in todo, session_id))

        # Meanwhile, on this thread: liveness first (the selfie comes from a passed attempt), then face match.
        # Each attempt's frames and stored analyses are read once for both (liveness, selfie choice).
        attempts: dict[int, _Attempt] = {}
        for resource in db.exec(select(Resource).where(Resource.session_id == session_id,
                                                       Resource.kind == ResourceKind.LIVENESS)).all():
            evaluate_liveness_attempt(db, store, resource_id=resource.id, attempts=attempts)  # type: ignore[arg-type]
        if face_match in todo:
            chosen = _selfie(db, store, vs, attempts)
            # no usable face in any attempt: the check says so
            selfie, selfie_face = chosen if chosen is not None else (np.zeros((240, 320, 3), np.uint8), None)
            report = face_match_report(doc_image, selfie, threshold=cfg.face_match_threshold or DEFAULT_THRESHOLD,
                                       selfie_face=selfie_face)  # type: ignore[arg-type]
            _write_check(db, wanted[face_match], report, ManualCheck(cfg.face_match.manual_check))

        if document is not None:
            work, future = document
            result = future.result()
            assert resource_id is not None
            evidence = _store_evidence(db, store, vs, resource_id, work, result)
            if cfg.text_extraction.enabled:
                _record_task(db, vs, resource_id, work, result)
            if result.text_report is not None:
                _write_check(db, wanted[text_data], _with_evidence(result.text_report, evidence),
                             ManualCheck(cfg.text_extraction.manual_check))
            if result.authenticity_report is not None:
                _write_check(db, wanted[authenticity], _with_evidence(result.authenticity_report, evidence))
    if completion.complete_if_ready(db, session_id):
        db.commit()


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
