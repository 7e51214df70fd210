"""Bulk creation from CSV: valid rows created together, invalid rows reported by line."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from identity_app.models import VerificationSession
from identity_app.services.sessions import bulk as bulk_sessions
from identity_app.services.errors import Forbidden, ValidationError
from tests import seed


def count(db) -> int:
    return db.exec(select(func.count()).select_from(VerificationSession)).one()


def create(db, op, app_id, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return bulk_sessions.create_from_csv(db, actor=op, application_id=app_id, data=data)


def test_valid_rows_are_created_and_invalid_ones_reported_with_line_numbers(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    result = create(db, op, app_id, (
        "Name,Email,Reference\n"
        "Ada Lovelace,ada@example.com,C-1\n"
        "\n"
        ",nobody@example.com,C-2\n"
        "Bob,not-an-email,C-3\n"
        '"Smith, Jane",jane@example.com,\n'
        "Ada again,ADA@example.com,c-1\n"
    ))
    db.commit()
    assert len(result.created) == 2 and result.rows == 5
    assert [(e.line, e.reason) for e in result.errors] == [
        (4, "Enter the person's name."),
        (5, "Enter a valid email address."),
        (7, "Same email and reference as line 2."),
    ]
    rows = db.exec(select(VerificationSession).order_by(VerificationSession.id)).all()
    assert [r.user_name for r in rows] == ["Ada Lovelace", "Smith, Jane"]
    assert all(r.config_snapshot["checks"] for r in rows) and rows[0].token != rows[1].token
    assert result.created[0].link.endswith(rows[0].token)


def test_other_separators_encodings_and_a_file_without_header(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    excel = "name;email;reference\r\nJosé Núñez;jose@example.es;R1\r\n".encode("cp1252")
    utf16 = "name\temail\nZoë Ölund\tzoe@example.se\n".encode("utf-16")
    bom = "\ufeffname,email\nChloé,chloe@example.fr\n".encode("utf-8")
    plain = "Bob Jones,bob@example.com,REF9\n"
    names = [create(db, op, app_id, data).created for data in (excel, utf16, bom, plain)]
    assert all(len(n) == 1 for n in names)
    got = db.exec(select(VerificationSession.user_name).order_by(VerificationSession.id)).all()
    assert got == ["José Núñez", "Zoë Ölund", "Chloé", "Bob Jones"]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"name,phone\nA,0123\n", "header must have the columns name and email"),
    (b"first,last,phone\nA,B,C\n", "first line must be a header"),
    (b"hello there\n", "first line must be a header"),
    (b"PK\x03\x04\x00\x00binary-xlsx", "not a CSV"),
    (b"name,email\n" + b"a,a@example.com\n" * 5001, "more than 5,000 rows"),
    (b"name,email\n" + b"x" * (2 * 1024 * 1024), "too large"),
    (b"name,email\n", "no rows"),
])
def test_unusable_files_are_refused_whole_with_a_clear_message(db, data, message):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    with pytest.raises(ValidationError, match=message):
        create(db, op, app_id, data)
    assert count(db) == 0


def test_bulk_needs_the_create_permission(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    viewer = seed.account(db, app_id, ["VIEW_SESSIONS"])
    with pytest.raises(Forbidden):
        create(db, viewer, app_id, "name,email\nA,a@example.com\n")
    assert count(db) == 0


def test_five_thousand_rows_in_one_go(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    text = "name,email,reference\n" + "".join(f"Person {i},p{i}@example.com,R{i}\n" for i in range(5000))
    result = create(db, op, app_id, text)
    db.commit()
    assert len(result.created) == 5000 and not result.errors and count(db) == 5000
