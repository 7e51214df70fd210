"""An application and a session straight in the database, for capture tests."""
from __future__ import annotations

from datetime import timedelta

from identity_app.crypto import new_token
from identity_app.models import Application, VerificationSession, utcnow
from identity_app.services.sessions.links import application_snapshot


def make_session(db, *, checks: dict | None = None, locale: str = "en", lifetime: timedelta = timedelta(days=7)):
    app = Application(name="Acme Bank", checks_config=checks or {}, locale=locale,
                      privacy_policy_url="https://example.com/privacy")
    db.add(app)
    db.flush()
    vs = VerificationSession(application_id=app.id, token=new_token(), user_name="Ada Lovelace",
                             user_email="ada@example.com", config_snapshot=application_snapshot(app),
                             expires_at=utcnow() + lifetime)
    db.add(vs)
    db.commit()
    return vs


# Automated only, so a captured session completes without a reviewer.
NO_REVIEW = {"face_match": {"manual_check": "NEVER"}, "text_extraction": {"manual_check": "NEVER"},
             "liveness": {"max_retries": 2}}
