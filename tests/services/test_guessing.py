"""Guessing limits on passwords and codes (services/access/guessing.py through services/access/auth.py),
on SQLite and PostgreSQL: they slow attackers down, every failure is audited in a
transaction of its own, and the rightful operator still gets in."""
from __future__ import annotations

import threading
from datetime import timedelta, timezone

import pyotp
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app.crypto import hash_token
from identity_app.models import AuditEvent, AuthFailure
from identity_app.services.access import auth, guessing
from identity_app.services.errors import AuthenticationError, LockedOut

pytestmark = pytest.mark.slow  # not in the fast tier: many password hashes, and threads on both databases

PASSWORD = "correct horse battery"
EMAIL = "owner@example.com"
ATTACKER, OWNER_IP = "203.0.113.66", "198.51.100.10"


def owner_with_browser(db):
    """An enrolled owner and the device cookie of the browser they enrolled on."""
    auth.create_owner(db, name="Olive", email=EMAIL, password=PASSWORD)
    step = auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP)
    enrol = auth.start_enrolment(db, token_hash=step.token_hash)
    signed = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now(), ip=OWNER_IP)
    device = auth.trust_device(db, operator_id=signed.operator.id)
    db.commit()
    return enrol.secret, hash_token(device)


def count(db, action: str) -> int:
    return len(db.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def age_failures(db, seconds: float) -> None:
    """Let time pass for the pauses (the failures' times move back)."""
    for row in db.exec(select(AuthFailure)).all():
        row.at = row.at - timedelta(seconds=seconds)
        db.add(row)
    db.commit()


def wrong_password(db, ip=ATTACKER, device_hash=""):
    with pytest.raises(AuthenticationError) as err:
        auth.sign_in_password(db, email=EMAIL, password="wrong password!", ip=ip, device_hash=device_hash)
    return err.value


def test_the_pause_grows_after_five_wrong_passwords_and_costs_no_hashing(db):
    owner_with_browser(db)
    for _ in range(5):
        assert not isinstance(wrong_password(db), LockedOut)
    # The sixth attempt comes too soon: refused without checking, even the right password.
    with pytest.raises(LockedOut, match="Wait 1 second, then try again"):
        auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=ATTACKER)
    assert count(db, "auth.sign_in_failed") == 5  # the refused attempt checked nothing
    pauses = []
    for _ in range(6):
        age_failures(db, 1000)  # wait out any pause
        wrong_password(db)
        # The pause counts from that failure's time (not from now: a slow machine would shorten it).
        last = max(row.at for row in db.exec(select(AuthFailure)).all())
        last = last if last.tzinfo else last.replace(tzinfo=timezone.utc)
        try:
            auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=ATTACKER)
        except LockedOut as exc:
            pauses.append(round((exc.retry_at - last).total_seconds()))
    assert pauses == [2, 4, 8, 16, 32, 64]


def test_failures_are_audited_even_when_the_unit_of_work_is_rolled_back(engine, db):
    owner_with_browser(db)
    for _ in range(3):
        with Session(engine) as other:
            with pytest.raises(AuthenticationError):
                auth.sign_in_password(other, email=EMAIL, password="nope nope nope", ip=ATTACKER)
            other.rollback()  # what session_scope does on an error
    assert count(db, "auth.sign_in_failed") == 3
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
    assert {e.ip for e in events} == {ATTACKER}


def test_an_attacker_does_not_slow_the_owner_on_their_own_browser(db):
    secret, device = owner_with_browser(db)
    for _ in range(5):
        wrong_password(db)
    assert isinstance(wrong_password(db), LockedOut)
    # Unknown browsers (the attacker's bucket) pause; the owner's browser, at another address, does not.
    step = auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP, device_hash=device)
    code = pyotp.TOTP(secret).at(guessing.utcnow() + timedelta(seconds=30))
    assert auth.verify_second_factor(db, token_hash=step.token_hash, code=code, ip=OWNER_IP, device_hash=device)


def test_someone_with_the_password_cannot_lock_the_owner_out_by_wrong_codes(db, monkeypatch):
    secret, device = owner_with_browser(db)
    wrong = "000000"
    # The attacker's clock stands still: the pauses (1, 2, 4 s...) must not run out between password
    # entries, which take seconds of hashing on a loaded machine (the test failed so at a load of 15).
    real_utcnow = guessing.utcnow
    frozen = real_utcnow()
    monkeypatch.setattr(guessing, "utcnow", lambda: frozen)
    for _ in range(4):  # twenty wrong codes over four password entries
        step = auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=ATTACKER)
        for _ in range(5):
            try:
                auth.verify_second_factor(db, token_hash=step.token_hash, code=wrong, ip=ATTACKER)
            except LockedOut:
                break
            except AuthenticationError:
                pass
        age_failures(db, 0)
    assert count(db, "auth.totp_failed") >= 5
    with pytest.raises(LockedOut):  # the attacker is being slowed down
        step = auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=ATTACKER)
        auth.verify_second_factor(db, token_hash=step.token_hash, code=wrong, ip=ATTACKER)
    monkeypatch.setattr(guessing, "utcnow", real_utcnow)
    step = auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP, device_hash=device)
    code = pyotp.TOTP(secret).at(guessing.utcnow() + timedelta(seconds=30))
    assert auth.verify_second_factor(db, token_hash=step.token_hash, code=code, ip=OWNER_IP, device_hash=device)


def test_one_address_spraying_many_accounts_is_slowed_down(db):
    owner_with_browser(db)
    for i in range(20):
        with pytest.raises(AuthenticationError) as err:
            auth.sign_in_password(db, email=f"user{i}@example.com", password="guess guess", ip=ATTACKER)
        assert not isinstance(err.value, LockedOut)
    with pytest.raises(LockedOut):
        auth.sign_in_password(db, email="someone-else@example.com", password="guess guess", ip=ATTACKER)
    # Other addresses are not affected.
    assert auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP).token


def test_the_owners_browser_is_not_slowed_by_a_busy_shared_address(db):
    secret, device = owner_with_browser(db)
    for i in range(25):  # someone else at the same office address sprays accounts
        with pytest.raises(AuthenticationError):
            auth.sign_in_password(db, email=f"user{i}@example.com", password="guess guess", ip=OWNER_IP)
    with pytest.raises(LockedOut):  # unknown browsers at that address wait
        auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP)
    step = auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP, device_hash=device)
    code = pyotp.TOTP(secret).at(guessing.utcnow() + timedelta(seconds=30))
    assert auth.verify_second_factor(db, token_hash=step.token_hash, code=code, ip=OWNER_IP, device_hash=device)


def test_concurrent_guesses_see_each_other(engine, db):
    owner_with_browser(db)
    results: list[str] = []

    def guess() -> None:
        with Session(engine) as s:
            try:
                auth.sign_in_password(s, email=EMAIL, password="wrong again!", ip=ATTACKER)
            except LockedOut:
                results.append("paused")
            except AuthenticationError:
                results.append("checked")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("checked") == 5 and results.count("paused") == 7


def test_the_rightful_users_success_clears_their_own_bucket(db):
    owner_with_browser(db)
    for _ in range(4):
        wrong_password(db, ip=OWNER_IP)
    assert auth.sign_in_password(db, email=EMAIL, password=PASSWORD, ip=OWNER_IP).token
    for _ in range(5):  # a fresh allowance, not one left
        assert not isinstance(wrong_password(db, ip=OWNER_IP), LockedOut)


def test_old_failures_are_forgotten(db):
    owner_with_browser(db)
    for _ in range(5):
        wrong_password(db)
    age_failures(db, 25 * 3600)
    assert guessing.purge(db) == 10  # each wrong password counts for its account and its address
    db.commit()
    assert db.exec(sa.select(sa.func.count()).select_from(AuthFailure)).one()[0] == 0


def test_guesses_an_attacker_gets():
    # One bucket from a clean start, every guess made the moment it is allowed.
    assert guessing.attempts_within(guessing.ACCOUNT, 3600) == 17
    assert guessing.attempts_within(guessing.ACCOUNT, 24 * 3600) == 109
    assert guessing.attempts_within(guessing.ADDRESS, 3600) == 32
