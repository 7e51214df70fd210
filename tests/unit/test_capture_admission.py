"""Admission of live captures (web/capture_admission.py): a place per person up to the capacity,
then a line with places and an estimate, first come first served; silent attempts and people who
stopped asking give their place back."""
from __future__ import annotations

from identity_app.web.capture_admission import IDLE_S, LiveAdmission, default_capacity


def test_up_to_capacity_then_a_line_with_places_and_an_estimate():
    live = LiveAdmission(2, typical_hold_s=30)
    assert live.enter("a", now=0).admitted and live.enter("b", now=0).admitted
    c, d = live.enter("c", now=1), live.enter("d", now=1)
    assert (c.admitted, c.position) == (False, 1) and (d.admitted, d.position) == (False, 2)
    assert c.wait_s == 30 and d.wait_s == 30  # two places free up per round of about 30 s
    assert live.enter("e", now=1).wait_s == 60
    assert live.enter("a", now=2).admitted  # someone admitted asking again (a new attempt) keeps the place
    assert live.counts()[0] <= 2


def test_a_freed_place_goes_to_the_first_in_line_not_to_a_newcomer():
    live = LiveAdmission(1)
    assert live.enter("a", now=0).admitted
    assert live.enter("b", now=1).position == 1
    live.leave("a", now=5)
    assert not live.enter("newcomer", now=5.5).admitted  # b is ahead
    assert live.enter("b", now=6).admitted
    assert live.enter("newcomer", now=6.5).position == 1


def test_silent_attempts_and_people_who_left_the_line_give_their_place_back():
    live = LiveAdmission(1, forget_s=10)
    assert live.enter("a", now=0).admitted
    live.touch("a", now=IDLE_S)  # still streaming: kept
    assert not live.enter("b", now=IDLE_S + 1).admitted
    # a stops sending (page closed) and b stops asking: the next person gets the place.
    assert live.enter("c", now=2 * IDLE_S + 2).admitted


def test_the_estimate_learns_how_long_attempts_take():
    live = LiveAdmission(1, typical_hold_s=30)
    for i in range(20):
        live.enter(f"p{i}", now=100 * i)
        live.leave(f"p{i}", now=100 * i + 10)
    assert 9 < live.typical_hold_s < 12
    assert default_capacity() >= 1


def test_late_feedback_lowers_the_capacity_and_quick_feedback_raises_it_back():
    from identity_app.web.capture_admission import COOLDOWN_S, WINDOW

    live = LiveAdmission(3, target_ms=500)
    for key in "abc":
        assert live.enter(key, now=0).admitted
    for i in range(WINDOW):  # shared CPUs: batches answered in 900 ms
        live.observe(900, now=1 + i * 0.1)
    assert live.capacity == 2
    live.leave("c", now=10)
    assert not live.enter("d", now=10).admitted  # a and b stream: nobody sent away, d waits
    for i in range(WINDOW):  # still under half the target with every place taken: one more again
        live.observe(100, now=10 + COOLDOWN_S + i * 0.1)
    assert live.capacity == 3 and live.enter("d", now=20).admitted
    for i in range(WINDOW):
        live.observe(100, now=30 + i * 0.1)
    assert live.capacity == 3  # never above the ceiling
    for k in range(10):  # late for long: down to the floor of 2, never one page blocking everyone
        for i in range(WINDOW):
            live.observe(900, now=40 + k * 10 + i * 0.1)
    assert live.capacity == 2


def test_one_person_answered_late_does_not_lower_the_capacity():
    from identity_app.web.capture_admission import WINDOW

    live = LiveAdmission(4, target_ms=500)
    assert live.enter("alone", now=0).admitted
    for i in range(WINDOW * 3):
        live.observe(2000, now=1 + i)
    assert live.capacity == 4


def test_a_late_window_cuts_several_places_at_once_and_they_come_back_one_at_a_time():
    """Additive increase, multiplicative decrease on the answers judged since the last change."""
    from identity_app.web.capture_admission import COOLDOWN_S, JUDGED

    live = LiveAdmission(6, target_ms=500)
    for key in "abcdef":
        assert live.enter(key, now=0).admitted
    for i in range(JUDGED):
        live.observe(900, now=1 + i * 0.1)
    assert live.capacity == 3  # 6 late: down to 3 at once, not 5
    for key in "abc":
        live.leave(key, now=3)
    assert live.enter("g", now=3).admitted is False  # d, e, f still stream: 3 places, all taken
    t = 3 + COOLDOWN_S
    for i in range(JUDGED):  # quick answers with every place taken: one more place
        live.observe(100, now=t + i * 0.01)
    assert live.capacity == 4 and live.enter("g", now=t + 1).admitted
    t += COOLDOWN_S + 1
    for i in range(JUDGED):  # in time but not well within it (above INCREASE_BELOW): no more places
        live.observe(450, now=t + i * 0.01)
    assert live.capacity == 4
    live.leave("g", now=t + 1)
    t += COOLDOWN_S + 1
    for i in range(JUDGED):  # quick, but a place is free: nothing shows that one more would be in time
        live.observe(100, now=t + i * 0.01)
    assert live.capacity == 4


def test_the_window_after_a_change_judges_only_its_own_answers():
    from identity_app.web.capture_admission import COOLDOWN_S, JUDGED

    live = LiveAdmission(6, target_ms=500)
    for key in "abcdef":
        live.enter(key, now=0)
    for i in range(JUDGED):
        live.observe(2000, now=1 + i * 0.01)
    assert live.capacity == 3
    t = 2 + COOLDOWN_S
    for i in range(JUDGED - 1):  # the late answers before the cut are not judged again with these
        live.observe(100, now=t + i * 0.01)
    assert live.capacity == 3  # fewer than JUDGED answers since the change: no judgement yet


def test_next_capacity_rules():
    from identity_app.web.capture_admission import next_capacity

    assert next_capacity(6, 6, 900, 500, active=6) == 3
    assert next_capacity(3, 6, 900, 500, active=3) == 2       # never below the floor of 2
    assert next_capacity(2, 6, 900, 500, active=2) == 2
    assert next_capacity(6, 6, 900, 500, active=1) == 6       # one person alone: fewer would not help
    assert next_capacity(4, 6, 300, 500, active=4) == 5
    assert next_capacity(6, 6, 100, 500, active=6) == 6       # never above the ceiling
    assert next_capacity(1, 1, 900, 500, active=1) == 1


def test_a_slow_start_admits_the_floor_first_and_earns_places_with_answers_in_time():
    from identity_app.web.capture_admission import COOLDOWN_S, FLOOR, JUDGED

    live = LiveAdmission(6, target_ms=500, start=FLOOR)
    assert live.capacity == FLOOR == 2
    assert live.enter("a", now=0).admitted and live.enter("b", now=0).admitted
    assert not live.enter("c", now=0).admitted  # told its place in line
    t = 1.0
    for step in range(4):
        for i in range(JUDGED):
            live.observe(200, now=t + i * 0.01)
        assert live.capacity == 3 + step
        assert live.enter("cdef"[step], now=t + 1).admitted  # the place earned goes to the first in line
        t += COOLDOWN_S + 1
    assert live.capacity == 6 and LiveAdmission(6).capacity == 6  # without a start: the ceiling at once
    assert LiveAdmission(1, start=FLOOR).capacity == 1           # never above the ceiling


def test_the_embedded_defaults_start_slow(tmp_path, monkeypatch):
    from identity_app.settings import Settings
    from identity_app.web.capture_admission import FLOOR, make_admission

    admission = make_admission(Settings(data_dir=tmp_path, live_captures=0, queue_url=""))
    assert isinstance(admission, LiveAdmission) and admission.capacity == FLOOR < admission.ceiling
    # A number of places the operator set is given at once (the security tests set 1000 to leave admission aside).
    given = make_admission(Settings(data_dir=tmp_path, live_captures=6, queue_url=""))
    assert given.ceiling == 6 and given.capacity == 6
