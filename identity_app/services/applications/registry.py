"""Applications: one per use case, each with its checks, preferences and users."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from identity_app.models import ALL_PERMISSIONS, Application, AuditAction, Membership, Operator, Permission, utcnow
from identity_app.services import audit
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import Forbidden, NotFound, ValidationError
from identity_app.services.access.permissions import PERMISSION_LABELS, clean_permissions, permissions_for, require


@dataclass(frozen=True)
class ApplicationView:
    id: int
    name: str
    description: str
    is_active: bool
    created_at: datetime
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class MemberView:
    operator_id: int
    email: str
    name: str
    permissions: tuple[str, ...]
    totp_enrolled: bool


def _view(app: Application, perms: frozenset[Permission]) -> ApplicationView:
    assert app.id is not None
    return ApplicationView(app.id, app.name, app.description, app.is_active, app.created_at,
                           tuple(p.value for p in Permission if p in perms))


def create_application(db: Session, *, actor: OperatorView, name: str, description: str = "",
                       ip: str = "") -> ApplicationView:
    if not actor.is_owner and not _manages_any(db, actor):
        raise Forbidden("Only the owner or an application manager can create applications.")
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the application a name.")
    app = Application(name=name[:200], description=(description or "").strip()[:2000],
                      checks_config=ChecksConfig().to_dict(), created_by_id=actor.id)
    db.add(app)
    db.flush()
    # The creator manages what they created.
    db.add(Membership(application_id=app.id, operator_id=actor.id, permissions=list(ALL_PERMISSIONS)))
    audit.record(db, AuditAction.APPLICATION_CREATED, operator_id=actor.id, actor=actor.email,
                 application_id=app.id, ip=ip)
    db.flush()
    return _view(app, frozenset(Permission))


def _manages_any(db: Session, actor: OperatorView) -> bool:
    rows = db.exec(select(Membership.permissions).where(Membership.operator_id == actor.id)).all()
    return any(Permission.MANAGE_APPLICATION.value in p for p in rows)


def list_applications(db: Session, *, actor: OperatorView) -> list[ApplicationView]:
    """The applications an operator belongs to (the owner sees all)."""
    if actor.is_owner:
        apps = db.exec(select(Application).order_by(Application.name)).all()
        return [_view(a, frozenset(Permission)) for a in apps]
    rows = db.exec(
        select(Application, Membership).join(Membership, Membership.application_id == Application.id)
        .where(Membership.operator_id == actor.id).order_by(Application.name)
    ).all()
    return [_view(a, frozenset(Permission(p) for p in m.permissions)) for a, m in rows]


def get_application(db: Session, *, actor: OperatorView, application_id: int) -> ApplicationView:
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    app = db.get(Application, application_id)
    assert app is not None
    return _view(app, permissions_for(db, actor, application_id))


def list_members(db: Session, *, actor: OperatorView, application_id: int) -> list[MemberView]:
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    rows = db.exec(
        select(Membership, Operator).join(Operator, Operator.id == Membership.operator_id)
        .where(Membership.application_id == application_id).order_by(Operator.email)
    ).all()
    return [MemberView(o.id, o.email, o.name, tuple(m.permissions), o.totp_secret_enc is not None)  # type: ignore[arg-type]
            for m, o in rows]


def set_permissions(db: Session, *, actor: OperatorView, application_id: int, operator_id: int,
                    permissions: list[str], ip: str = "") -> MemberView:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    m = db.exec(select(Membership).where(Membership.application_id == application_id,
                                         Membership.operator_id == operator_id)).first()
    if m is None:
        raise NotFound("That user is not a member of this application.")
    new = clean_permissions(permissions)
    if operator_id == actor.id and Permission.MANAGE_APPLICATION.value not in new and not actor.is_owner:
        raise ValidationError("You cannot remove your own manage permission.")
    before = list(m.permissions)
    m.permissions = new
    db.add(m)
    audit.record(db, AuditAction.PERMISSIONS_CHANGED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"operator:{operator_id}", ip=ip,
                 before=before, after=new)
    op = db.get(Operator, operator_id)
    assert op is not None and op.id is not None
    return MemberView(op.id, op.email, op.name, tuple(new), op.totp_secret_enc is not None)


def remove_member(db: Session, *, actor: OperatorView, application_id: int, operator_id: int,
                  ip: str = "") -> None:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    if operator_id == actor.id:
        raise ValidationError("You cannot remove yourself from an application.")
    m = db.exec(select(Membership).where(Membership.application_id == application_id,
                                         Membership.operator_id == operator_id)).first()
    if m is None:
        raise NotFound("That user is not a member of this application.")
    db.delete(m)
    audit.record(db, AuditAction.MEMBER_REMOVED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"operator:{operator_id}", ip=ip)


__all__ = ["ApplicationView", "MemberView", "PERMISSION_LABELS", "create_application", "list_applications",
           "get_application", "list_members", "set_permissions", "remove_member", "utcnow"]
