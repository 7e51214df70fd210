"""The event loop's lag (web/loop_lag.py), which the capture admission adds to each frame batch's
answer: a loop kept busy shows it, an idle one does not."""
from __future__ import annotations

import asyncio
import time

import pytest

from identity_app.web.loop_lag import LoopLag

pytestmark = pytest.mark.fast


def test_a_loop_blocked_for_300_ms_shows_that_lag_and_an_idle_one_none():
    async def scenario() -> tuple[float, float, float]:
        lag = LoopLag(period_s=0.02, keep=10)
        before = lag.recent_ms()
        lag.ensure_running()
        lag.ensure_running()  # once per loop
        await asyncio.sleep(0.1)
        idle = lag.recent_ms()
        time.sleep(0.3)  # a handler holding the loop
        await asyncio.sleep(0.05)
        busy = lag.recent_ms()
        return before, idle, busy

    before, idle, busy = asyncio.run(scenario())
    assert before == 0.0
    assert idle < 150  # sleeps wake about on time (a loaded machine may add some)
    assert busy >= 250


def test_the_probe_follows_a_new_loop():
    lag = LoopLag(period_s=0.02)

    async def run_once() -> tuple[bool, int]:
        lag.ensure_running()
        await asyncio.sleep(0.1)
        assert lag._task is not None
        return lag._task.get_loop() is asyncio.get_running_loop(), len(lag._lags)

    assert asyncio.run(run_once())[0]
    on_this_loop, probes = asyncio.run(run_once())  # a second loop (tests, restarts) gets a probe of its own
    assert on_this_loop and probes >= 2
