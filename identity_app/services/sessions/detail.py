"""One session as the console shows it: a frozen view of its state, every
check (each attempt its own card) with its report, the extracted document
fields, the media (ids and sizes, never the bytes) and the decisions.

A stored report is read by the report type itself (CheckReport.from_dict), a
stored reading by DocumentText.from_dict: the cards carry them as they are.

Reading a session detail is itself an audited event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from identity_app.checks.document_data import DocumentText
from identity_app.checks.report import CheckReport, CheckType, Detail, Process, SubCheck
from identity_app.models import (
    Application,
    AuditAction,
    Check,
    Decision,
    MediaItem,
    Operator,
    Permission,
    Resource,
    ReviewState,
    SessionState,
    Task,
    TaskType,
    VerificationSession,
    utcnow,
)
from identity_app.services import audit
from identity_app.services.sessions import expiry
from identity_app.services.sessions.link_actions import link_usable
from identity_app.services.sessions.media_groups import MediaGroup, group_media
from identity_app.services.sessions.progress import progress_note
from identity_app.services.sessions.timeline import TimelineEntry, session_timeline
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import permissions_for, session_for
from identity_app.services.sessions.links import session_link


@dataclass(frozen=True)
class CheckCard:
    """A check row with its report as the report type reads it (None while the check runs)."""

    id: int
    type: str
    label: str
    attempt: int
    state: str
    report: CheckReport | None
    manual_check: str
    review_state: str
    review_result: str
    review_reason: str
    reviewed_by: str
    reviewed_at: datetime | None
    resource_id: int | None
    created_at: datetime
    completed_at: datetime | None

    @property
    def recommendation(self) -> str:
        """APPROVE / REJECT / NOT_AVAILABLE, "" while the check runs."""
        return self.report.recommendation.value if self.report else ""

    @property
    def reason(self) -> str:
        return (self.report.reason if self.report else None) or ""

    @property
    def recovery_suggestion(self) -> str:
        return (self.report.recovery_suggestion if self.report else None) or ""

    @property
    def breakdown(self) -> tuple[SubCheck, ...]:
        return self.report.breakdown if self.report else ()

    @property
    def process(self) -> str:
        """EXPERT_REVIEW once a person reviewed it, else AUTOMATED."""
        reviewed = self.review_state == ReviewState.DONE.value or any(
            s.process is Process.EXPERT_REVIEW for s in self.breakdown)
        return (Process.EXPERT_REVIEW if reviewed else Process.AUTOMATED).value

    @property
    def algorithm_version(self) -> str:
        return self.report.algorithm_version if self.report else ""


@dataclass(frozen=True)
class TaskView:
    id: int
    type: str
    state: str
    error: str


@dataclass(frozen=True)
class MediaView:
    id: int
    kind: str
    content_type: str
    size: int
    width: int
    height: int
    resource_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class DecisionView:
    id: int
    value: str
    note: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class SessionDetail:
    id: int
    application_id: int
    application_name: str
    user_name: str
    user_email: str
    reference: str
    state: str          # API name: ONGOING / COMPLETED / EXPIRED
    state_label: str    # console name: IN PROGRESS / COMPLETED / EXPIRED
    link: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    started_at: datetime | None
    capture_finished_at: datetime | None
    completed_at: datetime | None
    checks: tuple[CheckCard, ...]
    tasks: tuple[TaskView, ...]
    document_fields: tuple[Detail, ...]
    media: tuple[MediaView, ...]
    decision: DecisionView | None
    decisions: tuple[DecisionView, ...]  # newest first
    pending_reviews: int
    permissions: tuple[str, ...]         # what the viewer may do on this session
    media_groups: tuple[MediaGroup, ...] = ()     # documents, selfie, liveness attempts (media_groups.py)
    timeline: tuple[TimelineEntry, ...] = ()      # everything that happened, oldest first
    portrait_media_id: int | None = None  # the document's portrait crop, else the document photo
    portrait_is_crop: bool = False        # False: the media route crops the portrait out of the photo
    selfie_media_id: int | None = None    # the selfie, else the middle frame of the last liveness attempt
    link_open: bool = False               # the link still works (resend / regenerate make sense)
    progress: str = ""                    # where the session waits, in words (progress_note)
    progress_kind: str = ""               # WAITING_FOR_PERSON, CAPTURING, CHECKING, REVIEW or "" (done)



def effective_state(vs: VerificationSession, checks: list[Check], now: datetime | None = None) -> SessionState:
    """The state to show: a session the expiry rule says is due is EXPIRED even before the
    scheduled job has marked it (a read never writes)."""
    if expiry.is_due(vs, now or utcnow(), lambda: any(c.review_state == ReviewState.PENDING for c in checks)):
        return SessionState.EXPIRED
    return SessionState(vs.state)


def _operator_label(db: Session, operator_id: int | None, cache: dict[int, str], via: str = "") -> str:
    if operator_id is None:
        return via or "deleted user"
    if operator_id not in cache:
        op = db.get(Operator, operator_id)
        cache[operator_id] = f"{op.name} <{op.email}>" if op else "deleted user"
    return cache[operator_id]


def check_card(db: Session, check: Check, cache: dict[int, str] | None = None) -> CheckCard:
    cache = {} if cache is None else cache
    assert check.id is not None
    return CheckCard(
        id=check.id, type=check.type, label=CheckType(check.type).label, attempt=check.attempt,
        state=check.state.value, report=CheckReport.from_dict(check.report) if check.report else None,
        manual_check=check.manual_check.value, review_state=check.review_state.value,
        review_result=check.review_result or "", review_reason=check.review_reason or "",
        reviewed_by=_operator_label(db, check.reviewed_by_id, cache) if check.reviewed_at else "",
        reviewed_at=check.reviewed_at, resource_id=check.resource_id, created_at=check.created_at,
        completed_at=check.completed_at,
    )


def document_fields(checks: list[Check], tasks: list[Task]) -> tuple[Detail, ...]:
    """The extracted fields of the newest text data check, else the MRZ fields of the
    newest extraction task's reading."""
    for check in sorted(checks, key=lambda c: (c.attempt, c.id or 0), reverse=True):
        if check.type == CheckType.ID_DOCUMENT_TEXT_DATA_CHECK and check.report:
            data = CheckReport.from_dict(check.report).data
            if data:
                return data
    for task in sorted(tasks, key=lambda t: t.id or 0, reverse=True):
        if task.type == TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION and task.result:
            return tuple(Detail(name, value) for name, value in DocumentText.from_dict(task.result).fields)
    return ()


def decision_views(db: Session, session_id: int, cache: dict[int, str] | None = None) -> tuple[DecisionView, ...]:
    cache = {} if cache is None else cache
    rows = db.exec(select(Decision).where(Decision.session_id == session_id)
                   .order_by(Decision.decided_at.desc(), Decision.id.desc())).all()  # type: ignore[attr-defined]
    return tuple(DecisionView(d.id, d.value.value, d.note, _operator_label(db, d.decided_by_id, cache, d.decided_via),  # type: ignore[arg-type]
                              d.decided_at) for d in rows)


def build_detail(db: Session, actor: OperatorView, vs: VerificationSession) -> SessionDetail:
    assert vs.id is not None
    cache: dict[int, str] = {}
    checks = list(db.exec(select(Check).where(Check.session_id == vs.id)
                          .order_by(Check.created_at, Check.id)).all())  # type: ignore[arg-type]
    tasks = list(db.exec(select(Task).where(Task.session_id == vs.id).order_by(Task.id)).all())  # type: ignore[arg-type]
    media = list(db.exec(select(MediaItem).where(MediaItem.session_id == vs.id)
                         .order_by(MediaItem.created_at, MediaItem.id)).all())  # type: ignore[arg-type]
    groups = group_media(media, list(db.exec(select(Resource).where(Resource.session_id == vs.id)).all()))
    portrait, is_crop, selfie = workbench_pair(groups)
    decisions = decision_views(db, vs.id, cache)
    app = db.get(Application, vs.application_id)
    state = effective_state(vs, checks)
    perms = permissions_for(db, actor, vs.application_id)
    pending = sum(c.review_state == ReviewState.PENDING for c in checks)
    kind, progress = progress_note(state, vs.started_at, vs.capture_finished_at, pending)
    return SessionDetail(
        id=vs.id, application_id=vs.application_id, application_name=app.name if app else "",
        user_name=vs.user_name, user_email=vs.user_email, reference=vs.reference,
        state=state.value, state_label=state.label, link=session_link(vs.token),
        created_by=_operator_label(db, vs.created_by_id, cache, vs.created_via), created_at=vs.created_at,
        expires_at=vs.expires_at, started_at=vs.started_at, capture_finished_at=vs.capture_finished_at,
        completed_at=vs.completed_at,
        checks=tuple(check_card(db, c, cache) for c in checks),
        tasks=tuple(TaskView(t.id, t.type, t.state.value, t.error) for t in tasks),  # type: ignore[arg-type]
        document_fields=document_fields(checks, tasks),
        media=tuple(MediaView(m.id, m.kind.value, m.content_type, m.size, m.width, m.height,  # type: ignore[arg-type]
                              m.resource_id, m.created_at) for m in media),
        decision=decisions[0] if decisions else None, decisions=decisions,
        pending_reviews=pending,
        permissions=tuple(p.value for p in Permission if p in perms),
        media_groups=groups, timeline=session_timeline(db, vs.id), portrait_media_id=portrait,
        portrait_is_crop=is_crop, selfie_media_id=selfie, link_open=link_usable(vs),
        progress=progress, progress_kind=kind,
    )


def workbench_pair(groups: tuple[MediaGroup, ...]) -> tuple[int | None, bool, int | None]:
    """The reviewer's side-by-side: (portrait media id, whether it is already a crop, selfie media id)."""
    doc = next((g for g in groups if g.key == "document"), None)
    crop = next((i.id for i in doc.items if i.kind == "PORTRAIT_CROP"), None) if doc else None
    photo = next((i.id for i in doc.items if i.kind in ("DOCUMENT_CORRECTED", "DOCUMENT_FRONT")), None) if doc else None
    selfie_group = next((g for g in groups if g.key == "selfie"), None)
    attempts = [g for g in groups if g.key.startswith("liveness-")]
    selfie = selfie_group.items[-1].id if selfie_group else (attempts[-1].cover_id if attempts else None)
    return (crop, True, selfie) if crop else (photo, False, selfie)


def get_session_detail(db: Session, *, actor: OperatorView | None, session_id: int, ip: str = "",
                       audit_view: bool = True) -> SessionDetail:
    """The session detail, audited as a view (pass audit_view=False only for a
    refresh right after an action the viewer made, which is audited itself)."""
    vs = session_for(db, actor, session_id, Permission.VIEW_SESSIONS)
    assert actor is not None
    detail = build_detail(db, actor, vs)
    if audit_view:
        audit.record(db, AuditAction.SESSION_VIEWED, operator_id=actor.id, actor=actor.email,
                     application_id=vs.application_id, session_id=vs.id, target=f"session:{vs.id}", ip=ip)
    return detail
