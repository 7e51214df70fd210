"""What /metrics shows, in Prometheus' text format (version 0.0.4), written by hand: no dependency.

The figures come from the database and the queue at each scrape, so they are the same whichever
web process answers and survive restarts: sessions by state, check durations (a check's row is
made when its work is asked for, so the time includes the wait in the queue) and refusals by
reason, liveness frames analysed (each stored frame carries its analysis), the queue's depth and
the age of the oldest work waiting. They count what is kept: deleting sessions lowers them, which
Prometheus' rate() reads as a counter reset. Capture refusals by code are counted by each web
process as it answers (web/ops_routes.py). No label ever holds personal data: only enums, reason
codes and check types.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app import jobs
from identity_app.models import (Check, CheckState, DeliveryState, MediaItem, MediaKind, SessionState,
                                 VerificationSession, WebhookDelivery, utcnow)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds from a check asked for to its report: queue wait plus the work (a few s to minutes).
DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
APPROVE = "APPROVE"


@dataclass(frozen=True)
class Sample:
    labels: tuple[tuple[str, str], ...]
    value: float
    suffix: str = ""  # _bucket, _sum, _count for histograms


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # counter, gauge, histogram
    help: str
    samples: tuple[Sample, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(families: Iterable[Family]) -> str:
    lines = []
    for f in families:
        lines.append(f"# HELP {f.name} {f.help}")
        lines.append(f"# TYPE {f.name} {f.kind}")
        for s in f.samples:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in s.labels)
            lines.append(f"{f.name}{s.suffix}{{{labels}}} {_number(s.value)}" if labels
                         else f"{f.name}{s.suffix} {_number(s.value)}")
    return "\n".join(lines) + "\n"


def histogram(name: str, help: str, observations: Mapping[str, list[float]], label: str,
              buckets: tuple[float, ...] = DURATION_BUCKETS) -> Family:
    samples = []
    for key in sorted(observations):
        values = observations[key]
        for bound in (*buckets, float("inf")):
            samples.append(Sample(((label, key), ("le", _number(bound))), sum(v <= bound for v in values), "_bucket"))
        samples.append(Sample(((label, key),), sum(values), "_sum"))
        samples.append(Sample(((label, key),), len(values), "_count"))
    return Family(name, "histogram", help, tuple(samples))


def counted(name: str, kind: str, help: str, counts: Mapping[tuple[str, ...], float], labels: tuple[str, ...]) -> Family:
    return Family(name, kind, help, tuple(Sample(tuple(zip(labels, key)), n) for key, n in sorted(counts.items())))


def _seconds(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds())


def collect(db: Session, now: datetime | None = None) -> list[Family]:
    """Everything but the per-process counters, read in the caller's unit of work."""
    now = now or utcnow()
    states = Counter({(s.value,): 0 for s in SessionState})
    for state, n in db.exec(select(VerificationSession.state, sa.func.count())  # type: ignore[call-overload]
                            .group_by(VerificationSession.state)):
        states[(SessionState(state).value,)] = n

    durations: dict[str, list[float]] = {}
    refusals: Counter = Counter()
    done = db.exec(select(Check.type, Check.created_at, Check.completed_at, Check.recommendation, Check.reason)
                   .where(Check.state == CheckState.DONE, Check.completed_at.is_not(None)))  # type: ignore[union-attr]
    for check_type, created, completed, recommendation, reason in done:
        durations.setdefault(str(check_type), []).append(_seconds(created, completed))
        if recommendation and recommendation != APPROVE:
            refusals[(str(check_type), recommendation, reason or "")] += 1

    frames = db.exec(select(sa.func.count()).select_from(MediaItem).where(  # type: ignore[call-overload]
        MediaItem.kind == MediaKind.LIVENESS_FRAME, MediaItem.analysis.is_not(None))).one()  # type: ignore[union-attr]
    waiting_checks = db.exec(select(sa.func.count(), sa.func.min(Check.created_at))  # type: ignore[call-overload]
                             .where(Check.state == CheckState.PENDING)).one()
    due = db.exec(select(sa.func.count(), sa.func.min(WebhookDelivery.next_attempt_at))  # type: ignore[call-overload]
                  .where(WebhookDelivery.state == DeliveryState.PENDING,
                         WebhookDelivery.next_attempt_at <= now)).one()
    work = {("session_checks",): waiting_checks, ("webhook_delivery",): due}
    return [
        counted("idv_sessions", "gauge", "Verification sessions kept, by state.", states, ("state",)),
        histogram("idv_check_duration_seconds", "From a check asked for to its report (queue wait included), "
                  "checks kept.", durations, "check"),
        counted("idv_check_refusals", "gauge", "Checks kept whose recommendation is not APPROVE, by check, "
                "recommendation and reason code.", refusals, ("check", "recommendation", "reason")),
        Family("idv_liveness_frames_analysed", "gauge", "Liveness frames analysed as they arrived, frames kept.",
               (Sample((), frames),)),
        Family("idv_queue_depth", "gauge", "Jobs waiting in the queue (scheduled retries included).",
               (Sample((), jobs.queue_depth()),)),
        counted("idv_work_waiting", "gauge", "Checks not yet reported and webhook deliveries due.",
                {k: v[0] for k, v in work.items()}, ("kind",)),
        counted("idv_work_oldest_age_seconds", "gauge", "Age of the oldest check waiting for its report and the "
                "longest overdue webhook delivery (0 when none).",
                {k: _seconds(v[1], now) if v[1] is not None else 0 for k, v in work.items()}, ("kind",)),
    ]
