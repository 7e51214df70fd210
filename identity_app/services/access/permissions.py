"""Per-application permissions, checked on the server for every action."""
from __future__ import annotations

from sqlmodel import Session, select

from identity_app.models import ALL_PERMISSIONS, ApiScope, Application, Membership, Permission, VerificationSession
from identity_app.services.access.auth import ApiKeyActor, OperatorView
from identity_app.services.errors import Forbidden, NotFound

PERMISSION_LABELS = {
    Permission.VIEW_SESSIONS: "View sessions",
    Permission.CREATE_SESSIONS: "Create sessions",
    Permission.DECIDE: "Make decisions",
    Permission.DELETE_MEDIA: "Delete media",
    Permission.DELETE_SESSIONS: "Delete sessions",
    Permission.MANAGE_APPLICATION: "Manage application",
}


def clean_permissions(values: list[str] | tuple[str, ...]) -> list[str]:
    """Known permissions only, always including view (nothing works without it)."""
    chosen = {Permission(v).value for v in values if v in ALL_PERMISSIONS}
    chosen.add(Permission.VIEW_SESSIONS.value)
    return [p for p in ALL_PERMISSIONS if p in chosen]


# What an API key's scopes allow, as console permissions (an API endpoint also checks its own scope).
SCOPE_PERMISSIONS = {
    ApiScope.SESSIONS_CREATE: {Permission.VIEW_SESSIONS, Permission.CREATE_SESSIONS},
    ApiScope.RESULTS_READ: {Permission.VIEW_SESSIONS},
    ApiScope.MEDIA_READ: {Permission.VIEW_SESSIONS},
    ApiScope.DELETE: {Permission.VIEW_SESSIONS, Permission.DELETE_MEDIA, Permission.DELETE_SESSIONS},
    ApiScope.DECISIONS_WRITE: {Permission.VIEW_SESSIONS, Permission.DECIDE},
}


def permissions_for(db: Session, operator: OperatorView, application_id: int) -> frozenset[Permission]:
    if db.get(Application, application_id) is None:
        raise NotFound("That application does not exist.")
    if isinstance(operator, ApiKeyActor):
        if operator.application_id != application_id:
            return frozenset()
        return frozenset(p for s in operator.scopes if s in SCOPE_PERMISSIONS for p in SCOPE_PERMISSIONS[ApiScope(s)])
    if operator.is_owner:
        return frozenset(Permission)
    m = db.exec(select(Membership).where(Membership.application_id == application_id,
                                         Membership.operator_id == operator.id)).first()
    return frozenset(Permission(p) for p in m.permissions) if m else frozenset()


def require(db: Session, operator: OperatorView | None, application_id: int, permission: Permission) -> None:
    if operator is None:
        raise Forbidden("Sign in first.")
    perms = permissions_for(db, operator, application_id)
    if not perms:
        # Same message as a missing application: reveal nothing about others' applications.
        raise NotFound("That application does not exist.")
    if permission not in perms:
        raise Forbidden(f"You need the '{PERMISSION_LABELS[permission]}' permission for that.")


def session_for(db: Session, actor: OperatorView | None, session_id: int,
                permission: Permission) -> VerificationSession:
    """The session if the actor holds `permission` on its application.

    A session of an application the actor does not belong to is reported
    exactly like a missing one, so ids reveal nothing."""
    vs = db.get(VerificationSession, session_id)
    if vs is None:
        if actor is None:
            raise Forbidden("Sign in first.")
        raise NotFound("That session does not exist.")
    try:
        require(db, actor, vs.application_id, permission)
    except NotFound:
        raise NotFound("That session does not exist.") from None
    return vs
