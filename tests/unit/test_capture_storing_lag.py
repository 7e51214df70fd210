"""Admission sees the frames analysed after their answers (issue 13): quick answers with a storing
backlog behind them count as late feedback, so fewer people are admitted until the pool catches up."""
from __future__ import annotations

import time

import pytest

from identity_app.services.capture import flow
from identity_app.services.capture.flow import STORING_LAG_BUDGET_S, AnalysedFrames, PendingFrames
from identity_app.web.capture_admission import WINDOW, LiveAdmission


def batch(resource_id: int) -> AnalysedFrames:
    return AnalysedFrames(1, resource_id, (), ((0, b"sent", b"clean", 480, 360),))


def test_the_oldest_answered_batch_not_yet_stored_is_timed_until_it_is_stored():
    pending = PendingFrames()
    first, second = batch(7), batch(8)
    assert pending.oldest_s() == 0.0
    pending.begin(first)
    now = time.monotonic()
    pending.begin(second)
    assert pending.oldest_s(now + 5) == pytest.approx(5, abs=0.5)
    pending.end(first, True)
    assert pending.oldest_s(now + 5) <= 5
    pending.end(second, False)  # a failed one is the finish's: it no longer holds the answers back
    assert pending.oldest_s() == 0.0 and pending.count(8) == 1


def test_storing_behind_its_budget_adds_to_the_answer_time_and_lowers_the_places(monkeypatch):
    pending = PendingFrames()
    monkeypatch.setattr(flow, "PENDING", pending)
    assert flow.storing_lag_ms() == 0.0
    late = batch(9)
    pending.begin(late)
    assert flow.storing_lag_ms() == 0.0  # within the budget: the frames wait for the answers first
    monkeypatch.setattr(pending, "_since", {id(late): time.monotonic() - STORING_LAG_BUDGET_S - 2})
    lag = flow.storing_lag_ms()
    assert 1900 <= lag <= 2500

    live = LiveAdmission(4, target_ms=500)
    for key in "abcd":
        assert live.enter(key, now=0).admitted
    for i in range(WINDOW):  # answers in 120 ms, but the storing is 2 s behind
        live.observe(120 + lag, now=1 + i * 0.1)
    assert live.capacity == 2
    pending.end(late, True)
    assert flow.storing_lag_ms() == 0.0
