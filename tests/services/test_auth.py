"""Owner setup, password + TOTP sign-in and its guards, on SQLite and PostgreSQL."""
from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from identity_app.crypto import hash_token
from identity_app.models import AuditEvent, SignInSession, utcnow
from identity_app.services.access import auth
from identity_app.services.errors import AuthenticationError, Conflict, SignInExpired, ValidationError

PASSWORD = "correct horse battery"


def actions(db) -> list[str]:
    return [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


def enrolled_owner(db):
    """Owner set up and enrolled; returns (secret, signed_in)."""
    auth.create_owner(db, name="Olive Owner", email="Owner@Example.com", password=PASSWORD)
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    assert step.needs_enrolment
    enrol = auth.start_enrolment(db, token_hash=step.token_hash)
    signed = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now())
    db.commit()
    return enrol.secret, signed


def next_code(secret: str, offset_steps: int = 1) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def test_it_creates_the_owner_once(db):
    assert not auth.owner_exists(db)
    op = auth.create_owner(db, name="Olive", email=" Olive@Example.COM ", password=PASSWORD)
    assert op.email == "olive@example.com" and op.is_owner and not op.totp_enrolled
    with pytest.raises(Conflict):
        auth.create_owner(db, name="Mallory", email="m@example.com", password=PASSWORD)
    assert actions(db) == ["owner.created"]


def test_it_refuses_short_passwords_and_bad_emails(db):
    with pytest.raises(ValidationError, match="at least 10"):
        auth.create_owner(db, name="Olive", email="o@example.com", password="short")
    with pytest.raises(ValidationError, match="valid email"):
        auth.create_owner(db, name="Olive", email="not-an-email", password=PASSWORD)


def test_it_gives_one_generic_error_for_unknown_email_and_wrong_password(db):
    auth.create_owner(db, name="Olive", email="o@example.com", password=PASSWORD)
    with pytest.raises(AuthenticationError) as unknown:
        auth.sign_in_password(db, email="nobody@example.com", password=PASSWORD)
    with pytest.raises(AuthenticationError) as wrong:
        auth.sign_in_password(db, email="o@example.com", password="wrong password!")
    assert str(unknown.value) == str(wrong.value) == auth.GENERIC_SIGN_IN_ERROR
    assert actions(db).count("auth.sign_in_failed") == 2


def test_it_saves_the_secret_only_after_a_valid_first_code(db):
    auth.create_owner(db, name="Olive", email="o@example.com", password=PASSWORD)
    step = auth.sign_in_password(db, email="o@example.com", password=PASSWORD)
    enrol = auth.start_enrolment(db, token_hash=step.token_hash)
    assert enrol.uri.startswith("otpauth://totp/") and enrol.qr_svg_data_uri.startswith("data:image/svg+xml")
    # The pending step is not a sign-in.
    assert auth.authenticate(db, step.token) is None
    with pytest.raises(AuthenticationError):
        auth.confirm_enrolment(db, token_hash=step.token_hash, code="000000" if pyotp.TOTP(enrol.secret).now() != "000000" else "111111")
    assert not auth.list_operators(db)[0].totp_enrolled
    signed = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now())
    assert auth.list_operators(db)[0].totp_enrolled
    assert len(signed.recovery_codes) == 8 and len(set(signed.recovery_codes)) == 8
    assert auth.authenticate(db, signed.token).email == "o@example.com"
    # The pending token died when the sign-in became active.
    assert auth.authenticate(db, step.token) is None
    with pytest.raises(SignInExpired):
        auth.pending_operator(db, step.token)


def test_it_signs_in_with_a_fresh_code_and_refuses_a_reused_one(db):
    secret, _ = enrolled_owner(db)
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    assert not step.needs_enrolment
    code = next_code(secret)
    signed = auth.verify_second_factor(db, token_hash=step.token_hash, code=code)
    assert auth.authenticate(db, signed.token).name == "Olive Owner"
    step2 = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    with pytest.raises(AuthenticationError, match="already used"):
        auth.verify_second_factor(db, token_hash=step2.token_hash, code=code)
    # The enrolment code (current step) is older than the accepted one: refused too.
    with pytest.raises(AuthenticationError):
        auth.verify_second_factor(db, token_hash=step2.token_hash, code=pyotp.TOTP(secret).now())


def test_five_wrong_codes_end_the_pending_sign_in_not_the_account(db):
    secret, signed = enrolled_owner(db)
    device = auth.trust_device(db, operator_id=signed.operator.id)  # the owner's own browser
    db.commit()
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD, ip="203.0.113.7")
    good = next_code(secret)
    wrong = "123456" if good != "123456" else "654321"
    for _ in range(4):
        with pytest.raises(AuthenticationError, match="not right"):
            auth.verify_second_factor(db, token_hash=step.token_hash, code=wrong, ip="203.0.113.7")
    with pytest.raises(SignInExpired, match="Too many wrong codes"):
        auth.verify_second_factor(db, token_hash=step.token_hash, code=wrong, ip="203.0.113.7")
    # That pending sign-in is over, even for the right code: the password is asked again.
    with pytest.raises(SignInExpired):
        auth.verify_second_factor(db, token_hash=step.token_hash, code=good, ip="203.0.113.7")
    # A fresh sign-in from the owner's own browser gets in with the right code at once.
    again = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD, ip="198.51.100.2",
                                  device_hash=hash_token(device))
    assert auth.verify_second_factor(db, token_hash=again.token_hash, code=good, ip="198.51.100.2",
                                     device_hash=hash_token(device)).token
    assert actions(db).count("auth.totp_failed") == 5 and "auth.lockout" in actions(db)


def test_it_expires_the_password_step_after_five_minutes(db):
    secret, _ = enrolled_owner(db)
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == hash_token(step.token))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    with pytest.raises(SignInExpired, match="expired"):
        auth.verify_second_factor(db, token_hash=step.token_hash, code=next_code(secret))


def test_a_sign_in_ends_after_24_hours_and_at_sign_out(db):
    _, signed = enrolled_owner(db)
    assert signed.expires_at <= utcnow() + timedelta(hours=24)
    row = db.exec(select(SignInSession).where(SignInSession.token_hash == hash_token(signed.token))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    assert auth.authenticate(db, signed.token) is None

    secret = None
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    codes = signed.recovery_codes
    again = auth.verify_second_factor(db, token_hash=step.token_hash, code=codes[0])  # recovery code
    assert auth.authenticate(db, again.token) is not None
    auth.sign_out(db, token_hash=again.token_hash)
    assert auth.authenticate(db, again.token) is None
    assert "auth.sign_out" in actions(db) and "auth.recovery_code_used" in actions(db)
    # A recovery code works once.
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    with pytest.raises(AuthenticationError, match="recovery code"):
        auth.verify_second_factor(db, token_hash=step.token_hash, code=codes[0])
    del secret


def test_reset_totp_makes_the_operator_enrol_again(db):
    _, signed = enrolled_owner(db)
    auth.reset_totp(db, email="owner@example.com")
    assert auth.authenticate(db, signed.token) is None
    step = auth.sign_in_password(db, email="owner@example.com", password=PASSWORD)
    assert step.needs_enrolment
    assert "auth.totp_reset" in actions(db)


def test_forged_tokens_are_nobody(db):
    enrolled_owner(db)
    assert auth.authenticate(db, "forged-token") is None
    assert auth.authenticate(db, "") is None
    with pytest.raises(SignInExpired):
        auth.verify_second_factor(db, token_hash="forged", code="123456")
