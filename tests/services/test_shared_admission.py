"""Admission shared by every web process through Redis (web/capture_admission.SharedAdmission): the
same places and line as the in-process admission, seen alike by two processes (two instances here,
as two web processes hold; tests/browser/test_scaled_out.py has two real ones), counted per machine,
nothing leaked by a process that dies, and each process on its own while Redis does not answer."""
from __future__ import annotations

import random
import uuid

import pytest

from identity_app.settings import Settings
from identity_app.web.capture_admission import (COOLDOWN_S, IDLE_S, MEMBER_TTL_S, WINDOW, LiveAdmission,
                                                SharedAdmission, make_admission)

pytestmark = pytest.mark.slow  # needs the local Redis


@pytest.fixture
def redis_url():
    import redis

    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.fail("Redis is not reachable at 127.0.0.1:6379")
    return url


@pytest.fixture
def shared(redis_url):
    """Two web processes' admissions on one machine, under a prefix of this test's own."""
    prefix = f"idv.test-admission.{uuid.uuid4().hex}."
    made = []

    def make(capacity: int, host: str = "machine-1", **kw) -> SharedAdmission:
        made.append(SharedAdmission(redis_url, capacity, prefix=prefix, host=host, member=f"{host}:{len(made)}", **kw))
        return made[-1]

    yield make
    made[0].reset()


def test_two_processes_share_the_places_and_the_line(shared):
    a, b = shared(2, typical_hold_s=30), shared(2, typical_hold_s=30)
    assert a.enter("ada", now=0).admitted and b.enter("grace", now=0).admitted
    c, d = a.enter("carl", now=1), b.enter("dora", now=1)
    assert (c.admitted, c.position) == (False, 1) and (d.admitted, d.position) == (False, 2)
    assert c.wait_s == 30 and b.enter("carl", now=1.5).position == 1  # the same place through either process
    assert b.enter("ada", now=2).admitted  # admitted through a, known to b
    assert a.counts(now=2)[0] == b.counts(now=2)[0] == 2 and a.counts(now=2)[1] == 2
    a.leave("ada", now=5)  # finished through a: the first in line gets the place through b
    assert not b.enter("newcomer", now=5.5).admitted
    assert b.enter("carl", now=6).admitted
    assert a.enter("newcomer", now=6.5).position == 2  # behind dora


def test_places_are_counted_per_machine(shared):
    """Two web processes on one machine share its cores: the ceiling is the machine's, not the sum.
    A second machine brings its own."""
    one, same_machine = shared(2), shared(2)
    for who in ("p1", "p2"):
        assert one.enter(who, now=0).admitted
    assert not same_machine.enter("p3", now=0).admitted
    other_machine = shared(3, host="machine-2")
    assert other_machine.enter("p3", now=1).admitted  # 2 + 3 places now
    for who in ("p4", "p5"):
        assert one.enter(who, now=1).admitted
    assert not one.enter("p6", now=1).admitted
    assert one.counts(now=1) == (5, 1) and one.ceiling == 5
    # machine-2 stops announcing itself (crashed, scaled in): its places go after MEMBER_TTL_S, and
    # nobody admitted is sent away (everyone keeps streaming).
    later = MEMBER_TTL_S + 2
    for who in ("p1", "p2", "p3", "p4", "p5"):
        one.touch(who, now=later)
    assert not one.enter("p6", now=later).admitted and one.counts(now=later)[0] == 5 and one.ceiling == 2


def test_a_process_that_dies_leaks_no_place(shared):
    dead, alive = shared(2), shared(2)
    assert dead.enter("ada", now=0).admitted and dead.enter("grace", now=0).admitted
    del dead  # its people's pages stop sending (the process is gone): purged after IDLE_S
    assert not alive.enter("carl", now=1).admitted
    assert alive.enter("carl", now=IDLE_S + 1).admitted


def test_late_feedback_lowers_the_shared_capacity_and_quick_feedback_raises_it(shared):
    a, b = shared(3, target_ms=500), shared(3, target_ms=500)
    for who in "xyz":
        assert a.enter(who, now=0).admitted
    for i in range(WINDOW):  # a's batches are late
        a.observe(900, now=1 + i * 0.01)
    assert a.capacity == 2
    b.leave("z", now=2)
    assert not b.enter("w", now=2).admitted  # b sees the lower capacity: x and y stream, w waits
    for i in range(WINDOW):  # within the cooldown nothing changes, then quick answers add one back
        b.observe(100, now=2 + i * 0.01)
    assert not b.enter("w", now=3).admitted
    for i in range(WINDOW):
        b.observe(100, now=2 + COOLDOWN_S + i * 0.01)
    assert b.capacity == 3 and b.enter("w", now=3 + COOLDOWN_S).admitted
    for k in range(10):  # late for long: never below the floor of 2
        for i in range(WINDOW):
            a.observe(900, now=20 + k * (COOLDOWN_S + 1) + i * 0.01)
    assert a.capacity == 2


def test_late_answers_of_both_processes_together_lower_the_capacity(shared):
    """Each web process sees only its share of the frame batches: half a window each is a whole one."""
    a, b = shared(3, target_ms=500), shared(3, target_ms=500)
    for who in "xyz":
        assert a.enter(who, now=0).admitted
    for i in range(WINDOW // 2):
        a.observe(900, now=1 + i * 0.01)
        b.observe(900, now=1 + i * 0.01)
    assert a.counts(now=2) == (3, 0) and b.capacity == 2


def test_on_redis_s_own_clock_without_now(shared):
    a, b = shared(1), shared(1)
    assert a.enter("ada").admitted
    assert b.enter("grace").position == 1
    b.leave("ada")
    assert a.enter("grace").admitted


def test_while_redis_does_not_answer_each_process_admits_on_its_own():
    import time

    down = SharedAdmission("redis://127.0.0.1:9/0", 2, prefix="idv.test-admission.down.")  # nothing listens
    assert down.enter("ada", now=0).admitted
    asked = time.monotonic()
    for _ in range(50):  # asked again only every REDIS_RETRY_S: no timeout per request on the event loop
        assert down.enter("ada", now=0).admitted
    assert down._tried <= asked
    assert down.enter("grace", now=0).admitted
    assert down.enter("carl", now=0).position == 1
    down.leave("ada", now=1)
    assert down.enter("carl", now=2).admitted
    assert down.counts(now=2) == (2, 0)


def test_shared_when_the_queue_is_on_redis_and_in_process_on_the_embedded_defaults(redis_url, tmp_path):
    assert isinstance(make_admission(Settings(data_dir=tmp_path, queue_url="")), LiveAdmission)
    shared = make_admission(Settings(data_dir=tmp_path, queue_url=redis_url, live_captures=4))
    assert isinstance(shared, SharedAdmission) and shared.own_ceiling == 4


def test_a_late_window_cuts_the_shared_places_by_more_than_one(shared):
    """Multiplicative decrease over Redis, as in LiveAdmission: 6 places late -> 3 at once."""
    from identity_app.web.capture_admission import JUDGED

    a, b = shared(6, target_ms=500), shared(6, host="machine-1", target_ms=500)
    for who in "uvwxyz":
        assert a.enter(who, now=0).admitted
    for i in range(JUDGED):
        b.observe(900, now=1 + i * 0.01)
    assert b.capacity == 3 and a.counts(now=2) == (6, 0) and a.capacity == 3


def test_a_slow_start_admits_the_floor_first_and_earns_the_rest_with_answers_in_time(shared):
    # Scaled out as embedded: people admitted keep their place to the end of the attempt, so the
    # places are earned by answers in time, not given all at once (6 admitted at once were late).
    a, b = shared(6, target_ms=500, start=2), shared(6, target_ms=500, start=2)
    assert a.enter("x", now=0).admitted and b.enter("y", now=0).admitted
    assert not a.enter("z", now=0.5).admitted and b.counts(now=0.5) == (2, 1)
    for i in range(WINDOW):  # both places taken, answers in time: one more place
        b.observe(100, now=1 + i * 0.01)
    assert a.enter("z", now=2).admitted and not b.enter("w", now=2).admitted
