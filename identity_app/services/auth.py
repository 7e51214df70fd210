"""Console sign-in: owner setup, password, mandatory TOTP, 24-hour sessions.

The browser holds a random token; the database holds its hash. A correct
password leaves a PASSWORD_OK sign-in valid for 5 minutes, which only the
TOTP step (or enrolment, for an operator without TOTP) turns into an ACTIVE
sign-in valid for 24 hours. The token is replaced at that moment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from identity_app.crypto import hash_token, new_token
from identity_app.models import (
    Operator,
    RecoveryCode,
    SignInSession,
    SignInStage,
    TotpFailure,
    utcnow,
)
from identity_app.services import audit, totp
from identity_app.services.audit import Action
from identity_app.services.errors import (
    AuthenticationError,
    Conflict,
    LockedOut,
    NotFound,
    SignInExpired,
    ValidationError,
)
from identity_app.services.passwords import hash_password, verify_password

PENDING_LIFETIME = timedelta(minutes=5)
SIGN_IN_LIFETIME = timedelta(hours=24)
LOCKOUT_WINDOW = timedelta(minutes=15)
MAX_TOTP_FAILURES = 5
GENERIC_SIGN_IN_ERROR = "That email and password do not match an account."


@dataclass(frozen=True)
class OperatorView:
    id: int
    email: str
    name: str
    is_owner: bool
    totp_enrolled: bool

    @classmethod
    def of(cls, op: Operator) -> "OperatorView":
        assert op.id is not None
        return cls(op.id, op.email, op.name, op.is_owner, op.totp_secret_enc is not None)


@dataclass(frozen=True)
class PasswordStep:
    token: str
    needs_enrolment: bool
    expires_at: datetime


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg_data_uri: str


@dataclass(frozen=True)
class SignedIn:
    token: str
    operator: OperatorView
    expires_at: datetime
    recovery_codes: tuple[str, ...] = ()


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise ValidationError("Enter a valid email address.")
    return email


def owner_exists(db: Session) -> bool:
    return db.exec(select(func.count()).select_from(Operator)).one() > 0


def create_owner(db: Session, *, name: str, email: str, password: str, ip: str = "") -> OperatorView:
    """First-run setup: only while no operator exists at all."""
    if owner_exists(db):
        raise Conflict("Setup is already complete. Sign in instead.")
    name = (name or "").strip()
    if not name:
        raise ValidationError("Enter your name.")
    op = Operator(email=normalise_email(email), name=name[:200], password_hash=hash_password(password),
                  is_owner=True)
    db.add(op)
    db.flush()
    audit.record(db, Action.OWNER_CREATED, operator_id=op.id, actor=op.email, ip=ip)
    return OperatorView.of(op)


def sign_in_password(db: Session, *, email: str, password: str, ip: str = "",
                     user_agent: str = "") -> PasswordStep:
    try:
        email = normalise_email(email)
    except ValidationError:
        email = ""
    op = db.exec(select(Operator).where(Operator.email == email)).first() if email else None
    # verify_password does the full argon2 work even when op is None.
    if not verify_password(op.password_hash if op else None, password) or op is None or op.disabled:
        audit.record(db, Action.SIGN_IN_FAILED, operator_id=op.id if op else None,
                     actor=op.email if op else "unknown", ip=ip, step="password")
        raise AuthenticationError(GENERIC_SIGN_IN_ERROR)
    token = new_token()
    expires = utcnow() + PENDING_LIFETIME
    db.add(SignInSession(token_hash=hash_token(token), operator_id=op.id, expires_at=expires,
                         ip=ip[:64], user_agent=user_agent[:400]))
    return PasswordStep(token, op.totp_secret_enc is None, expires)


def _pending(db: Session, token: str) -> tuple[SignInSession, Operator]:
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == hash_token(token or ""))).first()
    if (row is None or row.stage != SignInStage.PASSWORD_OK or row.ended_at is not None
            or row.expires_at <= utcnow()):
        raise SignInExpired("Your sign-in has expired. Enter your email and password again.")
    op = db.get(Operator, row.operator_id)
    if op is None or op.disabled:
        raise SignInExpired("Your sign-in has expired. Enter your email and password again.")
    return row, op


def pending_operator(db: Session, token: str) -> OperatorView:
    return OperatorView.of(_pending(db, token)[1])


def start_enrolment(db: Session, *, token: str) -> Enrolment:
    """Offer a new secret; it is kept (encrypted) on the pending sign-in only."""
    row, op = _pending(db, token)
    if op.totp_secret_enc is not None:
        raise Conflict("Two-factor authentication is already set up for this account.")
    if row.pending_totp_enc:
        secret = totp.open_secret(row.pending_totp_enc)
    else:
        secret = totp.new_secret()
        row.pending_totp_enc = totp.seal_secret(secret)
        db.add(row)
    p = totp.provisioning(op.email, secret)
    return Enrolment(p.secret, p.uri, p.qr_svg_data_uri)


def _check_lockout(db: Session, op: Operator) -> None:
    since = utcnow() - LOCKOUT_WINDOW
    failures = db.exec(
        select(TotpFailure.at).where(TotpFailure.operator_id == op.id, TotpFailure.at > since)
        .order_by(TotpFailure.at)
    ).all()
    if len(failures) >= MAX_TOTP_FAILURES:
        raise LockedOut(failures[-MAX_TOTP_FAILURES] + LOCKOUT_WINDOW)


def _fail_code(db: Session, op: Operator, ip: str) -> None:
    db.add(TotpFailure(operator_id=op.id))
    audit.record(db, Action.TOTP_FAILED, operator_id=op.id, actor=op.email, ip=ip)
    db.flush()
    try:
        _check_lockout(db, op)
    except LockedOut as exc:
        audit.record(db, Action.LOCKOUT, operator_id=op.id, actor=op.email, ip=ip,
                     until=exc.retry_at.isoformat())
        # Commit the failure even though the caller's unit of work will see an error.
        db.commit()
        raise
    db.commit()


def _activate(db: Session, row: SignInSession, op: Operator, ip: str,
              recovery_codes: tuple[str, ...] = ()) -> SignedIn:
    # A new token at the moment of privilege: the pending token is dead now.
    row.ended_at = utcnow()
    row.pending_totp_enc = None
    db.add(row)
    token = new_token()
    expires = utcnow() + SIGN_IN_LIFETIME
    db.add(SignInSession(token_hash=hash_token(token), operator_id=op.id, stage=SignInStage.ACTIVE,
                         expires_at=expires, ip=row.ip, user_agent=row.user_agent))
    audit.record(db, Action.SIGN_IN, operator_id=op.id, actor=op.email, ip=ip)
    return SignedIn(token, OperatorView.of(op), expires, recovery_codes)


def confirm_enrolment(db: Session, *, token: str, code: str, ip: str = "") -> SignedIn:
    row, op = _pending(db, token)
    _check_lockout(db, op)
    if not row.pending_totp_enc:
        raise SignInExpired("Start the two-factor set-up again.")
    secret = totp.open_secret(row.pending_totp_enc)
    step = totp.matching_step(secret, code)
    if step is None:
        _fail_code(db, op, ip)
        raise AuthenticationError("That code is not right. Check the time on your phone and try the next code.")
    op.totp_secret_enc = row.pending_totp_enc
    op.totp_enrolled_at = utcnow()
    op.totp_last_step = step
    codes = totp.new_recovery_codes()
    for c in codes:
        db.add(RecoveryCode(operator_id=op.id, code_hash=totp.hash_recovery_code(c)))
    db.add(op)
    audit.record(db, Action.TOTP_ENROLLED, operator_id=op.id, actor=op.email, ip=ip)
    return _activate(db, row, op, ip, tuple(codes))


def verify_second_factor(db: Session, *, token: str, code: str, ip: str = "") -> SignedIn:
    """The TOTP step: a fresh 6-digit code, or one unused recovery code."""
    row, op = _pending(db, token)
    if op.totp_secret_enc is None:
        raise AuthenticationError("Set up two-factor authentication first.")
    _check_lockout(db, op)
    code = (code or "").strip()
    if "-" in code:
        rc = db.exec(select(RecoveryCode).where(
            RecoveryCode.operator_id == op.id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),  # type: ignore[union-attr]
        )).first()
        if rc is None:
            _fail_code(db, op, ip)
            raise AuthenticationError("That recovery code is not valid or was already used.")
        rc.used_at = utcnow()
        db.add(rc)
        audit.record(db, Action.RECOVERY_CODE_USED, operator_id=op.id, actor=op.email, ip=ip)
        return _activate(db, row, op, ip)
    step = totp.matching_step(totp.open_secret(op.totp_secret_enc), code)
    if step is None:
        _fail_code(db, op, ip)
        raise AuthenticationError("That code is not right. Enter the current code from your app.")
    if op.totp_last_step is not None and step <= op.totp_last_step:
        _fail_code(db, op, ip)
        raise AuthenticationError("That code was already used. Wait for the next code.")
    op.totp_last_step = step
    db.add(op)
    return _activate(db, row, op, ip)


def authenticate(db: Session, token: str | None) -> OperatorView | None:
    """The operator behind an ACTIVE, unexpired sign-in token, else None."""
    if not token:
        return None
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == hash_token(token))).first()
    if (row is None or row.stage != SignInStage.ACTIVE or row.ended_at is not None
            or row.expires_at <= utcnow()):
        return None
    op = db.get(Operator, row.operator_id)
    if op is None or op.disabled or op.totp_secret_enc is None:
        return None
    return OperatorView.of(op)


def sign_out(db: Session, *, token: str, ip: str = "") -> None:
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == hash_token(token or ""))).first()
    if row is None or row.ended_at is not None:
        return
    row.ended_at = utcnow()
    db.add(row)
    op = db.get(Operator, row.operator_id)
    audit.record(db, Action.SIGN_OUT, operator_id=row.operator_id, actor=op.email if op else "", ip=ip)


def reset_totp(db: Session, *, email: str, actor: str = "cli") -> OperatorView:
    """Operator-of-the-container action: the person enrols again at next sign-in."""
    op = db.exec(select(Operator).where(Operator.email == normalise_email(email))).first()
    if op is None:
        raise NotFound(f"No operator with email {email}.")
    op.totp_secret_enc = None
    op.totp_enrolled_at = None
    op.totp_last_step = None
    db.add(op)
    for rc in db.exec(select(RecoveryCode).where(RecoveryCode.operator_id == op.id)).all():
        db.delete(rc)
    for s in db.exec(select(SignInSession).where(SignInSession.operator_id == op.id,
                                                 SignInSession.ended_at.is_(None))).all():  # type: ignore[union-attr]
        s.ended_at = utcnow()
        db.add(s)
    audit.record(db, Action.TOTP_RESET, operator_id=op.id, actor=actor, target=f"operator:{op.id}")
    return OperatorView.of(op)


def list_operators(db: Session) -> list[OperatorView]:
    return [OperatorView.of(o) for o in db.exec(select(Operator).order_by(Operator.id)).all()]
