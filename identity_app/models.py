"""All tables and enums of the domain (see ../shared/guides/domain.md).

Plain SQLModel tables. Timestamps are timezone-aware UTC (stored as UTC on
every backend). Child rows cascade from their parent in the database
(ON DELETE CASCADE) so deleting a session or an application removes every
row that belongs to it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum, StrEnum
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


# SQLite reuses the ids of deleted rows unless a table says AUTOINCREMENT: a new session would
# take a deleted session's id and its audit trail (issue 9). Every table says it; PostgreSQL's
# sequences never go back anyway.
NO_ID_REUSE = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def ts(nullable: bool = True, index: bool = False, default: bool = False) -> Any:
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "nullable": nullable}
    if index:
        kwargs["index"] = True
    if default:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


def fk(target: str, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return Field(
        default=None,
        foreign_key=target,
        ondelete=ondelete,
        nullable=nullable,
        index=index,
    )


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=False)


# --- enums -----------------------------------------------------------------


class Permission(str, Enum):
    VIEW_SESSIONS = "VIEW_SESSIONS"
    CREATE_SESSIONS = "CREATE_SESSIONS"
    DECIDE = "DECIDE"
    DELETE_MEDIA = "DELETE_MEDIA"
    DELETE_SESSIONS = "DELETE_SESSIONS"
    MANAGE_APPLICATION = "MANAGE_APPLICATION"


ALL_PERMISSIONS = tuple(p.value for p in Permission)


class SignInStage(str, Enum):
    PASSWORD_OK = "PASSWORD_OK"  # password right, waiting for TOTP (5 minutes)
    ACTIVE = "ACTIVE"            # fully signed in (24 hours at most)


class SessionState(str, Enum):
    ONGOING = "ONGOING"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"

    @property
    def label(self) -> str:
        """The console's name of the state (domain.md): ONGOING is shown as IN PROGRESS."""
        return "IN PROGRESS" if self is SessionState.ONGOING else self.value


class CheckState(str, Enum):
    CREATED = "CREATED"
    PENDING = "PENDING"
    DONE = "DONE"


class TaskState(str, Enum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


class TaskType(StrEnum):
    """The tasks (Yoti's names); Task.type stores the value. (The check types are
    checks.report.CheckType: the pure checks report them and never import this module.)"""

    ID_DOCUMENT_TEXT_DATA_EXTRACTION = "ID_DOCUMENT_TEXT_DATA_EXTRACTION"  # reads a document's MRZ and printed fields


class ManualCheck(str, Enum):
    ALWAYS = "ALWAYS"
    FALLBACK = "FALLBACK"
    NEVER = "NEVER"


class ReviewState(str, Enum):
    NOT_REQUIRED = "NOT_REQUIRED"
    PENDING = "PENDING"
    DONE = "DONE"


class ResourceKind(str, Enum):
    ID_DOCUMENT = "ID_DOCUMENT"
    LIVENESS = "LIVENESS"


class MediaKind(str, Enum):
    DOCUMENT_FRONT = "DOCUMENT_FRONT"
    DOCUMENT_BACK = "DOCUMENT_BACK"
    SELFIE = "SELFIE"
    LIVENESS_FRAME = "LIVENESS_FRAME"
    APPLICATION_LOGO = "APPLICATION_LOGO"
    # Evidence the worker keeps when it checks a document (services/review/verification.py),
    # derived from the stored DOCUMENT_FRONT/BACK, which stays as captured.
    MRZ_CROP = "MRZ_CROP"                        # the machine readable zone's band, upright
    PORTRAIT_CROP = "PORTRAIT_CROP"              # the document's portrait, upright
    DOCUMENT_CORRECTED = "DOCUMENT_CORRECTED"    # the document flattened by its four corners


class DecisionValue(str, Enum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


class AuditAction(StrEnum):
    """What an audit event records (AuditEvent.action). The values are stored and filtered
    on as they are: never rename one. A StrEnum, so str() and f-strings give the value."""

    # console accounts and signing in
    OWNER_CREATED = "owner.created"
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    TOTP_FAILED = "auth.totp_failed"
    TOTP_ENROLLED = "auth.totp_enrolled"
    TOTP_RESET = "auth.totp_reset"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    LOCKOUT = "auth.lockout"
    SIGN_OUT = "auth.sign_out"
    # applications and their users
    APPLICATION_CREATED = "application.created"
    APPLICATION_UPDATED = "application.updated"
    APPLICATION_ACTIVATED = "application.activated"
    APPLICATION_DEACTIVATED = "application.deactivated"
    INVITATION_SENT = "user.invited"
    INVITATION_ACCEPTED = "user.invitation_accepted"
    INVITATION_REVOKED = "user.invitation_revoked"
    INVITATION_RESENT = "user.invitation_resent"
    PERMISSIONS_CHANGED = "user.permissions_changed"
    MEMBER_REMOVED = "user.removed"
    # sessions, by operators
    SESSION_CREATED = "session.created"
    SESSIONS_BULK_CREATED = "sessions.bulk_created"
    SESSION_LINK_EMAILED = "session.link_emailed"
    SESSION_VIEWED = "session.viewed"
    REPORT_DOWNLOADED = "session.report_downloaded"  # the session's PDF report
    SESSIONS_EXPORTED = "sessions.exported"
    MEDIA_VIEWED = "media.viewed"
    REVIEW_RECORDED = "review.recorded"
    SESSION_DECIDED = "session.decided"
    MEDIA_DELETED = "media.deleted"
    SESSION_MEDIA_DELETED = "session.media_deleted"
    SESSION_DELETED = "session.deleted"
    # the end user's capture (behind the session link)
    CAPTURE_STARTED = "capture.started"
    CONSENT_GIVEN = "capture.consent_given"
    DOCUMENT_STORED = "capture.document_stored"
    LIVENESS_STARTED = "capture.liveness_started"
    LIVENESS_FINISHED = "capture.liveness_finished"
    CAPTURE_FINISHED = "capture.finished"
    # the system (worker jobs, rules)
    SESSION_COMPLETED = "session.completed"
    SESSION_EXPIRED = "session.expired"
    REMINDER_SENT = "session.reminder_sent"
    RETENTION_DELETED = "media.retention_deleted"
    # the REST API and its webhooks
    API_KEY_CREATED = "api.key_created"
    API_KEY_REVOKED = "api.key_revoked"
    API_REQUEST = "api.request"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_UPDATED = "webhook.updated"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_RESENT = "webhook.resent"
    SDK_KEY_CREATED = "api.sdk_key_created"
    SDK_KEY_REVOKED = "api.sdk_key_revoked"
    # the reviewer's workbench (session page, review queue)
    SESSION_LINK_REGENERATED = "session.link_regenerated"
    REVIEW_ASSIGNED = "review.assigned"
    REVIEW_UNASSIGNED = "review.unassigned"
    REVIEW_NOTE_ADDED = "review.note_added"


class ApiScope(StrEnum):
    """What an API key may do on its application (services/api/keys.py)."""

    SESSIONS_CREATE = "sessions:create"
    RESULTS_READ = "results:read"
    MEDIA_READ = "media:read"
    DELETE = "delete"
    DECISIONS_WRITE = "decisions:write"


class WebhookTopic(StrEnum):
    """What a webhook endpoint can subscribe to (Yoti's notification topics, named our way)."""

    SESSION_CREATED = "session.created"
    RESOURCE_UPDATED = "resource.updated"
    CHECK_COMPLETED = "check.completed"
    TASK_COMPLETED = "task.completed"
    SESSION_COMPLETED = "session.completed"
    SESSION_EXPIRED = "session.expired"
    SESSION_DELETED = "session.deleted"
    DECISION_RECORDED = "decision.recorded"


class DeliveryState(StrEnum):
    PENDING = "PENDING"      # waiting for its next attempt
    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    DEAD = "DEAD"            # retried for the whole retry period, or the endpoint was disabled


# --- console users -----------------------------------------------------------


class Operator(SQLModel, table=True):
    __table_args__ = NO_ID_REUSE
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)  # stored lower-case
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    is_owner: bool = False
    disabled: bool = False
    # TOTP secret encrypted with the app key; saved only after a first valid code.
    totp_secret_enc: Optional[str] = Field(default=None, max_length=512)
    totp_enrolled_at: Optional[datetime] = ts()
    totp_last_step: Optional[int] = None  # each code is accepted once
    created_at: datetime = ts(nullable=False, default=True)


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"
    __table_args__ = NO_ID_REUSE
    id: Optional[int] = Field(default=None, primary_key=True)
    operator_id: int = fk("operator.id")
    code_hash: str = Field(max_length=128)
    used_at: Optional[datetime] = ts()


class SignInSession(SQLModel, table=True):
    """A console sign-in: the browser holds the token, we keep its hash."""

    __tablename__ = "sign_in_session"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    operator_id: int = fk("operator.id")
    stage: SignInStage = SignInStage.PASSWORD_OK
    created_at: datetime = ts(nullable=False, default=True)
    expires_at: datetime = ts(nullable=False)
    ended_at: Optional[datetime] = ts()
    # A TOTP secret offered during enrolment, encrypted, until confirmed by a code.
    pending_totp_enc: Optional[str] = Field(default=None, max_length=512)
    # Wrong codes given to this pending sign-in; at the limit it ends (password again).
    failed_codes: int = 0
    # The recovery codes made at enrolment, encrypted, until the person confirms they saved
    # them (the page fetches them over HTTP, so they never pass through the UI state).
    recovery_codes_enc: Optional[str] = Field(default=None, max_length=1024)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=400)


class AuthFailure(SQLModel, table=True):
    """A wrong password or code, counted per bucket (an account from unknown browsers,
    an account from one trusted browser, an address) to slow guessing down; see
    services/access/guessing.py. Kept in the database so that every web process sees them."""

    __tablename__ = "auth_failure"
    __table_args__ = (sa.Index("ix_auth_failure_bucket_at", "bucket", "at"), NO_ID_REUSE)

    id: Optional[int] = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=400)
    at: datetime = ts(nullable=False, default=True)


class TrustedDevice(SQLModel, table=True):
    """A browser that completed a sign-in: it holds a random cookie whose hash is here.
    Its guesses are counted apart from unknown browsers', so an attacker's failures
    never slow the rightful operator down on their own browser."""

    __tablename__ = "trusted_device"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    operator_id: int = fk("operator.id")
    token_hash: str = Field(max_length=128, unique=True, index=True)
    created_at: datetime = ts(nullable=False, default=True)
    last_used_at: Optional[datetime] = ts()


# --- applications --------------------------------------------------------------


class Application(SQLModel, table=True):
    __table_args__ = NO_ID_REUSE
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    logo_key: Optional[str] = Field(default=None, max_length=300)
    is_active: bool = True
    # Requested checks and their settings (see services/applications/checks_config.py for the shape).
    checks_config: dict = json_field()
    # Preferences: look and feel, redirects, lifetimes.
    primary_colour: str = Field(default="#2563eb", max_length=16)
    secondary_colour: str = Field(default="#0f172a", max_length=16)
    locale: str = Field(default="en", max_length=16)
    success_url: str = Field(default="", max_length=2000)
    error_url: str = Field(default="", max_length=2000)
    privacy_policy_url: str = Field(default="", max_length=2000)
    session_lifetime_days: int = 7
    media_retention_days: int = 90
    reminder_count: int = 0
    reminder_interval_days: int = 2
    created_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    created_at: datetime = ts(nullable=False, default=True)
    updated_at: datetime = ts(nullable=False, default=True)


class Membership(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("application_id", "operator_id"), NO_ID_REUSE)

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = fk("application.id")
    operator_id: int = fk("operator.id")
    permissions: list = json_field(list)
    created_at: datetime = ts(nullable=False, default=True)


class Invitation(SQLModel, table=True):
    __table_args__ = NO_ID_REUSE
    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = fk("application.id")
    email: str = Field(max_length=320, index=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    permissions: list = json_field(list)
    invited_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    created_at: datetime = ts(nullable=False, default=True)
    expires_at: datetime = ts(nullable=False)
    accepted_at: Optional[datetime] = ts()
    revoked_at: Optional[datetime] = ts()


# --- verification sessions -------------------------------------------------------


class VerificationSession(SQLModel, table=True):
    __tablename__ = "verification_session"
    __table_args__ = (
        sa.Index("ix_vs_app_created", "application_id", "created_at"),
        sa.Index("ix_vs_app_state_created", "application_id", "state", "created_at"),
        # Sessions list (services/sessions/search.py): a covering index that a SQLite
        # text search scans instead of the wide rows, and the name / decision orders.
        # PostgreSQL also gets a pg_trgm GIN index on search_text, created only in its
        # migration (ix_vs_search_trgm): leave it out of autogenerated drops.
        sa.Index("ix_vs_app_search", "application_id", "created_at", "id", "state", "decision", "search_text"),
        sa.Index("ix_vs_app_name", "application_id", "user_name", "created_at", "id"),
        sa.Index("ix_vs_app_sort_text", "application_id", "search_text", "created_at", "id"),  # the name sort
        sa.Index("ix_vs_app_decision_created", "application_id", "decision", "created_at"),
        # The dashboard (services/sessions/stats.py) reads these indexes only, never the wide rows:
        # the funnel and sessions per day, time to complete, expired per day.
        sa.Index("ix_vs_app_funnel", "application_id", "created_at", "state", "started_at", "consent_at",
                 "capture_finished_at", "id"),
        sa.Index("ix_vs_app_completed", "application_id", "completed_at", "created_at", "started_at"),
        sa.Index("ix_vs_app_state_expires", "application_id", "state", "expires_at"),
        NO_ID_REUSE,
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = fk("application.id")
    # The link's capability: 256 random bits, urlsafe.
    token: str = Field(max_length=64, unique=True, index=True)
    user_name: str = Field(max_length=200)
    user_email: str = Field(max_length=320)
    reference: str = Field(default="", max_length=200)
    # Lower-cased "name email reference" for case-insensitive part-of-word search.
    search_text: str = Field(default="", max_length=800)
    state: SessionState = Field(default=SessionState.ONGOING, index=True)
    config_snapshot: dict = json_field()
    created_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    created_via: str = Field(default="", max_length=200)  # the API key that created it, if one did
    created_at: datetime = ts(nullable=False, default=True)
    expires_at: datetime = ts(nullable=False, index=True)
    started_at: Optional[datetime] = ts()
    consent_at: Optional[datetime] = ts()
    capture_finished_at: Optional[datetime] = ts()
    completed_at: Optional[datetime] = ts()
    device: dict = json_field()
    reminders_sent: int = 0
    last_reminder_at: Optional[datetime] = ts()
    decision: Optional[DecisionValue] = Field(default=None, index=True)  # latest decision


# Document types photographed on both sides (the others: the front only).
DOCUMENTS_WITH_BACK = frozenset({"NATIONAL_ID", "DRIVING_LICENCE", "RESIDENCE_PERMIT"})


class Resource(SQLModel, table=True):
    """An ID document or a liveness attempt: each attempt is its own resource."""

    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = fk("verification_session.id")
    kind: ResourceKind
    attempt: int = 1
    document_type: str = Field(default="", max_length=40)
    issuing_country: str = Field(default="", max_length=3)
    challenge: list = json_field(list)
    created_at: datetime = ts(nullable=False, default=True)


class MediaItem(SQLModel, table=True):
    __tablename__ = "media_item"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: Optional[int] = fk("verification_session.id", nullable=True)
    resource_id: Optional[int] = fk("resource.id", nullable=True)
    kind: MediaKind
    storage_key: str = Field(max_length=300, unique=True)
    content_type: str = Field(max_length=100)
    size: int = 0
    width: int = 0
    height: int = 0
    # Liveness frames: milliseconds since the attempt's first challenge was shown (client clock).
    captured_ms: Optional[int] = None
    # Liveness frames: the web process's FrameAnalysis of the frame as it arrived (pose, eye and
    # mouth measures, face box; no embedding), so the worker decides without analysing it again.
    analysis: Optional[dict] = Field(default=None, sa_type=sa.JSON, nullable=True)
    created_at: datetime = ts(nullable=False, default=True, index=True)


class Check(SQLModel, table=True):
    __tablename__ = "session_check"
    # The dashboard's pass rates per check read this index only (the reports are large).
    __table_args__ = (sa.Index("ix_check_session_results", "session_id", "state", "type", "recommendation"),
                      NO_ID_REUSE)
    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = fk("verification_session.id")
    resource_id: Optional[int] = fk("resource.id", nullable=True)
    type: str = Field(max_length=64)  # a checks.report.CheckType value
    state: CheckState = CheckState.CREATED
    attempt: int = 1
    report: dict = json_field()  # CheckReport.to_dict()
    recommendation: Optional[str] = Field(default=None, max_length=20)
    reason: Optional[str] = Field(default=None, max_length=64)
    manual_check: ManualCheck = ManualCheck.NEVER
    review_state: ReviewState = Field(default=ReviewState.NOT_REQUIRED, index=True)
    review_result: Optional[str] = Field(default=None, max_length=8)  # PASS / FAIL
    review_reason: str = Field(default="", max_length=2000)
    reviewed_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    reviewed_at: Optional[datetime] = ts()
    created_at: datetime = ts(nullable=False, default=True)
    completed_at: Optional[datetime] = ts()


class Task(SQLModel, table=True):
    __table_args__ = NO_ID_REUSE
    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = fk("verification_session.id")
    resource_id: Optional[int] = fk("resource.id", nullable=True)
    type: str = Field(max_length=64)  # a TaskType value
    state: TaskState = TaskState.PENDING
    result: dict = json_field()
    error: str = Field(default="", max_length=500)
    created_at: datetime = ts(nullable=False, default=True)
    completed_at: Optional[datetime] = ts()


class Decision(SQLModel, table=True):
    """Every decision made on a session; the newest is the current one."""

    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = fk("verification_session.id")
    value: DecisionValue
    note: str = Field(default="", max_length=4000)
    decided_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    decided_via: str = Field(default="", max_length=200)  # the API key that recorded it, if one did
    decided_at: datetime = ts(nullable=False, default=True)


class AuditEvent(SQLModel, table=True):
    """Who did what, when. Never holds the deleted personal data itself."""

    __tablename__ = "audit_event"
    # (target, at): an API key's requests in the last minute are counted on every request.
    __table_args__ = (sa.Index("ix_audit_event_target_at", "target", "at"), NO_ID_REUSE)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = ts(nullable=False, default=True, index=True)
    operator_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL")
    actor: str = Field(default="", max_length=320)  # operator email at the time, or "system"
    action: str = Field(max_length=64, index=True)  # an AuditAction value
    application_id: Optional[int] = Field(default=None, index=True)  # kept after deletion
    session_id: Optional[int] = Field(default=None, index=True)      # kept after deletion
    target: str = Field(default="", max_length=200)
    ip: str = Field(default="", max_length=64)
    details: dict = json_field()


# --- the REST API and webhooks ---------------------------------------------------------


class ApiKey(SQLModel, table=True):
    """A key a team's backend uses on /api/v1: shown once, kept as a hash, scoped to one application."""

    __tablename__ = "api_key"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = fk("application.id")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, index=True)  # shown in the console: idv_<prefix>_...
    key_hash: str = Field(max_length=128, unique=True, index=True)
    scopes: list = json_field(list)  # ApiScope values
    created_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    created_at: datetime = ts(nullable=False, default=True)
    last_used_at: Optional[datetime] = ts()
    revoked_at: Optional[datetime] = ts()


class IdempotencyRecord(SQLModel, table=True):
    """A creation request made with an Idempotency-Key: the same key and body get the same answer."""

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("api_key_id", "key"), NO_ID_REUSE)

    id: Optional[int] = Field(default=None, primary_key=True)
    api_key_id: int = fk("api_key.id")
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int = 201
    response: dict = json_field()
    created_at: datetime = ts(nullable=False, default=True, index=True)


class WebhookEndpoint(SQLModel, table=True):
    """Where an application's events go, signed per Standard Webhooks with its secret."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = fk("application.id")
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    topics: list = json_field(list)  # WebhookTopic values
    secret_enc: str = Field(max_length=512)
    # The secret before the last rotation, still accepted by the signature until previous_until.
    previous_secret_enc: Optional[str] = Field(default=None, max_length=512)
    previous_until: Optional[datetime] = ts()
    include_personal_data: bool = False  # payloads carry ids only unless the team asks for names and emails
    enabled: bool = True
    consecutive_failures: int = 0
    disabled_at: Optional[datetime] = ts()
    created_at: datetime = ts(nullable=False, default=True)


class WebhookDelivery(SQLModel, table=True):
    """One event to one receiver, retried from the durable queue until delivered or dead."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_delivery_endpoint_created", "endpoint_id", "created_at"), NO_ID_REUSE)

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(index=True)
    # A webhook endpoint, or none for a session's own notification endpoint (Yoti compatibility).
    endpoint_id: Optional[int] = fk("webhook_endpoint.id", nullable=True)
    session_id: Optional[int] = Field(default=None, index=True)  # kept without a key: deletion is an event too
    message_id: str = Field(max_length=64, unique=True)
    topic: str = Field(max_length=64)
    url: str = Field(max_length=2000)
    auth_enc: Optional[str] = Field(default=None, max_length=512)  # a session notification's auth token
    payload: dict = json_field()
    state: DeliveryState = Field(default=DeliveryState.PENDING, index=True)
    attempts: int = 0
    next_attempt_at: Optional[datetime] = ts()
    last_status_code: Optional[int] = None
    last_response_ms: Optional[int] = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = ts(nullable=False, default=True)
    delivered_at: Optional[datetime] = ts()


class SdkKey(SQLModel, table=True):
    """Yoti compatibility: an application's SDK id and the public half of its key pair (the private
    half is handed to the team once and never kept), which Yoti-style signed requests are checked with."""

    __tablename__ = "sdk_key"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = fk("application.id")
    sdk_id: str = Field(max_length=64, unique=True, index=True)
    public_key_pem: str = Field(max_length=4000)
    created_by_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    created_at: datetime = ts(nullable=False, default=True)
    revoked_at: Optional[datetime] = ts()


# --- the review queue's assignee and notes (services/review/queue.py) ----------------------


class ReviewAssignment(SQLModel, table=True):
    """Who works on a check waiting for review (one assignee at most); goes with the check."""

    __tablename__ = "review_assignment"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="session_check.id", ondelete="CASCADE", unique=True, index=True)
    assignee_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    assigned_at: datetime = ts(nullable=False, default=True)


class ReviewNote(SQLModel, table=True):
    """A reviewer's note on a check waiting for review (free text: may describe the person,
    so it lives and dies with the check, never in the audit trail)."""

    __tablename__ = "review_note"
    __table_args__ = NO_ID_REUSE

    id: Optional[int] = Field(default=None, primary_key=True)
    check_id: int = fk("session_check.id")
    author_id: Optional[int] = fk("operator.id", nullable=True, ondelete="SET NULL", index=False)
    text: str = Field(max_length=2000)
    created_at: datetime = ts(nullable=False, default=True)
