"""Manual review: checks configured ALWAYS, and FALLBACK checks whose automated
result is not APPROVE, wait in a queue per application until one of the
application's operators (with the decide permission) records PASS or FAIL.

The person's result is added to the check's report as a sub-check with
process EXPERT_REVIEW, and the recommendation follows the person. A session
completes only when all its checks are DONE and no review is pending.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session, select

from identity_app.checks.report import (CheckReport, CheckType, Detail, Process, Recommendation, SubCheck,
                                        SubCheckResult, details)
from identity_app.models import (
    AuditAction,
    Check,
    CheckState,
    ManualCheck,
    MediaItem,
    MediaKind,
    Permission,
    ReviewState,
    Task,
    VerificationSession,
    utcnow,
)
from identity_app.services.console_words import shown_name
from identity_app.services import audit
from identity_app.services.api import events
from identity_app.services.review import completion
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from identity_app.services.access.permissions import permissions_for, session_for
from identity_app.services.sessions.detail import CheckCard, check_card, document_fields

# The sub-check a person's result becomes, per reviewable check.
MANUAL_SUB_CHECK = {CheckType.ID_DOCUMENT_FACE_MATCH: "manual_face_match",
                    CheckType.ID_DOCUMENT_TEXT_DATA_CHECK: "manual_text_data_check"}
# Reason codes a reviewer can give with FAIL (the first is the default).
FAIL_REASONS = {
    CheckType.ID_DOCUMENT_FACE_MATCH: ("DIFFERENT_PERSON", "PHOTO_OF_PHOTO"),
    CheckType.ID_DOCUMENT_TEXT_DATA_CHECK: ("DATA_MISMATCH", "INCORRECT_MRZ", "DOCUMENT_NOT_SUPPORTED"),
}


def initial_review_state(check_type: str, manual_check: str | ManualCheck,
                         recommendation: str | None) -> ReviewState:
    """Where a freshly made check stands with respect to manual review (the worker writes it,
    verification._write_check): PENDING when its manual check is ALWAYS, or FALLBACK and the
    automated result is not APPROVE; never for a check a person cannot review (MANUAL_SUB_CHECK),
    which would otherwise wait in the queue for ever."""
    if check_type not in MANUAL_SUB_CHECK:
        return ReviewState.NOT_REQUIRED
    mc = ManualCheck(manual_check)
    if mc is ManualCheck.ALWAYS:
        return ReviewState.PENDING
    if mc is ManualCheck.FALLBACK and recommendation != Recommendation.APPROVE:
        return ReviewState.PENDING
    return ReviewState.NOT_REQUIRED


@dataclass(frozen=True)
class ReviewItem:
    check: CheckCard
    session_id: int
    application_id: int
    user_name: str
    reference: str
    document_media_id: int | None   # the document image (its portrait is cropped by the media route)
    selfie_media_id: int | None     # the selfie or the best liveness frame
    fields: tuple[Detail, ...]      # extracted document fields
    fail_reasons: tuple[str, ...]
    can_review: bool
    portrait_media_id: int | None = None  # the worker's portrait crop, else None (the route crops the photo)


def _check_for(db: Session, actor: OperatorView | None, check_id: int, permission: Permission
               ) -> tuple[Check, VerificationSession]:
    if actor is None:
        raise Forbidden("Sign in first.")
    check = db.get(Check, check_id)
    if check is None:
        raise NotFound("That review item does not exist.")
    try:
        vs = session_for(db, actor, check.session_id, permission)
    except NotFound:
        raise NotFound("That review item does not exist.") from None
    return check, vs


def _latest_media(db: Session, session_id: int, kinds: tuple[MediaKind, ...],
                  resource_id: int | None = None) -> int | None:
    for kind in kinds:
        q = select(MediaItem.id).where(MediaItem.session_id == session_id, MediaItem.kind == kind)
        if resource_id is not None:
            hit = db.exec(q.where(MediaItem.resource_id == resource_id)
                          .order_by(MediaItem.id.desc())).first()  # type: ignore[union-attr]
            if hit is not None:
                return hit
        hit = db.exec(q.order_by(MediaItem.id.desc())).first()  # type: ignore[union-attr]
        if hit is not None:
            return hit
    return None


def get_review_item(db: Session, *, actor: OperatorView | None, check_id: int) -> ReviewItem:
    """A check and its evidence, side by side."""
    check, vs = _check_for(db, actor, check_id, Permission.VIEW_SESSIONS)
    assert actor is not None and vs.id is not None
    checks = list(db.exec(select(Check).where(Check.session_id == vs.id)).all())
    tasks = list(db.exec(select(Task).where(Task.session_id == vs.id)).all())
    doc = _latest_media(db, vs.id, (MediaKind.DOCUMENT_FRONT, MediaKind.DOCUMENT_BACK), check.resource_id)
    selfie = _latest_media(db, vs.id, (MediaKind.SELFIE, MediaKind.LIVENESS_FRAME))
    face_match = check.type == CheckType.ID_DOCUMENT_FACE_MATCH
    crop = _latest_media(db, vs.id, (MediaKind.PORTRAIT_CROP,)) if hasattr(MediaKind, "PORTRAIT_CROP") else None
    return ReviewItem(
        check=check_card(db, check), session_id=vs.id, application_id=vs.application_id, user_name=shown_name(vs.user_name, vs.id),
        reference=vs.reference, document_media_id=doc, selfie_media_id=selfie if face_match else None,
        fields=document_fields(checks, tasks), fail_reasons=FAIL_REASONS.get(check.type, ()),
        can_review=Permission.DECIDE in permissions_for(db, actor, vs.application_id),
        portrait_media_id=crop,
    )


def reviewed_report(report: CheckReport, result: str, reason_code: str | None) -> CheckReport:
    """The report with the person's result added (the automated recommendation kept as its
    detail); the recommendation follows the person."""
    passed = result == "PASS"
    person = SubCheck(MANUAL_SUB_CHECK[report.check_type], SubCheckResult.PASS if passed else SubCheckResult.FAIL,
                      details(automated_recommendation=report.recommendation.value), Process.EXPERT_REVIEW)
    kept = tuple(s for s in report.breakdown if s.process is not Process.EXPERT_REVIEW)
    return replace(report, breakdown=kept + (person,),
                   recommendation=Recommendation.APPROVE if passed else Recommendation.REJECT,
                   reason=None if passed else reason_code,
                   recovery_suggestion=None if passed else report.recovery_suggestion)


def record_review(db: Session, *, actor: OperatorView | None, check_id: int, result: str, reason: str,
                  reason_code: str | None = None, ip: str = "") -> CheckCard:
    check, vs = _check_for(db, actor, check_id, Permission.DECIDE)
    assert actor is not None and vs.id is not None
    if check.review_state != ReviewState.PENDING or check.type not in MANUAL_SUB_CHECK:
        raise Conflict("This check is not waiting for a review (someone may have reviewed it already).")
    result = (result or "").strip().upper()
    if result not in ("PASS", "FAIL"):
        raise ValidationError("Record PASS or FAIL.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for your result.")
    if len(reason) > 2000:
        raise ValidationError("The reason is too long (2000 characters at most).")
    choices = FAIL_REASONS[check.type]
    code = None
    if result == "FAIL":
        code = reason_code or choices[0]
        if code not in choices:
            raise ValidationError(f"Choose one of: {', '.join(choices)}.")
    # No automated report (the check could not run): the person's result is the report.
    automated = CheckReport.from_dict(check.report) if check.report else CheckReport(
        CheckType(check.type), Recommendation.NOT_AVAILABLE)
    new_report = reviewed_report(automated, result, code)
    now = utcnow()
    check.report = new_report.to_dict()
    check.recommendation = new_report.recommendation.value
    check.reason = code
    check.review_state = ReviewState.DONE
    check.review_result = result
    check.review_reason = reason
    check.reviewed_by_id = actor.id
    check.reviewed_at = now
    check.state = CheckState.DONE
    check.completed_at = check.completed_at or now
    db.add(check)
    db.flush()
    assert check.id is not None
    events.check_completed(db, vs, check_id=check.id, check_type=str(check.type),
                           recommendation=check.recommendation, reason=code)
    # The reviewer's free text may describe the person: the audit keeps the result only.
    audit.record(db, AuditAction.REVIEW_RECORDED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"check:{check.id}", ip=ip,
                 check_type=check.type, result=result, reason_code=code)
    completion.complete_if_ready(db, vs.id, now=now)  # the last review done completes the session
    return check_card(db, check)
