"""The operations on the scaled-out stores: rotate-secret re-encrypts every object of an S3 bucket
(listed from the bucket, more than one page), readiness asks the bucket, and the metrics' queries
give the same figures on PostgreSQL as on SQLite."""
from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from identity_app.models import Check, CheckState, utcnow
from identity_app.services.operations import metrics, readiness, rotation
from identity_app.services.sessions import links
from identity_app.settings import Settings
from identity_app.storage import S3MediaStore, StorageError
from tests import seed
from tests.conftest import make_bucket

OLD, NEW = "o" * 48, "n" * 48


def _s3_settings(tmp_path, endpoint: str, bucket: str) -> Settings:
    return Settings(_env_file=None, env="test", data_dir=tmp_path, secret_key=OLD, media_backend="s3",
                    s3_bucket=bucket, s3_prefix="media/", s3_endpoint_url=endpoint, s3_access_key_id="test",
                    s3_secret_access_key="test")


def test_media_in_s3_are_listed_from_the_bucket_and_rotated(tmp_path, s3_endpoint, monkeypatch):
    settings = _s3_settings(tmp_path, s3_endpoint, make_bucket(s3_endpoint))
    old = rotation.store_for(settings, SecretStr(OLD))
    new = rotation.store_for(settings, SecretStr(NEW))
    assert isinstance(old, S3MediaStore)
    keys = [f"sessions/{i}/frame{i:04d}" for i in range(7)]
    for key in keys:
        old.put(key, key.encode())
    real_paginate_args = {}
    original = old.client.get_paginator

    def small_pages(name):  # 3 keys a page, so the listing follows continuation tokens
        paginator = original(name)
        real_paginate = paginator.paginate

        def paginate(**kw):
            real_paginate_args.update(kw)
            return real_paginate(**kw, PaginationConfig={"PageSize": 3})
        paginator.paginate = paginate
        return paginator

    monkeypatch.setattr(old.client, "get_paginator", small_pages)
    assert sorted(rotation.media_keys(old)) == sorted(keys)
    assert real_paginate_args["Prefix"] == "media/"
    assert rotation.reencrypt_media(old, new) == (7, 0)
    assert rotation.reencrypt_media(old, new) == (0, 7)  # a second run finds them done
    for key in keys:
        with pytest.raises(StorageError):
            old.get(key)
        assert new.get(key) == key.encode()
    assert readiness._storage(new) is True
    gone = rotation.store_for(_s3_settings(tmp_path, s3_endpoint, "no-such-bucket"), SecretStr(NEW))
    assert readiness._timed("storage", lambda: readiness._storage(gone)).ok is False


def test_the_metrics_queries_on_both_databases(db):
    owner = seed.owner(db)
    app_id = seed.new_app(db, owner)
    made = links.create_session(db, actor=owner, application_id=app_id, user_name="Ada", user_email="a@example.com")
    now = utcnow()
    db.add(Check(session_id=made.id, type="FACE_MATCH", state=CheckState.DONE, recommendation="NOT_AVAILABLE",
                 reason="NO_FACE_FOUND", created_at=now - timedelta(seconds=7), completed_at=now))
    db.add(Check(session_id=made.id, type="LIVENESS", state=CheckState.PENDING, created_at=now - timedelta(seconds=30)))
    db.flush()
    families = {f.name: f for f in metrics.collect(db, now=now)}
    samples = {(f.name + s.suffix, s.labels): s.value for f in families.values() for s in f.samples}
    assert samples[("idv_sessions", (("state", "ONGOING"),))] == 1
    assert samples[("idv_check_duration_seconds_sum", (("check", "FACE_MATCH"),))] == pytest.approx(7, abs=0.01)
    assert samples[("idv_check_duration_seconds_bucket", (("check", "FACE_MATCH"), ("le", "5")))] == 0
    assert samples[("idv_check_duration_seconds_bucket", (("check", "FACE_MATCH"), ("le", "10")))] == 1
    assert samples[("idv_check_refusals", (("check", "FACE_MATCH"), ("recommendation", "NOT_AVAILABLE"),
                                           ("reason", "NO_FACE_FOUND")))] == 1
    assert samples[("idv_work_oldest_age_seconds", (("kind", "session_checks"),))] == pytest.approx(30, abs=0.01)
    assert samples[("idv_work_waiting", (("kind", "webhook_delivery"),))] == 0
