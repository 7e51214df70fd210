"""Guessing limits for passwords and two-factor codes, without locking out the rightful user.

Failures are counted per *bucket*, in the database so that every web process
sees them: an account from browsers it has never been signed in with, an
account from one trusted browser (services/access/auth.py sets a device cookie after
a full sign-in), and a network address. Each bucket allows a few failures a
day, then asks for a growing pause before the next attempt (1 s, 2 s, 4 s, ...
up to 15 minutes). An attempt made during a pause is refused without checking
anything (no argon2 work, no code check) and is not counted.

Why this shape: a lockout keyed on the account alone hands anyone who knows an
operator's email (or password) a way to keep that operator out. Here an
attacker slows only the buckets it uses: its own address and the account's
unknown-browser bucket, never the operator's own trusted browser.

Each attempt first writes its failure row (committed), then checks; a success
deletes it. Concurrent attempts therefore see each other, so opening many
connections buys no extra guesses.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, func, select

from identity_app.models import AuthFailure, utcnow
from identity_app.services.errors import LockedOut


@dataclass(frozen=True)
class Policy:
    free: int            # failures in the window before any pause
    first_pause_s: float
    longest_pause_s: float
    window: timedelta    # failures older than this are forgotten

    def pause_after(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return timedelta(seconds=min(self.longest_pause_s, self.first_pause_s * 2 ** (failures - self.free)))


ACCOUNT = Policy(free=5, first_pause_s=1, longest_pause_s=15 * 60, window=timedelta(hours=24))
ADDRESS = Policy(free=20, first_pause_s=1, longest_pause_s=15 * 60, window=timedelta(hours=24))


@dataclass(frozen=True)
class Bucket:
    key: str
    policy: Policy


def account_bucket(step: str, account: str, device_id: int | None) -> Bucket:
    """`step` is "password" or "code"; `account` the normalised email or operator id."""
    who = f"device:{device_id}" if device_id else "new"
    return Bucket(f"{step}:account:{account}:{who}"[:400], ACCOUNT)


def address_bucket(step: str, ip: str) -> Bucket:
    return Bucket(f"{step}:address:{ip or 'unknown'}"[:400], ADDRESS)


@dataclass(frozen=True)
class Attempt:
    """Failure rows written ahead of the check; `succeeded` removes them."""

    ids: tuple[int, ...]
    buckets: tuple[Bucket, ...]


def _retry_at(db: Session, bucket: Bucket, before_id: int, now: datetime) -> datetime | None:
    since = now - bucket.policy.window
    count, last = db.exec(
        select(func.count(), func.max(AuthFailure.at))
        .where(AuthFailure.bucket == bucket.key, AuthFailure.at > since, AuthFailure.id < before_id)
    ).one()
    pause = bucket.policy.pause_after(int(count))
    if not pause or last is None:
        return None
    if isinstance(last, str):  # SQLite hands an aggregate back as text
        last = datetime.fromisoformat(last)
    if last.tzinfo is None:  # naive UTC, as stored on SQLite
        last = last.replace(tzinfo=timezone.utc)
    at = last + pause
    return at if at > now else None


def failures(db: Session, bucket: Bucket, now: datetime | None = None) -> int:
    since = (now or utcnow()) - bucket.policy.window
    return int(db.exec(select(func.count()).select_from(AuthFailure)
                       .where(AuthFailure.bucket == bucket.key, AuthFailure.at > since)).one())


def _serialise(db: Session, buckets: list[Bucket]) -> None:
    """Attempts on one bucket check one at a time. PostgreSQL: a transaction-scoped advisory
    lock per bucket. SQLite: the failure row's INSERT takes the database's write lock,
    held until this transaction commits."""
    if db.get_bind().dialect.name == "postgresql":
        for key in sorted({b.key for b in buckets}):
            db.exec(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))").bindparams(k=key))  # type: ignore[call-overload]


def begin(db: Session, buckets: list[Bucket], now: datetime | None = None) -> Attempt:
    """Count this attempt as a failure now, check the pauses, commit.

    Raises LockedOut (leaving no row) when a bucket is pausing. Attempts on the same
    bucket are serialised, so concurrent ones see each other's rows.
    """
    now = now or utcnow()
    db.commit()  # the caller's earlier work stands on its own
    _serialise(db, buckets)
    rows = [AuthFailure(bucket=b.key, at=now) for b in buckets]
    db.add_all(rows)
    db.flush()
    ids = tuple(int(r.id) for r in rows if r.id is not None)
    waits = [at for b, r in zip(buckets, rows) if (at := _retry_at(db, b, int(r.id or 0), now)) is not None]
    if waits:
        _delete(db, ids)
        db.commit()
        raise LockedOut(max(waits), now)
    db.commit()
    return Attempt(ids, tuple(buckets))


def attempts_within(policy: Policy, seconds: float) -> int:
    """How many attempts one bucket allows in `seconds` from a clean start, each failing
    as soon as it is allowed (the guesses an attacker gets; see the README)."""
    t, count = 0.0, 0
    while True:
        t += policy.pause_after(count).total_seconds() if count else 0.0
        if t > seconds:
            return count
        count += 1


def failed(db: Session) -> None:
    """The attempt failed: its rows stay, with whatever the caller recorded (audit)."""
    db.commit()


def succeeded(db: Session, attempt: Attempt, *, forget: list[Bucket] | None = None) -> None:
    """The attempt succeeded: its rows go, and so do the earlier failures of `forget`
    (the rightful user's own account buckets; an address bucket is never forgotten)."""
    _delete(db, attempt.ids)
    for bucket in forget or []:
        db.exec(sa.delete(AuthFailure).where(AuthFailure.bucket == bucket.key))  # type: ignore[call-overload]


def _delete(db: Session, ids: tuple[int, ...]) -> None:
    if ids:
        db.exec(sa.delete(AuthFailure).where(AuthFailure.id.in_(ids)))  # type: ignore[union-attr,call-overload]


def purge(db: Session, now: datetime | None = None) -> int:
    """Forget failures older than every window (the worker runs it with its sweeps)."""
    cutoff = (now or utcnow()) - max(ACCOUNT.window, ADDRESS.window)
    result = db.exec(sa.delete(AuthFailure).where(AuthFailure.at < cutoff))  # type: ignore[call-overload]
    return int(result.rowcount or 0)
