"""Dashboard benchmark: the application dashboard (services/sessions/stats.py) at 100,000 sessions.

    python -m identity_app.cli bench dashboard [--db sqlite|postgresql] [--sessions 100000] [--repeat 20]

Seeds like `bench search` (evaluation/bench_search.py: the same temporary database, migrated with
the committed revisions, and the same 100,000 sessions plus 1,000 in another application), then
spreads the application's sessions over the last 90 days (all of them inside the widest range, the
worst case) and gives them the moments the dashboard counts, in SQL: link opened, consent,
capture submitted, completed (1-31 min later), a document and a liveness resource, four checks per
completed session (a report of a few hundred bytes each, some rejected) and a review waiting on one
completed session in 50. Then times the whole dashboard call, a fresh unit of work per call as a
page load, for each range.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timezone

RANGES = (7, 30, 90)
SPREAD_DAYS = 90
REPORT = '{"check_type": "LIVENESS", "recommendation": {"value": "APPROVE"}, "breakdown": [], "padding": "' + \
    "x" * 300 + '"}'


def _plus(dialect: str, column: str, seconds: str) -> str:
    if dialect == "postgresql":
        return f"{column} + make_interval(secs => ({seconds}))"
    return f"datetime({column}, '+' || ({seconds}) || ' seconds')"


def _enrich(engine, app_id: int, now: datetime) -> None:
    """Moments, resources, checks and reviews, set in SQL on the seeded sessions."""
    import sqlalchemy as sa

    d = engine.dialect.name
    span = SPREAD_DAYS * 86400 - 3600
    if d == "postgresql":
        created = f"CAST(:now AS timestamptz) - make_interval(secs => ((id * 7919) % {span}) + 60)"
    else:
        created = f"datetime(:now, '-' || (((id * 7919) % {span}) + 60) || ' seconds')"
    opened = "state = 'COMPLETED' OR id % 3 <> 0"
    consented = "state = 'COMPLETED' OR id % 3 = 1"
    steps = [
        f"UPDATE verification_session SET created_at = {created} WHERE application_id = :app",
        f"UPDATE verification_session SET expires_at = {_plus(d, 'created_at', '7 * 86400')}, "
        f"started_at = CASE WHEN {opened} THEN {_plus(d, 'created_at', 'id % 600')} END WHERE application_id = :app",
        f"UPDATE verification_session SET consent_at = CASE WHEN {consented} THEN started_at END, "
        f"capture_finished_at = CASE WHEN state = 'COMPLETED' THEN {_plus(d, 'started_at', '60 + id % 240')} END, "
        f"completed_at = CASE WHEN state = 'COMPLETED' THEN {_plus(d, 'started_at', '60 + id % 1800')} END "
        "WHERE application_id = :app",
        "INSERT INTO resource (session_id, kind, attempt, document_type, issuing_country, challenge, created_at) "
        "SELECT id, 'ID_DOCUMENT', 1, 'PASSPORT', 'UTO', '[]', consent_at FROM verification_session "
        "WHERE application_id = :app AND consent_at IS NOT NULL AND (state = 'COMPLETED' OR id % 2 = 0)",
        "INSERT INTO resource (session_id, kind, attempt, document_type, issuing_country, challenge, created_at) "
        "SELECT id, 'LIVENESS', 1, '', '', '[]', consent_at FROM verification_session "
        "WHERE application_id = :app AND state = 'COMPLETED'",
    ]
    checks = (("ID_DOCUMENT_AUTHENTICITY", "id % 20 = 0"), ("LIVENESS", "id % 10 = 0"),
              ("ID_DOCUMENT_FACE_MATCH", "id % 25 = 0"), ("ID_DOCUMENT_TEXT_DATA_CHECK", "id % 40 = 0"))
    review = "CAST({} AS reviewstate)" if d == "postgresql" else "{}"  # PostgreSQL's enum type
    for check_type, rejected in checks:
        pending = "id % 50 = 0" if check_type == "ID_DOCUMENT_FACE_MATCH" else "1 = 0"
        waiting = f"CASE WHEN {pending} THEN 'PENDING' ELSE 'NOT_REQUIRED' END"
        steps.append(
            "INSERT INTO session_check (session_id, type, state, attempt, report, recommendation, manual_check, "
            "review_state, review_reason, created_at, completed_at) "
            f"SELECT id, '{check_type}', 'DONE', 1, :report, CASE WHEN {rejected} THEN 'REJECT' ELSE 'APPROVE' END, "
            f"'FALLBACK', {review.format(waiting)}, '', "
            "capture_finished_at, "
            "completed_at FROM verification_session WHERE application_id = :app AND state = 'COMPLETED'")
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sql in steps:
            params = {"app": app_id, "now": now if d == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S"),
                      "report": REPORT}
            conn.execute(sa.text(sql), {k: v for k, v in params.items() if f":{k}" in sql})
    if d == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    print(f"gave them moments, resources and checks in {time.perf_counter() - t0:.1f} s")


def _time(engine, app_id: int, actor, repeat: int) -> list[tuple[int, float, float, float, object]]:
    from sqlmodel import Session

    from identity_app.services.sessions.stats import dashboard

    from identity_app.evaluation.bench_search import _percentile

    out = []
    for days in RANGES:
        wall: list[float] = []
        cpu: list[float] = []
        result = None
        for i in range(repeat + 2):
            with Session(engine) as db:
                t, c = time.perf_counter(), time.process_time()
                result = dashboard(db, actor=actor, application_id=app_id, days=days)
                elapsed, used = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
            if i >= 2:  # the first calls warm caches and plans
                wall.append(elapsed)
                cpu.append(used)
        out.append((days, statistics.median(wall), _percentile(wall, 0.95), statistics.median(cpu), result))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m identity_app.cli bench dashboard", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--sessions", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=20, help="timed calls per range")
    args = p.parse_args(argv)

    from identity_app.db import make_engine
    from identity_app.evaluation.bench_search import _seed, _with_database
    from identity_app.migrations import upgrade

    url, cleanup = _with_database(args.db)
    engine = None
    try:
        upgrade(url)
        engine = make_engine(url)
        app_id, actor = _seed(engine, args.sessions)
        _enrich(engine, app_id, datetime.now(timezone.utc))
        results = _time(engine, app_id, actor, args.repeat)
    finally:
        if engine is not None:
            engine.dispose()
        cleanup()
    print(f"\nstats.dashboard on {args.db}, {args.sessions:,} sessions in the application over the last "
          f"{SPREAD_DAYS} days, {args.repeat} calls per range (ms)")
    print(f"{'range':<8} {'p50':>7} {'p95':>7} {'cpu p50':>8} {'created':>9} {'completed':>10} {'reviews':>8}")
    for days, p50, p95, c50, dash in results:
        print(f"{days:>3} days {p50:7.1f} {p95:7.1f} {c50:8.1f} {dash.created:9,} {dash.completed:10,} "  # type: ignore[attr-defined]
              f"{dash.reviews.waiting:8,}")  # type: ignore[attr-defined]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
