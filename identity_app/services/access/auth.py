"""Console sign-in: owner setup, password, mandatory TOTP, 24-hour sessions.

The browser holds a random token as an HttpOnly cookie (web/auth_routes.py);
the database holds its hash, and so do the Reflex states (web/guard.py passes
them the hash only), which is why the sign-in functions take `token_hash`. A
correct password leaves a PASSWORD_OK sign-in valid for 5 minutes, which only
the TOTP step (or enrolment, for an operator without TOTP) turns into an
ACTIVE sign-in valid for 24 hours. The token is replaced at that moment.
Guessing is slowed, never turned into a lockout: see services/access/guessing.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from identity_app.crypto import hash_token, new_token
from identity_app.models import (
    AuditAction,
    Operator,
    RecoveryCode,
    SignInSession,
    SignInStage,
    TrustedDevice,
    utcnow,
)
from identity_app.services import audit
from identity_app.services.access import guessing, totp
from identity_app.services.errors import (
    AuthenticationError,
    Conflict,
    NotFound,
    SignInExpired,
    ValidationError,
)
from identity_app.services.access.passwords import hash_password, verify_password

PENDING_LIFETIME = timedelta(minutes=5)
SIGN_IN_LIFETIME = timedelta(hours=24)
MAX_CODES_PER_SIGN_IN = 5  # wrong codes before a pending sign-in ends
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

    @property
    def via(self) -> str:
        """What the console names as the author when it is not an operator ("" for an operator)."""
        return ""


@dataclass(frozen=True)
class ApiKeyActor(OperatorView):
    """A team's backend calling /api/v1 with one of its application's keys. It is nobody in the
    console: `id` is None (nothing it makes has an operator as its author), `email` names the key
    in the audit trail ("api-key:<prefix>"), and it may act on its own application only, as far as
    its scopes go (services/access/permissions.py)."""

    application_id: int = 0
    scopes: frozenset[str] = frozenset()
    key_id: int = 0

    @property
    def via(self) -> str:
        return f"API key {self.name} ({self.email.removeprefix('api-key:')})"


@dataclass(frozen=True)
class PasswordStep:
    token: str
    needs_enrolment: bool
    expires_at: datetime

    @property
    def token_hash(self) -> str:
        return hash_token(self.token)


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

    @property
    def token_hash(self) -> str:
        return hash_token(self.token)


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
    audit.record(db, AuditAction.OWNER_CREATED, operator_id=op.id, actor=op.email, ip=ip)
    return OperatorView.of(op)


def _trusted_device(db: Session, op: Operator | None, device_hash: str) -> int | None:
    """The id of this operator's trusted browser behind `device_hash`, if it is one."""
    if op is None or not device_hash:
        return None
    device = db.exec(select(TrustedDevice).where(TrustedDevice.token_hash == device_hash,
                                                 TrustedDevice.operator_id == op.id)).first()
    return device.id if device else None


def _failure(db: Session, action: AuditAction, attempt: guessing.Attempt, op: Operator | None, ip: str,
             **details: object) -> None:
    """Audit a wrong password or code in its own committed transaction (it must survive
    the error the caller raises next), noting when a bucket starts pausing."""
    audit.record(db, action, operator_id=op.id if op else None, actor=op.email if op else "unknown", ip=ip,
                 **details)
    for bucket in attempt.buckets:
        if guessing.failures(db, bucket) == bucket.policy.free:
            audit.record(db, AuditAction.LOCKOUT, operator_id=op.id if op else None,
                         actor=op.email if op else "unknown", ip=ip, bucket=bucket.key.split(":", 2)[1])
    guessing.failed(db)


def sign_in_password(db: Session, *, email: str, password: str, ip: str = "", user_agent: str = "",
                     device_hash: str = "") -> PasswordStep:
    """The password step. Guessing is slowed per account (apart for each trusted
    browser) and per address; a refused attempt costs no password hashing."""
    try:
        email = normalise_email(email)
    except ValidationError:
        email = ""
    op = db.exec(select(Operator).where(Operator.email == email)).first() if email else None
    device = _trusted_device(db, op, device_hash)
    account = guessing.account_bucket("password", email or "(not an email)", device)
    attempt = guessing.begin(db, _buckets("password", account, device, ip))
    # verify_password does the full argon2 work even when op is None.
    if not verify_password(op.password_hash if op else None, password) or op is None or op.disabled:
        _failure(db, AuditAction.SIGN_IN_FAILED, attempt, op, ip, step="password")
        raise AuthenticationError(GENERIC_SIGN_IN_ERROR)
    guessing.succeeded(db, attempt, forget=[account])
    token = new_token()
    expires = utcnow() + PENDING_LIFETIME
    db.add(SignInSession(token_hash=hash_token(token), operator_id=op.id, expires_at=expires,
                         ip=ip[:64], user_agent=user_agent[:400]))
    return PasswordStep(token, op.totp_secret_enc is None, expires)


def _pending(db: Session, token_hash: str) -> tuple[SignInSession, Operator]:
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == (token_hash or "-"))).first()
    if (row is None or row.stage != SignInStage.PASSWORD_OK or row.ended_at is not None
            or row.expires_at <= utcnow()):
        raise SignInExpired("Your sign-in has expired. Enter your email and password again.")
    op = db.get(Operator, row.operator_id)
    if op is None or op.disabled:
        raise SignInExpired("Your sign-in has expired. Enter your email and password again.")
    return row, op


def pending_operator(db: Session, token_hash: str) -> OperatorView:
    return OperatorView.of(_pending(db, token_hash)[1])


def start_enrolment(db: Session, *, token_hash: str) -> Enrolment:
    """Offer a new secret; it is kept (encrypted) on the pending sign-in only."""
    row, op = _pending(db, token_hash)
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


def _buckets(step: str, account: guessing.Bucket, device: int | None, ip: str) -> list[guessing.Bucket]:
    """An account's own trusted browser counts alone: not even a busy shared address
    (an office, a NAT) slows it down."""
    return [account] if device else [account, guessing.address_bucket(step, ip)]


def _code_attempt(db: Session, row: SignInSession, op: Operator, ip: str, device_hash: str) -> tuple[
        guessing.Attempt, guessing.Bucket]:
    device = _trusted_device(db, op, device_hash)
    account = guessing.account_bucket("code", str(op.id), device)
    return guessing.begin(db, _buckets("code", account, device, ip)), account


def _wrong_code(db: Session, row: SignInSession, op: Operator, attempt: guessing.Attempt, ip: str,
                message: str) -> AuthenticationError:
    """Record a wrong code; the pending sign-in ends after a few (the password is asked again)."""
    row.failed_codes += 1
    ended = row.failed_codes >= MAX_CODES_PER_SIGN_IN
    if ended:
        row.ended_at = utcnow()
    db.add(row)
    _failure(db, AuditAction.TOTP_FAILED, attempt, op, ip, wrong_codes=row.failed_codes)
    if ended:
        return SignInExpired("Too many wrong codes. Enter your email and password again.")
    return AuthenticationError(message)


def _activate(db: Session, row: SignInSession, op: Operator, ip: str,
              recovery_codes: tuple[str, ...] = ()) -> SignedIn:
    # A new token at the moment of privilege: the pending token is dead now.
    row.ended_at = utcnow()
    row.pending_totp_enc = None
    db.add(row)
    token = new_token()
    expires = utcnow() + SIGN_IN_LIFETIME
    db.add(SignInSession(token_hash=hash_token(token), operator_id=op.id, stage=SignInStage.ACTIVE,
                         expires_at=expires, ip=row.ip, user_agent=row.user_agent,
                         recovery_codes_enc=totp.seal_secret("\n".join(recovery_codes)) if recovery_codes else None))
    audit.record(db, AuditAction.SIGN_IN, operator_id=op.id, actor=op.email, ip=ip)
    return SignedIn(token, OperatorView.of(op), expires, recovery_codes)


def confirm_enrolment(db: Session, *, token_hash: str, code: str, ip: str = "",
                      device_hash: str = "") -> SignedIn:
    row, op = _pending(db, token_hash)
    if not row.pending_totp_enc:
        raise SignInExpired("Start the two-factor set-up again.")
    attempt, account = _code_attempt(db, row, op, ip, device_hash)
    secret = totp.open_secret(row.pending_totp_enc)
    step = totp.matching_step(secret, code)
    if step is None:
        raise _wrong_code(db, row, op, attempt, ip,
                          "That code is not right. Check the time on your phone and try the next code.")
    guessing.succeeded(db, attempt, forget=[account])
    op.totp_secret_enc = row.pending_totp_enc
    op.totp_enrolled_at = utcnow()
    op.totp_last_step = step
    codes = totp.new_recovery_codes()
    for c in codes:
        db.add(RecoveryCode(operator_id=op.id, code_hash=totp.hash_recovery_code(c)))
    db.add(op)
    audit.record(db, AuditAction.TOTP_ENROLLED, operator_id=op.id, actor=op.email, ip=ip)
    return _activate(db, row, op, ip, tuple(codes))


def verify_second_factor(db: Session, *, token_hash: str, code: str, ip: str = "",
                         device_hash: str = "") -> SignedIn:
    """The TOTP step: a fresh 6-digit code, or one unused recovery code."""
    row, op = _pending(db, token_hash)
    if op.totp_secret_enc is None:
        raise AuthenticationError("Set up two-factor authentication first.")
    attempt, account = _code_attempt(db, row, op, ip, device_hash)
    code = (code or "").strip()
    if "-" in code:
        rc = db.exec(select(RecoveryCode).where(
            RecoveryCode.operator_id == op.id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),  # type: ignore[union-attr]
        )).first()
        if rc is None:
            raise _wrong_code(db, row, op, attempt, ip, "That recovery code is not valid or was already used.")
        guessing.succeeded(db, attempt, forget=[account])
        rc.used_at = utcnow()
        db.add(rc)
        audit.record(db, AuditAction.RECOVERY_CODE_USED, operator_id=op.id, actor=op.email, ip=ip)
        return _activate(db, row, op, ip)
    step = totp.matching_step(totp.open_secret(op.totp_secret_enc), code)
    if step is None:
        raise _wrong_code(db, row, op, attempt, ip, "That code is not right. Enter the current code from your app.")
    if op.totp_last_step is not None and step <= op.totp_last_step:
        raise _wrong_code(db, row, op, attempt, ip, "That code was already used. Wait for the next code.")
    guessing.succeeded(db, attempt, forget=[account])
    op.totp_last_step = step
    db.add(op)
    return _activate(db, row, op, ip)


def _active(db: Session, token_hash: str) -> tuple[SignInSession, Operator] | None:
    if not token_hash:
        return None
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == token_hash)).first()
    if (row is None or row.stage != SignInStage.ACTIVE or row.ended_at is not None
            or row.expires_at <= utcnow()):
        return None
    op = db.get(Operator, row.operator_id)
    if op is None or op.disabled or op.totp_secret_enc is None:
        return None
    return row, op


def authenticate_hash(db: Session, token_hash: str | None) -> OperatorView | None:
    """The operator behind an ACTIVE, unexpired sign-in, from the hash of its cookie
    (what web/guard.py hands the Reflex states), else None."""
    found = _active(db, token_hash or "")
    return OperatorView.of(found[1]) if found else None


def authenticate(db: Session, token: str | None) -> OperatorView | None:
    """The same from the raw cookie (the HTTP routes read it themselves)."""
    return authenticate_hash(db, hash_token(token)) if token else None


def sign_out(db: Session, *, token_hash: str, ip: str = "") -> None:
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == (token_hash or "-"))).first()
    if row is None or row.ended_at is not None:
        return
    row.ended_at = utcnow()
    row.recovery_codes_enc = None
    db.add(row)
    op = db.get(Operator, row.operator_id)
    audit.record(db, AuditAction.SIGN_OUT, operator_id=row.operator_id, actor=op.email if op else "", ip=ip)


# --- the browser's cookies (web/auth_routes.py sets them over HTTP) -------------------


@dataclass(frozen=True)
class CookieGrant:
    """A raw token the browser may hold as an HttpOnly cookie, for `max_age` seconds."""

    max_age: int
    operator_id: int


def grant_cookie(db: Session, *, kind: str, token: str) -> CookieGrant:
    """Check a token the sign-in pages were just given before it becomes a cookie:
    `pending` must be a live password step, `session` a live sign-in."""
    token_hash = hash_token(token or "")
    now = utcnow()
    if kind == "pending":
        row, op = _pending(db, token_hash)
    elif kind == "session" and (found := _active(db, token_hash)) is not None:
        row, op = found
    else:
        raise SignInExpired("Your sign-in has expired. Enter your email and password again.")
    assert op.id is not None
    return CookieGrant(int((row.expires_at - now).total_seconds()), op.id)


def trust_device(db: Session, *, operator_id: int, device_hash: str = "") -> str | None:
    """After a full sign-in: a new device token for this browser, or None when the
    browser already holds one of this operator's (then only its last use is noted)."""
    device = db.exec(select(TrustedDevice).where(TrustedDevice.token_hash == device_hash,
                                                 TrustedDevice.operator_id == operator_id)).first() if device_hash else None
    if device is not None:
        device.last_used_at = utcnow()
        db.add(device)
        return None
    token = new_token()
    db.add(TrustedDevice(operator_id=operator_id, token_hash=hash_token(token), last_used_at=utcnow()))
    return token


def recovery_codes(db: Session, *, token_hash: str) -> tuple[str, ...]:
    """The recovery codes made at enrolment, until the operator says they saved them."""
    found = _active(db, token_hash)
    if found is None or not found[0].recovery_codes_enc:
        return ()
    return tuple(totp.open_secret(found[0].recovery_codes_enc).split("\n"))


def forget_recovery_codes(db: Session, *, token_hash: str) -> None:
    found = _active(db, token_hash)
    if found is not None and found[0].recovery_codes_enc:
        found[0].recovery_codes_enc = None
        db.add(found[0])


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
    for device in db.exec(select(TrustedDevice).where(TrustedDevice.operator_id == op.id)).all():
        db.delete(device)
    for s in db.exec(select(SignInSession).where(SignInSession.operator_id == op.id,
                                                 SignInSession.ended_at.is_(None))).all():  # type: ignore[union-attr]
        s.ended_at = utcnow()
        db.add(s)
    audit.record(db, AuditAction.TOTP_RESET, operator_id=op.id, actor=actor, target=f"operator:{op.id}")
    return OperatorView.of(op)


def list_operators(db: Session) -> list[OperatorView]:
    return [OperatorView.of(o) for o in db.exec(select(Operator).order_by(Operator.id)).all()]
