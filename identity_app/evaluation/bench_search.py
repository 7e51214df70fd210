"""Sessions-list search benchmark: seed N sessions into a fresh database and
time the search service call (permission check + count + one page).

    python -m identity_app.cli bench search [--db sqlite|postgresql] [--sessions 100000] [--repeat 40]

SQLite goes to a temporary file; PostgreSQL to a temporary database created
through IDV_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
and dropped at the end. Both are migrated with the committed Alembic
revisions, so the indexes measured are the ones shipped.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

FIRST = ("Alice Bob Chloé Daniel Emma François Gabriel Hannah Ibrahim Julia Kevin Laura Mohammed Nina Oliver "
         "Priya Quentin Rosa Samuel Tanya Uma Victor Wei Xavier Yasmin Zoe Ahmed Beatriz Carlos Dmitri Elena "
         "Fatima Giorgio Hiroshi Ines Jakob Katarzyna Lars Mei Noah").split()
LAST = ("Smith Jones Martin Bernard Dubois Müller Schmidt Garcia Rossi Kowalski Nowak Johansson Nielsen "
        "Tanaka Kim Singh Patel Silva Santos Costa Novak Horvat Ivanova Petrov Yilmaz Demir Cohen Levi O'Brien "
        "Murphy Walsh Kelly Byrne Ryan Lambert Moreau Laurent Fontaine Chevalier Girard").split()
DOMAINS = ("example.com", "mail.test", "corp.example", "post.example.org")

QUERIES: list[tuple[str, dict]] = [
    ("first page, newest first", {}),
    ("search 'smith' (common surname)", {"text": "smith"}),
    ("search 'ohan' (part of a word)", {"text": "ohan"}),
    ("search email 'walsh.k'", {"text": "walsh.k"}),
    ("search reference 'ref-004217'", {"text": "ref-004217"}),
    ("search with no match 'zzqx'", {"text": "zzqx"}),
    ("state = IN PROGRESS", {"states": ("ONGOING",)}),
    ("decision = REJECT", {"decision": "REJECT"}),
    ("created in a 30-day range", {"created_from": "RANGE_FROM", "created_to": "RANGE_TO"}),
    ("sort by name, page 200", {"sort": "name", "descending": False, "page": 200}),
    ("sort by state", {"sort": "state"}),
    ("'mart' + COMPLETED + APPROVE", {"text": "mart", "states": ("COMPLETED",), "decision": "APPROVE"}),
]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _seed(engine, n: int, seed: int = 7) -> tuple[int, object]:
    """Owner, two applications (n sessions in the first, n/100 in the other), fast bulk insert."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from identity_app.models import Application, Operator, VerificationSession
    from identity_app.services.applications.checks_config import ChecksConfig
    from identity_app.services.access.auth import OperatorView
    from identity_app.services.sessions.links import application_snapshot, search_text

    rng = random.Random(seed)
    with Session(engine) as db:
        owner = Operator(email="bench@example.com", name="Bench", password_hash="x", is_owner=True)
        apps = [Application(name=f"Bench {i}", checks_config=ChecksConfig().to_dict()) for i in (1, 2)]
        db.add(owner)
        db.add_all(apps)
        db.commit()
        actor = OperatorView.of(owner)
        app_ids = [a.id for a in apps]
        snapshot = application_snapshot(apps[0])
    table = VerificationSession.__table__
    now = datetime.now(timezone.utc)
    start = now - timedelta(days=730)
    states = ["COMPLETED"] * 7 + ["EXPIRED"] * 2 + ["ONGOING"]
    batch: list[dict] = []
    total = n + n // 100
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for i in range(total):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = f"{first} {last}"
            email = f"{first}.{last}{i % 97}@{rng.choice(DOMAINS)}".lower().replace("'", "")
            reference = f"REF-{i:06d}" if rng.random() < 0.7 else ""
            state = rng.choice(states)
            created = start + timedelta(seconds=rng.uniform(0, 730 * 86400))
            decision = rng.choice(["APPROVE", "APPROVE", "REJECT", None]) if state == "COMPLETED" else None
            batch.append({
                "application_id": app_ids[0] if i < n else app_ids[1], "token": uuid.uuid4().hex + uuid.uuid4().hex[:11],
                "user_name": name, "user_email": email, "reference": reference,
                "search_text": search_text(name, email, reference), "state": state, "config_snapshot": snapshot,
                "created_at": created, "expires_at": created + timedelta(days=7), "device": {},
                "reminders_sent": 0, "decision": decision,
                "completed_at": created + timedelta(minutes=5) if state == "COMPLETED" else None,
            })
            if len(batch) == 5000:
                conn.execute(sa.insert(table), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(table), batch)
    # Statistics as the periodic maintenance leaves them (autovacuum on PostgreSQL;
    # SQLite's planner reads sqlite_stat1 from ANALYZE).
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE verification_session"))
    else:
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    print(f"seeded {total:,} sessions in {time.perf_counter() - t0:.1f} s")
    return app_ids[0], actor


def _run(engine, app_id: int, actor, repeat: int) -> list[tuple[str, float, float, float, float, int]]:
    from sqlmodel import Session

    from identity_app.services.sessions.search import SearchQuery, search_sessions

    today = date.today()
    out = []
    for label, params in QUERIES:
        params = dict(params)
        if params.get("created_from") == "RANGE_FROM":
            params["created_from"], params["created_to"] = today - timedelta(days=200), today - timedelta(days=170)
        query = SearchQuery(**params)
        timings: list[float] = []
        cpu: list[float] = []
        total = 0
        for i in range(repeat + 3):
            with Session(engine) as db:  # a fresh unit of work per call, like a page request
                t, c = time.perf_counter(), time.process_time()
                result = search_sessions(db, actor=actor, application_id=app_id, query=query)
                elapsed, used = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
            total = result.total
            if i >= 3:  # the first calls warm caches and prepared plans
                timings.append(elapsed)
                cpu.append(used)
        out.append((label, statistics.median(timings), _percentile(timings, 0.95), statistics.median(cpu),
                    _percentile(cpu, 0.95), total))
    return out


def _with_database(kind: str) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="idv-bench-"))
        path = folder / "bench.db"

        def cleanup() -> None:
            for f in folder.iterdir():
                f.unlink()
            folder.rmdir()

        return f"sqlite:///{path}", cleanup
    import psycopg

    admin = os.environ.get("IDV_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"idv_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)

    def cleanup() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", cleanup


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m identity_app.cli bench search", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--sessions", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=40, help="timed calls per query")
    args = p.parse_args(argv)

    from identity_app.db import make_engine
    from identity_app.migrations import upgrade

    url, cleanup = _with_database(args.db)
    engine = None
    try:
        upgrade(url)
        engine = make_engine(url)
        app_id, actor = _seed(engine, args.sessions)
        results = _run(engine, app_id, actor, args.repeat)
    finally:
        if engine is not None:
            engine.dispose()
        cleanup()
    print(f"\nsearch_sessions on {args.db}, {args.sessions:,} sessions in the application, "
          f"page size 25, {args.repeat} calls per query (ms)")
    # Wall time is what the operator waits for; on a busy machine it includes waiting
    # for a core. The CPU column is this process's own time (for SQLite, the whole
    # query runs in-process; for PostgreSQL the server's work is in the wall time only).
    print(f"{'query':<36} {'p50':>7} {'p95':>7} {'cpu p50':>8} {'cpu p95':>8} {'matches':>9}")
    worst = 0.0
    for label, p50, p95, c50, c95, total in results:
        worst = max(worst, p95)
        print(f"{label:<36} {p50:7.1f} {p95:7.1f} {c50:8.1f} {c95:8.1f} {total:9,}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nworst wall p95: {worst:.1f} ms (target <= 50 ms); load average {load:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
