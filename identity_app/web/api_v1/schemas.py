"""The REST API's request and response bodies. FastAPI builds the OpenAPI document from these, so
what the document says is what the code checks and returns."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from identity_app.services.applications.checks_config import DOCUMENT_TYPES
from identity_app.services.api.sessions import CURSOR
from identity_app.services.applications.overrides import SessionOverrides
from identity_app.services.sessions.detail import CheckCard, SessionDetail
from identity_app.services.sessions.search import SessionRow

DocumentType = Literal[DOCUMENT_TYPES]  # type: ignore[valid-type]

# What the services accept, said in the document so that a client (and Schemathesis) knows it:
# no control characters (PostgreSQL refuses NUL; line breaks would forge lines in emails and
# exports), a name with something in it, an email with an @ and a dot after the last @.
_CC = r"\x00-\x1f\x7f-\x9f"
TEXT = rf"^[^{_CC}]*$"
NAME = rf"^[^{_CC}]*[^\s{_CC}][^{_CC}]*$"
EMAIL = rf"^ *[^@\s{_CC}][^\s{_CC}]*@[^@\s{_CC}]*\.[^@\s{_CC}]* *$"
# A web address whose host holds no bracket: "http://[" and even "https://[b40:.9a5B1598d]" are refused by
# the services (Python's URL parser checks a bracketed host), and the document must not promise what they do
# not take; a redirect to an IPv6 literal is not worth a pattern that would have to validate one.
_HOST = rf"[^\s/?#@\[\]{_CC}][^\s/?#\[\]{_CC}]*"
URL = rf"^ *(?:[hH][tT][tT][pP][sS]?://{_HOST}(?:[/?#][^\s{_CC}]*)?)? *$"
ManualCheck = Literal["ALWAYS", "FALLBACK", "NEVER"]
SessionStateName = Literal["ONGOING", "COMPLETED", "EXPIRED"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # true is not 1, "5" is not 5


class RequestedChecks(Strict):
    """Turn off checks the application runs, or ask for more manual review. A check the
    application does not run cannot be turned on."""

    document_authenticity: Optional[bool] = None
    liveness: Optional[bool] = None
    face_match: Optional[bool] = None
    text_extraction: Optional[bool] = None
    face_match_manual_check: Optional[ManualCheck] = None
    text_extraction_manual_check: Optional[ManualCheck] = None


class SessionPreferences(Strict):
    """Narrow the application's preferences for this session."""

    accepted_document_types: Optional[list[DocumentType]] = Field(default=None, min_length=1, max_length=4)
    camera_only: Optional[bool] = Field(default=None, description="true: no upload, the camera only")
    liveness_max_retries: Optional[int] = Field(default=None, ge=1, le=10)
    session_lifetime_days: Optional[int] = Field(default=None, ge=1, le=90)


class CreateSession(Strict):
    user_name: str = Field(min_length=1, max_length=200, pattern=NAME, description="The person's name (not verified)")
    user_email: str = Field(min_length=3, max_length=160, pattern=EMAIL,
                            description="The person's email (not verified)")
    reference: str = Field(default="", max_length=200, pattern=TEXT, description="Your own id for the person")
    checks: Optional[RequestedChecks] = None
    preferences: Optional[SessionPreferences] = None
    success_url: Optional[str] = Field(default=None, max_length=2000, pattern=URL,
                                       description="Where the person goes once the capture is done (http or https)")
    error_url: Optional[str] = Field(default=None, max_length=2000, pattern=URL)

    def overrides(self) -> SessionOverrides | None:
        c, p = self.checks, self.preferences
        if c is None and p is None and self.success_url is None and self.error_url is None:
            return None
        c = c or RequestedChecks()
        p = p or SessionPreferences()
        return SessionOverrides(
            document_authenticity=c.document_authenticity, liveness=c.liveness, face_match=c.face_match,
            text_extraction=c.text_extraction, face_match_manual_check=c.face_match_manual_check,
            text_extraction_manual_check=c.text_extraction_manual_check,
            accepted_document_types=tuple(p.accepted_document_types) if p.accepted_document_types else None,
            camera_only=p.camera_only, liveness_max_retries=p.liveness_max_retries,
            session_lifetime_days=p.session_lifetime_days, success_url=self.success_url, error_url=self.error_url)


class CreatedSession(BaseModel):
    id: int
    link: str = Field(description="The person's capture link: send it to them, or let us email it")
    expires_at: datetime


class Detail(BaseModel):
    name: str
    value: str


class RecommendationBody(BaseModel):
    value: Literal["APPROVE", "REJECT", "NOT_AVAILABLE"]
    reason: Optional[str] = None
    recovery_suggestion: Optional[str] = None


class SubCheckBody(BaseModel):
    sub_check: str
    result: Literal["PASS", "FAIL"]
    process: Literal["AUTOMATED", "EXPERT_REVIEW"]
    details: list[Detail]


class ReportBody(BaseModel):
    recommendation: RecommendationBody
    breakdown: list[SubCheckBody]


class CheckBody(BaseModel):
    id: int
    type: str
    state: Literal["CREATED", "PENDING", "DONE"]
    attempt: int
    resource_id: Optional[int]
    report: Optional[ReportBody] = Field(description="None until the check is DONE")
    manual_check: str
    review_state: str
    created_at: datetime
    completed_at: Optional[datetime]

    @classmethod
    def of(cls, c: CheckCard) -> "CheckBody":
        report = None
        if c.report is not None:
            r = c.report.to_dict()
            report = ReportBody(recommendation=RecommendationBody(**r["recommendation"]),
                                breakdown=[SubCheckBody(**s) for s in r["breakdown"]])
        return cls(id=c.id, type=c.type, state=c.state, attempt=c.attempt, resource_id=c.resource_id,  # type: ignore[arg-type]
                   report=report, manual_check=c.manual_check, review_state=c.review_state,
                   created_at=c.created_at, completed_at=c.completed_at)


class TaskBody(BaseModel):
    id: int
    type: str
    state: str


class MediaBody(BaseModel):
    id: int
    kind: str
    content_type: str
    size: int
    resource_id: Optional[int]
    created_at: datetime


class DecisionBody(BaseModel):
    id: int
    value: Literal["APPROVE", "REJECT"]
    decided_by: str
    decided_at: datetime


class SessionBody(BaseModel):
    id: int
    state: SessionStateName
    reference: str
    user_name: str
    user_email: str
    link: str
    created_at: datetime
    expires_at: datetime
    started_at: Optional[datetime]
    capture_finished_at: Optional[datetime]
    completed_at: Optional[datetime]
    checks: list[CheckBody]
    tasks: list[TaskBody]
    document_fields: list[Detail]
    media: list[MediaBody]
    decision: Optional[DecisionBody]
    pending_reviews: int

    @classmethod
    def of(cls, d: SessionDetail) -> "SessionBody":
        decision = (DecisionBody(id=d.decision.id, value=d.decision.value, decided_by=d.decision.decided_by,  # type: ignore[arg-type]
                                 decided_at=d.decision.decided_at) if d.decision else None)
        return cls(
            id=d.id, state=d.state, reference=d.reference, user_name=d.user_name, user_email=d.user_email,  # type: ignore[arg-type]
            link=d.link, created_at=d.created_at, expires_at=d.expires_at, started_at=d.started_at,
            capture_finished_at=d.capture_finished_at, completed_at=d.completed_at,
            checks=[CheckBody.of(c) for c in d.checks],
            tasks=[TaskBody(id=t.id, type=t.type, state=t.state) for t in d.tasks],
            document_fields=[Detail(name=f.name, value=f.value) for f in d.document_fields],
            media=[MediaBody(id=m.id, kind=m.kind, content_type=m.content_type, size=m.size,
                             resource_id=m.resource_id, created_at=m.created_at) for m in d.media],
            decision=decision, pending_reviews=d.pending_reviews)


class SessionSummary(BaseModel):
    id: int
    state: SessionStateName
    reference: str
    user_name: str
    user_email: str
    decision: Optional[Literal["APPROVE", "REJECT"]]
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, r: SessionRow) -> "SessionSummary":
        return cls(id=r.id, state=r.state, reference=r.reference, user_name=r.user_name,  # type: ignore[arg-type]
                   user_email=r.user_email, decision=r.decision or None,  # type: ignore[arg-type]
                   created_at=r.created_at, expires_at=r.expires_at)


class SessionFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")  # query strings: "25" is read as 25

    q: str = Field(default="", max_length=200, description="Part of a name, email or reference")
    state: Optional[SessionStateName] = None
    decision: Optional[Literal["APPROVE", "REJECT", "NONE"]] = Field(default=None, description="NONE: not decided yet")
    limit: int = Field(default=25, ge=1, le=200)
    cursor: Optional[str] = Field(default=None, pattern=CURSOR.pattern, description="next_cursor of the page before")


class SessionList(BaseModel):
    data: list[SessionSummary]
    next_cursor: Optional[str] = Field(description="Pass as `cursor` for the next page; null on the last page")


class RecordDecision(Strict):
    value: Literal["APPROVE", "REJECT"]
    note: str = Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*\S[^\x00]*$",
                      description="Why (kept with the decision, never sent in webhooks)")


class SessionDeleted(BaseModel):
    id: int
    media_items: int
    checks: int
    decisions: int


class MediaDeleted(BaseModel):
    id: int
    session_id: int


class LinkEmailed(BaseModel):
    id: int
    transport: str = Field(description="smtp, or outbox when no mail server is set up")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: Optional[str] = None
