"""Admission of live captures: beyond what the CPUs serve with live feedback, the next person waits.

A liveness attempt streams 8 frames a second, each decoded, analysed and re-encoded in the image
pool (identity_app/image_pool.py, one child process per core): a core serves a few people with
feedback in time, and past that everyone's feedback gets late at once. So this web process admits
at most `capacity` people capturing at a time (from the document step's camera to the end of
the liveness attempt) (IDV_LIVE_CAPTURES; 0 = LIVE_CAPTURES_PER_CORE per
core). The next one gets WAIT with their place in line and an estimate; the capture page shows it
and asks again every RETRY_S seconds, and whoever is first in line gets the next free place.

The capacity is a ceiling, not a promise: the CPUs may be shared (other containers, the worker's
checks), so the process watches how long its frame batches take to answer. When the p95 of the
last WINDOW batches passes the target (FEEDBACK_TARGET_MS) while several stream, it admits one
person fewer, down to FLOOR; when it
stays under half the target with every place taken, one more, up to the ceiling (at most one
change per COOLDOWN_S). Nobody admitted is sent away: a lower capacity only makes the next wait.

A place is held from the attempt's start to its finish; an attempt that sends nothing for IDLE_S
(page closed) gives it back, and a person in line who stops asking for FORGET_S leaves the line.
The link token is the key: one place per person, a new attempt of someone admitted is admitted.
Process-local like the image pool it protects: scaled out, each web process admits its share.
"""
from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

LIVE_CAPTURES_PER_CORE = 3   # from `cli bench load` on 2 cores (README, Timings, Load)
IDLE_S = 30.0                # an admitted person silent this long has left (between document and liveness too)
FORGET_S = 12.0              # someone in line who stopped asking (the page asks every RETRY_S)
RETRY_S = 3
TYPICAL_HOLD_S = 30.0        # the estimate's first guess of an attempt's length, then learnt
FEEDBACK_TARGET_MS = 500.0   # a frame batch answered within this, p95 (issue 13)
WINDOW = 24                  # frame batches the p95 is taken over (3 s of 8 people)
COOLDOWN_S = 5.0
FLOOR = 2                    # never fewer places: with one, a page left open would stop everyone for IDLE_S


@dataclass(frozen=True)
class Admission:
    admitted: bool
    position: int = 0        # place in line when not admitted (1 = next)
    wait_s: int = 0          # estimate of the wait


def default_capacity() -> int:
    return LIVE_CAPTURES_PER_CORE * max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                        else (os.cpu_count() or 1))


class LiveAdmission:
    def __init__(self, capacity: int, *, idle_s: float = IDLE_S, forget_s: float = FORGET_S,
                 typical_hold_s: float = TYPICAL_HOLD_S, target_ms: float = FEEDBACK_TARGET_MS) -> None:
        self.ceiling = self.capacity = max(1, int(capacity))
        self.target_ms = target_ms
        self._answers: deque[float] = deque(maxlen=WINDOW)
        self._changed = float("-inf")
        self.idle_s, self.forget_s = idle_s, forget_s
        self.typical_hold_s = typical_hold_s
        self._lock = threading.Lock()
        self._active: dict[str, tuple[float, float]] = {}   # key -> (admitted at, last seen)
        self._line: OrderedDict[str, float] = OrderedDict()  # key -> last asked, first in line first

    def _purge(self, now: float) -> None:
        for key in [k for k, (_, seen) in self._active.items() if now - seen > self.idle_s]:
            del self._active[key]
        for key in [k for k, asked in self._line.items() if now - asked > self.forget_s]:
            del self._line[key]

    def enter(self, key: str, now: float | None = None) -> Admission:
        """Admit `key` now, or tell its place in line (asking again keeps the place)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._purge(now)
            if key in self._active:
                self._active[key] = (self._active[key][0], now)
                return Admission(True)
            self._line[key] = now  # keeps its place when already in line
            free = self.capacity - len(self._active)
            place = list(self._line).index(key)
            if place < free:  # everyone ahead fits too: first come, first served
                del self._line[key]
                self._active[key] = (now, now)
                return Admission(True)
            position = place - max(0, free) + 1
            rounds = math.ceil(position / self.capacity)
            return Admission(False, position, max(RETRY_S, int(round(rounds * self.typical_hold_s))))

    def touch(self, key: str, now: float | None = None) -> None:
        """The attempt is still streaming (its place is kept; re-taken if it was let go meanwhile)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if key in self._active:
                self._active[key] = (self._active[key][0], now)
            elif len(self._active) < self.capacity and not self._line:
                self._active[key] = (now, now)

    def leave(self, key: str, now: float | None = None) -> None:
        """The attempt finished: its place goes to the first in line; its length tunes the estimate."""
        now = time.monotonic() if now is None else now
        with self._lock:
            held = self._active.pop(key, None)
            if held is not None:
                self.typical_hold_s = 0.8 * self.typical_hold_s + 0.2 * max(1.0, now - held[0])

    def observe(self, answer_ms: float, now: float | None = None) -> None:
        """A frame batch was answered in `answer_ms`: adjust the capacity to keep feedback in time."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._answers.append(answer_ms)
            if len(self._answers) < WINDOW or now - self._changed < COOLDOWN_S:
                return
            ordered = sorted(self._answers)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            if p95 > self.target_ms and self.capacity > min(FLOOR, self.ceiling) and len(self._active) > 1:
                self.capacity -= 1  # (one person alone answered late: fewer people would not help)
            elif p95 <= self.target_ms / 2 and self.capacity < self.ceiling and len(self._active) >= self.capacity:
                self.capacity += 1
            else:
                return
            self._changed = now
            self._answers.clear()  # judge the new capacity on its own answers

    def counts(self) -> tuple[int, int]:
        """(streaming now, waiting in line)."""
        with self._lock:
            self._purge(time.monotonic())
            return len(self._active), len(self._line)
