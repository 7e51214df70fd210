"""Operators and applications made through the services, for console service tests."""
from __future__ import annotations

from identity_app.models import Membership, Operator
from identity_app.services.applications import registry as applications
from identity_app.services.access import auth
from identity_app.services.access.auth import OperatorView

PASSWORD = "correct horse battery"


def owner(db) -> OperatorView:
    return auth.create_owner(db, name="Olive Owner", email="owner@example.com", password=PASSWORD)


def new_app(db, actor: OperatorView, name: str = "Onboarding") -> int:
    return applications.create_application(db, actor=actor, name=name).id


def member(db, application_id: int, permissions: list[str], email: str = "ivy@example.com") -> OperatorView:
    """An operator (not the owner) with these permissions on one application."""
    op = Operator(email=email, name=email.split("@")[0].title(), password_hash="not-a-real-hash")
    db.add(op)
    db.flush()
    db.add(Membership(application_id=application_id, operator_id=op.id, permissions=permissions))
    db.flush()
    return OperatorView.of(op)
