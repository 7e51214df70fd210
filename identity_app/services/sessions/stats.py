"""An application's dashboard: sessions per day, the capture funnel, pass rates per check, time to
complete and the reviews waiting. Members of the application only (view sessions).

Every figure is an aggregation in SQL over index-only scans (migration c7d2e4f1a8b3 adds the
covering indexes), so one dashboard costs a handful of queries whatever the number of sessions:
`python -m identity_app.cli bench dashboard` measures it at 100,000 sessions. Python only fills
the days without sessions and turns counts into rates. Nothing personal is read: counts and
durations only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session

from identity_app.checks.report import CheckType, Recommendation
from identity_app.models import (
    Application,
    Check,
    CheckState,
    Permission,
    Resource,
    ResourceKind,
    ReviewState,
    SessionState,
    UTCDateTime,
    VerificationSession,
    utcnow,
)
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import require
from identity_app.services.errors import ValidationError

RANGES = (7, 30, 90)  # the date ranges the console offers, in days (today included)

VS = VerificationSession.__table__
CHECK = Check.__table__
RESOURCE = Resource.__table__

# Durations in seconds, as the charts group them: (label, upper bound exclusive).
TIME_BUCKETS = (("< 1 min", 60), ("1-2 min", 120), ("2-5 min", 300), ("5-10 min", 600), ("10-30 min", 1800),
                ("30-60 min", 3600), ("1-24 h", 86400), ("> 1 day", None))
AGE_BUCKETS = (("< 1 h", 3600), ("1-4 h", 4 * 3600), ("4-24 h", 86400), ("1-3 days", 3 * 86400),
               ("> 3 days", None))


@dataclass(frozen=True)
class DayCount:
    day: str  # YYYY-MM-DD (UTC)
    created: int
    completed: int
    expired: int


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    count: int
    percent_of_first: float  # of the sessions created in the range
    dropped: int             # lost since the previous step
    drop_percent: float      # of the previous step


@dataclass(frozen=True)
class CheckPassRate:
    check_type: str
    label: str
    done: int        # check runs with a report (every attempt counts)
    approved: int
    rejected: int
    not_available: int
    pass_rate: float  # approved / done, percent (0 when none)


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int


@dataclass(frozen=True)
class CompletionTimes:
    completed: int                 # sessions completed in the range
    median_seconds: float | None   # from the link opened (else created) to completed
    p90_seconds: float | None
    buckets: tuple[Bucket, ...]


@dataclass(frozen=True)
class ReviewBacklog:
    waiting: int                   # checks waiting for a person now (whatever the range)
    oldest_seconds: float | None   # since the check's automated part finished
    median_seconds: float | None
    buckets: tuple[Bucket, ...]


@dataclass(frozen=True)
class Dashboard:
    application_id: int
    application_name: str
    days: int
    since: datetime  # inclusive, midnight UTC
    until: datetime  # exclusive: the moment it was computed
    per_day: tuple[DayCount, ...]
    created: int
    completed: int
    expired: int
    funnel: tuple[FunnelStep, ...]
    pass_rates: tuple[CheckPassRate, ...]
    times: CompletionTimes
    reviews: ReviewBacklog


# --- dialect helpers: the only SQL that differs between SQLite and PostgreSQL --------------------


def _day(db: Session, column):
    """The UTC day of a timestamp: a date on PostgreSQL (half the time of to_char), 'YYYY-MM-DD' on
    SQLite, which stores UTC text ('YYYY-MM-DD HH:MM:SS'); str() of either is 'YYYY-MM-DD'."""
    if db.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.substr(column, 1, 10)


def _seconds(db: Session, start, end):
    """end - start in seconds, as a float."""
    if db.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _ts(db: Session, value: datetime):
    """A bound timestamp in the column's own storage (aware UTC; naive UTC text on SQLite)."""
    return sa.literal(value, type_=UTCDateTime())


def _buckets(db: Session, expr, bounds) -> list:
    cols = []
    lower = None
    for i, (_, upper) in enumerate(bounds):
        conds = []
        if lower is not None:
            conds.append(expr >= lower)
        if upper is not None:
            conds.append(expr < upper)
        cols.append(sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conds), 1), else_=0)), 0).label(f"b{i}"))
        lower = upper
    return cols


def _rare(db: Session, condition):
    """A condition few rows meet (reviews waiting). SQLite's statistics hold no skew, so its planner
    would read every check of the application; this says so (PostgreSQL's statistics know it)."""
    if db.get_bind().dialect.name == "sqlite":
        return sa.func.likelihood(condition, sa.literal_column("0.001"))
    return condition


def _values(db: Session, expr, from_, where):
    """`expr` of the matching rows as a subquery's column, so it is computed once a row. (SQLite
    would otherwise fold the subquery in and compute the expression once per use: a LIMIT -1,
    which limits nothing, keeps it apart.)"""
    inner = sa.select(expr.label("x")).select_from(from_).where(*where)
    if db.get_bind().dialect.name == "sqlite":
        inner = inner.limit(-1)
    return inner.subquery().c.x


def _quantiles(db: Session, expr, from_, where, count: int, fractions: tuple[float, ...]) -> list[float | None]:
    """Quantiles of `count` values of `expr`, each interpolated between its two nearest ranks as
    statistics.median does; SQL sorts once and hands back only the rows at those ranks."""
    if count == 0:
        return [None for _ in fractions]
    ranks = {}
    for f in fractions:
        k = (count - 1) * f
        ranks[f] = (k, int(k) + 1, min(int(k) + 2, count))  # 1-based ranks around k
    wanted = sorted({r for _, lo, hi in ranks.values() for r in (lo, hi)})
    ranked = (sa.select(expr.label("v"), sa.func.row_number().over(order_by=expr).label("r"))
              .select_from(from_).where(*where).subquery())
    rows = db.exec(sa.select(ranked.c.r, ranked.c.v).where(ranked.c.r.in_(wanted))).all()  # type: ignore[call-overload]
    values = {int(r): float(v) for r, v in rows}
    out: list[float | None] = []
    for f in fractions:
        k, lo, hi = ranks[f]
        a, b = values.get(lo), values.get(hi, values.get(lo))
        out.append(None if a is None or b is None else a + (b - a) * (k - int(k)))
    return out


# --- the figures -----------------------------------------------------------------------------------


def range_of(days: int, now: datetime) -> tuple[datetime, datetime]:
    if days not in RANGES:
        raise ValidationError(f"Choose a range of {', '.join(map(str, RANGES))} days.")
    first = now.astimezone(timezone.utc).date() - timedelta(days=days - 1)
    return datetime.combine(first, time.min, tzinfo=timezone.utc), now


def _per_day(db: Session, app_id: int, since: datetime, until: datetime, days: int) -> tuple[DayCount, ...]:
    lo, hi = _ts(db, since), _ts(db, until)

    def grouped(column, *where) -> dict[str, int]:
        day = _day(db, column)
        q = (sa.select(day.label("d"), sa.func.count().label("n")).select_from(VS)
             .where(VS.c.application_id == app_id, column >= lo, column < hi, *where).group_by(day))
        return {str(d): int(n) for d, n in db.exec(q).all()}  # type: ignore[call-overload]

    created = grouped(VS.c.created_at)
    completed = grouped(VS.c.completed_at)  # set once, when the session completes
    # Expired by the day the link's lifetime ended (the expiry job marks it within minutes).
    expired = grouped(VS.c.expires_at, VS.c.state == SessionState.EXPIRED)
    first = since.date()
    out = []
    for i in range(days):
        key = (first + timedelta(days=i)).isoformat()
        out.append(DayCount(key, created.get(key, 0), completed.get(key, 0), expired.get(key, 0)))
    return tuple(out)


FUNNEL_STEPS = (("created", "Link created"), ("opened", "Link opened"), ("consent", "Consent given"),
                ("document", "Document captured"), ("liveness", "Liveness attempted"),
                ("submitted", "Capture submitted"), ("completed", "Checks completed"))


def _funnel(db: Session, app_id: int, since: datetime, until: datetime) -> tuple[FunnelStep, ...]:
    """Sessions created in the range, by the furthest step each reached (a step counts everyone who
    went past it too, so a flow without liveness does not show a false drop)."""
    submitted = VS.c.capture_finished_at.is_not(None)
    consented = VS.c.consent_at.is_not(None)
    in_range = (VS.c.application_id == app_id, VS.c.created_at >= _ts(db, since), VS.c.created_at < _ts(db, until))

    def reached(*ways) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case(*[(w, 1) for w in ways], else_=0)), 0)

    q = sa.select(
        sa.func.count(),
        reached(VS.c.started_at.is_not(None), consented, submitted),
        reached(consented, submitted),
        reached(submitted),
        reached(VS.c.state == SessionState.COMPLETED),
    ).select_from(VS).where(*in_range)
    created, opened, consent, submit, complete = (int(n) for n in db.exec(q).one())  # type: ignore[call-overload]
    # Captures of the sessions that consented but did not submit (the others passed both steps): a
    # join on those few, not a probe per session.
    live = sa.case((RESOURCE.c.kind == ResourceKind.LIVENESS, RESOURCE.c.session_id))
    captured = (sa.select(sa.func.count(sa.distinct(RESOURCE.c.session_id)), sa.func.count(sa.distinct(live)))
                .select_from(VS.join(RESOURCE, RESOURCE.c.session_id == VS.c.id))
                .where(*in_range, consented, VS.c.capture_finished_at.is_(None)))
    document, liveness = (int(n) for n in db.exec(captured).one())  # type: ignore[call-overload]
    counts = [created, opened, consent, submit + document, submit + liveness, submit, complete]
    steps = []
    for i, ((key, label), n) in enumerate(zip(FUNNEL_STEPS, counts)):
        before = counts[i - 1] if i else n
        steps.append(FunnelStep(key, label, n, round(100.0 * n / counts[0], 1) if counts[0] else 0.0,
                                max(0, before - n), round(100.0 * (before - n) / before, 1) if before else 0.0))
    return tuple(steps)


def _pass_rates(db: Session, app_id: int, since: datetime, until: datetime) -> tuple[CheckPassRate, ...]:
    """Every check run with a report, of the sessions created in the range."""
    q = (sa.select(CHECK.c.type, CHECK.c.recommendation, sa.func.count())
         .select_from(VS.join(CHECK, CHECK.c.session_id == VS.c.id))
         .where(VS.c.application_id == app_id, VS.c.created_at >= _ts(db, since), VS.c.created_at < _ts(db, until),
                CHECK.c.state == CheckState.DONE)
         .group_by(CHECK.c.type, CHECK.c.recommendation))
    counts: dict[str, dict[str, int]] = {}
    for type_, rec, n in db.exec(q).all():  # type: ignore[call-overload]
        counts.setdefault(type_, {})[rec or Recommendation.NOT_AVAILABLE.value] = int(n)
    out = []
    for check_type in CheckType:
        c = counts.get(check_type.value, {})
        done = sum(c.values())
        approved = c.get(Recommendation.APPROVE.value, 0)
        out.append(CheckPassRate(check_type.value, check_type.label, done, approved,
                                 c.get(Recommendation.REJECT.value, 0), c.get(Recommendation.NOT_AVAILABLE.value, 0),
                                 round(100.0 * approved / done, 1) if done else 0.0))
    return tuple(out)


def _times(db: Session, app_id: int, since: datetime, until: datetime) -> CompletionTimes:
    """Sessions completed in the range: from the link opened (else created) to completed."""
    duration = _seconds(db, sa.func.coalesce(VS.c.started_at, VS.c.created_at), VS.c.completed_at)
    where = (VS.c.application_id == app_id, VS.c.completed_at >= _ts(db, since), VS.c.completed_at < _ts(db, until))
    x = _values(db, duration, VS, where)
    if db.get_bind().dialect.name == "postgresql":  # one pass: the quantiles as ordered-set aggregates
        row = db.exec(sa.select(sa.func.count(), *_buckets(db, x, TIME_BUCKETS),  # type: ignore[call-overload]
                                *[sa.func.percentile_cont(f).within_group(x) for f in (0.5, 0.9)])).one()
        n = int(row[0])
        median, p90 = (float(v) if v is not None else None for v in row[-2:])
    else:
        row = db.exec(sa.select(sa.func.count(), *_buckets(db, x, TIME_BUCKETS))).one()  # type: ignore[call-overload]
        n = int(row[0])
        median, p90 = _quantiles(db, x, x.table, (), n, (0.5, 0.9))
    return CompletionTimes(n, median, p90,
                           tuple(Bucket(label, int(row[i + 1])) for i, (label, _) in enumerate(TIME_BUCKETS)))


def _reviews(db: Session, app_id: int, now: datetime) -> ReviewBacklog:
    """Checks waiting for a person now, aged from when their automated part finished."""
    age = _seconds(db, sa.func.coalesce(CHECK.c.completed_at, CHECK.c.created_at), _ts(db, now))
    where = (VS.c.application_id == app_id, _rare(db, CHECK.c.review_state == ReviewState.PENDING))
    joined = VS.join(CHECK, CHECK.c.session_id == VS.c.id)
    row = db.exec(sa.select(sa.func.count(), sa.func.max(age), *_buckets(db, age, AGE_BUCKETS))  # type: ignore[call-overload]
                  .select_from(joined).where(*where)).one()
    n = int(row[0])
    return ReviewBacklog(n, float(row[1]) if row[1] is not None else None,
                         _quantiles(db, age, joined, where, n, (0.5,))[0],
                         tuple(Bucket(label, int(row[i + 2])) for i, (label, _) in enumerate(AGE_BUCKETS)))


def dashboard(db: Session, *, actor: OperatorView | None, application_id: int, days: int = 30,
              now: datetime | None = None) -> Dashboard:
    """The dashboard of one application over the last `days` days (7, 30 or 90, today included)."""
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    since, until = range_of(days, now or utcnow())
    app = db.get(Application, application_id)
    per_day = _per_day(db, application_id, since, until, days)
    return Dashboard(
        application_id=application_id, application_name=app.name if app else "", days=days, since=since,
        until=until, per_day=per_day, created=sum(d.created for d in per_day),
        completed=sum(d.completed for d in per_day), expired=sum(d.expired for d in per_day),
        funnel=_funnel(db, application_id, since, until), pass_rates=_pass_rates(db, application_id, since, until),
        times=_times(db, application_id, since, until), reviews=_reviews(db, application_id, until),
    )
