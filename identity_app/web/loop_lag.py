"""How late this process's event loop is: the wait a request has before its handler starts.

A frame batch's answer, as the person sees it, includes that wait, which the route cannot time
(its clock starts when the loop gets to it): under load the console's page events and the
people waiting in line keep the loop busy. A probe sleeps PERIOD_S at a time and records how
much later than asked it woke; the admission adds the recent lag to each answer it observes.
"""
from __future__ import annotations

import asyncio
from collections import deque

PERIOD_S = 0.05
KEEP = 10  # the last half second of probes


class LoopLag:
    def __init__(self, period_s: float = PERIOD_S, keep: int = KEEP) -> None:
        self.period_s = period_s
        self._lags: deque[float] = deque(maxlen=keep)
        self._task: asyncio.Task | None = None

    def ensure_running(self) -> None:
        """Start the probe on the running loop (once; again if the loop changed)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._lags.clear()
            self._task = loop.create_task(self._probe(), name="loop-lag-probe")

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.period_s)
            self._lags.append(max(0.0, loop.time() - asked - self.period_s))

    def recent_ms(self) -> float:
        """The largest lag of the last KEEP probes, in ms (0 before the first)."""
        return 1000.0 * max(self._lags, default=0.0)


LOOP_LAG = LoopLag()
