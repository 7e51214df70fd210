"""What the API returns, as typed values (read from its JSON; unknown fields are ignored so a newer
server does not break an older client)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional


def _time(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass(frozen=True)
class CreatedSession:
    id: int
    link: str
    expires_at: datetime
    replayed: bool  # the answer of an earlier request with the same idempotency key

    @classmethod
    def from_json(cls, raw: dict[str, Any], replayed: bool = False) -> "CreatedSession":
        return cls(int(raw["id"]), raw["link"], _time(raw["expires_at"]), replayed)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SubCheck:
    sub_check: str
    result: str   # PASS / FAIL
    process: str  # AUTOMATED / EXPERT_REVIEW
    details: dict[str, str]


@dataclass(frozen=True)
class Report:
    recommendation: str  # APPROVE / REJECT / NOT_AVAILABLE
    reason: Optional[str]
    recovery_suggestion: Optional[str]
    breakdown: tuple[SubCheck, ...]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Report":
        rec = raw["recommendation"]
        return cls(rec["value"], rec.get("reason"), rec.get("recovery_suggestion"), tuple(
            SubCheck(s["sub_check"], s["result"], s["process"], {d["name"]: d["value"] for d in s.get("details", [])})
            for s in raw.get("breakdown", [])))


@dataclass(frozen=True)
class Check:
    id: int
    type: str   # ID_DOCUMENT_AUTHENTICITY, LIVENESS, ID_DOCUMENT_FACE_MATCH, ID_DOCUMENT_TEXT_DATA_CHECK
    state: str  # CREATED / PENDING / DONE
    attempt: int
    report: Optional[Report]
    review_state: str

    @property
    def recommendation(self) -> Optional[str]:
        return self.report.recommendation if self.report else None


@dataclass(frozen=True)
class Media:
    id: int
    kind: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Decision:
    id: int
    value: str  # APPROVE / REJECT
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class Session:
    id: int
    state: str  # ONGOING / COMPLETED / EXPIRED
    reference: str
    user_name: str
    user_email: str
    link: str
    created_at: datetime
    expires_at: datetime
    completed_at: Optional[datetime]
    checks: tuple[Check, ...]
    media: tuple[Media, ...]
    document_fields: dict[str, str]
    decision: Optional[Decision]
    pending_reviews: int

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Session":
        d = raw.get("decision")
        return cls(
            id=raw["id"], state=raw["state"], reference=raw["reference"], user_name=raw["user_name"],
            user_email=raw["user_email"], link=raw["link"], created_at=_time(raw["created_at"]),  # type: ignore[arg-type]
            expires_at=_time(raw["expires_at"]), completed_at=_time(raw.get("completed_at")),  # type: ignore[arg-type]
            checks=tuple(Check(c["id"], c["type"], c["state"], c["attempt"],
                               Report.from_json(c["report"]) if c.get("report") else None, c["review_state"])
                         for c in raw.get("checks", [])),
            media=tuple(Media(m["id"], m["kind"], m["content_type"], m["size"]) for m in raw.get("media", [])),
            document_fields={f["name"]: f["value"] for f in raw.get("document_fields", [])},
            decision=Decision(d["id"], d["value"], d["decided_by"], _time(d["decided_at"])) if d else None,  # type: ignore[arg-type]
            pending_reviews=raw.get("pending_reviews", 0))


@dataclass(frozen=True)
class SessionSummary:
    id: int
    state: str
    reference: str
    user_name: str
    user_email: str
    decision: Optional[str]
    created_at: datetime


@dataclass(frozen=True)
class SessionPage:
    sessions: tuple[SessionSummary, ...]
    next_cursor: Optional[str]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "SessionPage":
        return cls(tuple(SessionSummary(s["id"], s["state"], s["reference"], s["user_name"], s["user_email"],
                                        s.get("decision"), _time(s["created_at"]))  # type: ignore[arg-type]
                         for s in raw["data"]), raw.get("next_cursor"))


@dataclass(frozen=True)
class WebhookEvent:
    id: str          # the webhook-id header: the same on a redelivery, so a receiver can skip repeats
    type: str        # session.completed, check.completed, ...
    timestamp: datetime
    data: dict[str, Any]
