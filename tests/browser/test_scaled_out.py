"""The same code scaled out: PostgreSQL, Reflex state in Redis (several
workers), the check queue in Redis, media on S3. The front door works end to
end, media round-trips through the authenticated route from S3, and a capture
goes through the worker to COMPLETED."""
from __future__ import annotations

import random
import urllib.request

import pytest

from tests.browser.conftest import start_app, stop_app
from tests.browser.capture_flow import TEST_ENV, whole_flow
from tests.browser.helpers import front_door_flow
from tests.conftest import make_bucket


@pytest.fixture(scope="module")
def scaled_app(tmp_path_factory, pg_url, s3_endpoint):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).ping()
    except redis.RedisError:
        pytest.fail("Redis is not reachable at 127.0.0.1:6379")
    # The check queue in a Redis database of its own for this run, emptied afterwards.
    queue_url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    env = {
        **TEST_ENV,
        "IDV_DATABASE_URL": pg_url,
        "IDV_QUEUE_URL": queue_url,
        "REFLEX_REDIS_URL": "redis://127.0.0.1:6379/0",
        "GRANIAN_WORKERS": "2",
        "IDV_MEDIA_BACKEND": "s3",
        "IDV_S3_BUCKET": make_bucket(s3_endpoint),
        "IDV_S3_ENDPOINT_URL": s3_endpoint,
        "IDV_S3_ACCESS_KEY_ID": "test",
        "IDV_S3_SECRET_ACCESS_KEY": "test",
    }
    app = start_app(tmp_path_factory.mktemp("scaled"), env)
    yield app
    stop_app(app.proc)
    queue = redis.Redis.from_url(queue_url)
    for pattern in ("huey*identity*", "idv.admission.*"):  # the queue and the shared admission's places
        for key in queue.scan_iter(pattern):
            queue.delete(key)


def test_front_door_on_postgresql_redis_and_s3(page, scaled_app):
    front_door_flow(page, scaled_app.url)
    # The app really used PostgreSQL: the owner is there.
    out = scaled_app.cli("list-operators")
    assert "owner@example.com" in out
    # Media without a sign-in cookie is refused.
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(scaled_app.url + "/api/media/1", timeout=5)
    assert err.value.code == 401


def test_a_capture_is_checked_through_the_redis_queue_to_completed(scaled_app, playwright_driver, videos):
    # Frames and their analyses in PostgreSQL and S3, the document read and the checks run by the
    # worker from the Redis queue.
    whole_flow(scaled_app, playwright_driver, videos, screenshots=False)
