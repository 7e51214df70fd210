"""The report every check returns, in the domain's (Yoti's) vocabulary.

A report is a frozen value: the services layer stores it as JSON
(`to_dict`) and reads it back (`from_dict`) without losing anything, so an
old report stays explainable after thresholds change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Iterable, Mapping


class CheckType(StrEnum):
    """The checks (Yoti's names). A report carries its type, and the Check table stores the
    value (services/review/verification.py), so the type lives here, where the pure checks can
    use it without importing the models. A StrEnum: str() and f-strings give the value."""

    ID_DOCUMENT_AUTHENTICITY = "ID_DOCUMENT_AUTHENTICITY"
    LIVENESS = "LIVENESS"
    ID_DOCUMENT_FACE_MATCH = "ID_DOCUMENT_FACE_MATCH"
    ID_DOCUMENT_TEXT_DATA_CHECK = "ID_DOCUMENT_TEXT_DATA_CHECK"

    @property
    def label(self) -> str:
        """What the console calls the check."""
        return CHECK_LABELS[self]


CHECK_LABELS = {
    CheckType.ID_DOCUMENT_AUTHENTICITY: "Document authenticity",
    CheckType.LIVENESS: "Liveness",
    CheckType.ID_DOCUMENT_FACE_MATCH: "Face match",
    CheckType.ID_DOCUMENT_TEXT_DATA_CHECK: "Document text data",
}


class Recommendation(str, Enum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    NOT_AVAILABLE = "NOT_AVAILABLE"


class SubCheckResult(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"


class Process(str, Enum):
    AUTOMATED = "AUTOMATED"
    EXPERT_REVIEW = "EXPERT_REVIEW"


@dataclass(frozen=True)
class Detail:
    name: str
    value: str


def details(**values: Any) -> tuple[Detail, ...]:
    """Build details from keyword arguments, formatting floats compactly."""
    out = []
    for name, value in values.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        out.append(Detail(name, str(value)))
    return tuple(out)


@dataclass(frozen=True)
class SubCheck:
    sub_check: str
    result: SubCheckResult
    details: tuple[Detail, ...] = ()
    process: Process = Process.AUTOMATED

    @property
    def passed(self) -> bool:
        return self.result is SubCheckResult.PASS


def sub_check(name: str, passed: bool, **values: Any) -> SubCheck:
    return SubCheck(name, SubCheckResult.PASS if passed else SubCheckResult.FAIL, details(**values))


@dataclass(frozen=True)
class CheckReport:
    check_type: CheckType
    recommendation: Recommendation
    reason: str | None = None
    recovery_suggestion: str | None = None
    breakdown: tuple[SubCheck, ...] = ()
    score: float | None = None
    algorithm_version: str = ""
    thresholds: tuple[Detail, ...] = ()
    # Structured data a check extracted (document fields for text extraction).
    data: tuple[Detail, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_type": self.check_type.value,
            "recommendation": {
                "value": self.recommendation.value,
                "reason": self.reason,
                "recovery_suggestion": self.recovery_suggestion,
            },
            "breakdown": [
                {
                    "sub_check": s.sub_check,
                    "result": s.result.value,
                    "process": s.process.value,
                    "details": [{"name": d.name, "value": d.value} for d in s.details],
                }
                for s in self.breakdown
            ],
            "score": self.score,
            "algorithm_version": self.algorithm_version,
            "thresholds": [{"name": d.name, "value": d.value} for d in self.thresholds],
            "data": [{"name": d.name, "value": d.value} for d in self.data],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "CheckReport":
        def dets(items: Iterable[Mapping[str, Any]]) -> tuple[Detail, ...]:
            return tuple(Detail(str(i["name"]), str(i["value"])) for i in items or ())

        rec = raw["recommendation"]
        return cls(
            check_type=CheckType(raw["check_type"]),
            recommendation=Recommendation(rec["value"]),
            reason=rec.get("reason"),
            recovery_suggestion=rec.get("recovery_suggestion"),
            breakdown=tuple(
                SubCheck(
                    s["sub_check"],
                    SubCheckResult(s["result"]),
                    dets(s.get("details", ())),
                    Process(s.get("process", "AUTOMATED")),
                )
                for s in raw.get("breakdown", ())
            ),
            score=raw.get("score"),
            algorithm_version=raw.get("algorithm_version", ""),
            thresholds=dets(raw.get("thresholds", ())),
            data=dets(raw.get("data", ())),
        )

    def data_dict(self) -> dict[str, str]:
        return {d.name: d.value for d in self.data}
