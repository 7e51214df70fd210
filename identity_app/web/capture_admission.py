"""Admission of live captures: beyond what the CPUs serve with live feedback, the next person waits.

A liveness attempt streams 8 frames a second, each decoded, analysed and re-encoded in the image
pool (identity_app/image_pool.py, one child process per core): a core serves a few people with
feedback in time, and past that everyone's feedback gets late at once. So this web process admits
at most `capacity` people capturing at a time (from the document step's camera to the end of
the liveness attempt) (IDV_LIVE_CAPTURES; 0 = LIVE_CAPTURES_PER_CORE per
core). The next one gets WAIT with their place in line and an estimate; the capture page shows it
and asks again every RETRY_S seconds, and whoever is first in line gets the next free place.

The capacity is a ceiling, not a promise: the CPUs may be shared (other containers, the worker's
checks), so the process tracks the p95 it promises (FEEDBACK_TARGET_MS) on its frame batches'
answer times, additive increase, multiplicative decrease, as TCP does with its window: when the
p95 of the batches answered since the last change (at least JUDGED, at most WINDOW) passes the
target while several stream, the capacity drops to DECREASE of itself (at least one fewer, never
below FLOOR); when it stays within INCREASE_BELOW of the target with every place taken, one more,
up to the ceiling (at most one change per COOLDOWN_S). A late p95 cuts fast, since every admitted
person's feedback is late meanwhile; places come back one at a time. Nobody admitted is sent
away: a lower capacity only makes the next wait.

This process's own admission (the embedded defaults) starts at FLOOR places and earns the rest
that way, since a person admitted keeps the place to the end of the attempt: on a busy machine,
places given at once to the ceiling made everyone admitted late for the whole of their attempts.

A place is held from the attempt's start to its finish; an attempt that sends nothing for IDLE_S
(page closed) gives it back, and a person in line who stops asking for FORGET_S leaves the line.
The link token is the key: one place per person, a new attempt of someone admitted is admitted.

Scaled out (the queue on Redis, IDV_QUEUE_URL), the places are shared by every web process:
`SharedAdmission` keeps the people admitted and the line in Redis (sorted sets scored by Redis's
own clock, each call one Lua script, so two processes never both take the last place), and a
person is known to whichever process their next request reaches. A web process that crashes
leaks nothing: its people stop sending and are purged after IDLE_S like any silent page. The
places are counted per machine: each web process announces its ceiling and host every few
seconds (forgotten after MEMBER_TTL_S), and the shared ceiling is the sum over machines of the
highest ceiling announced there, since two web processes on one machine share its cores. The
adaptive cut below the ceiling is shared too, judged on the last WINDOW frame batches of every
process together. On the embedded defaults (SQLite queue) the
in-process `LiveAdmission` does the same for one process; if Redis stops answering, each
process falls back to its own until it answers again.
"""
from __future__ import annotations

import logging
import math
import os
import socket
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
JUDGED = 12                  # at least this many answered since the last change (6 s of 2 people)
DECREASE = 0.6               # a late p95: this share of the places is kept (6 -> 3 -> 2)
# A p95 within this share of the target, every place taken: one more. A place given is held to the
# end of an attempt (20-30 s), so it is earned well within the target: at 0.7 (350 ms) the 2-core
# machine earned a 6th place at 25 and 50 people and answered 563 and 731 ms p95 (bench load).
INCREASE_BELOW = 0.6
COOLDOWN_S = 5.0
FLOOR = 2                    # never fewer places: with one, a page left open would stop everyone for IDLE_S
MEMBER_TTL_S = 15.0          # a web process that has not announced itself this long no longer counts
REDIS_RETRY_S = 5.0          # Redis did not answer: each process admits on its own this long before asking again

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    admitted: bool
    position: int = 0        # place in line when not admitted (1 = next)
    wait_s: int = 0          # estimate of the wait


def next_capacity(capacity: int, ceiling: int, p95_ms: float, target_ms: float, active: int) -> int:
    """The capacity after a judged window: multiplicative decrease when late, additive increase when
    in time with every place used, unchanged otherwise (the controller of both admissions)."""
    floor = min(FLOOR, ceiling)
    if p95_ms > target_ms and capacity > floor and active > 1:  # (one person alone late: fewer would not help)
        return max(floor, min(capacity - 1, int(capacity * DECREASE)))
    if p95_ms <= target_ms * INCREASE_BELOW and capacity < ceiling and active >= capacity:
        return capacity + 1
    return capacity


def default_capacity() -> int:
    return LIVE_CAPTURES_PER_CORE * max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                        else (os.cpu_count() or 1))


class LiveAdmission:
    def __init__(self, capacity: int, *, idle_s: float = IDLE_S, forget_s: float = FORGET_S,
                 typical_hold_s: float = TYPICAL_HOLD_S, target_ms: float = FEEDBACK_TARGET_MS,
                 start: int | None = None) -> None:
        self.ceiling = max(1, int(capacity))
        # `start`: the places at first, then earned one at a time by answers in time (a slow start:
        # people admitted stay to the end of their attempt, so places given too early cannot be taken back)
        self.capacity = self.ceiling if start is None else max(min(FLOOR, self.ceiling), min(self.ceiling, int(start)))
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
            if len(self._answers) < JUDGED or now - self._changed < COOLDOWN_S:
                return
            ordered = sorted(self._answers)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            capacity = next_capacity(self.capacity, self.ceiling, p95, self.target_ms, len(self._active))
            if capacity == self.capacity:
                return
            log.info("admission: %d -> %d places (feedback p95 %.0f ms over %d answers, %d streaming)",
                     self.capacity, capacity, p95, len(ordered), len(self._active))
            self.capacity = capacity
            self._changed = now
            self._answers.clear()  # judge the new capacity on its own answers

    def counts(self, now: float | None = None) -> tuple[int, int]:
        """(streaming now, waiting in line)."""
        with self._lock:
            self._purge(time.monotonic() if now is None else now)
            return len(self._active), len(self._line)


# One script per step; KEYS[1] is the prefix, ARGV[1] "now" (empty: Redis's clock, the same for
# every process and machine). Keys: <p>active (token -> last seen), <p>since (token -> admitted at),
# <p>line (token -> order), <p>asked (token -> last asked), <p>members (process -> last announced),
# <p>ceilings (process -> "host ceiling"), <p>cut (places below the ceiling), <p>hold (typical s).
_COMMON = """
local p = KEYS[1]
local now = tonumber(ARGV[1])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) + tonumber(t[2]) / 1e6 end
local idle, forget, member_ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function purge()
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', p..'active', '-inf', now - idle)) do
    redis.call('ZREM', p..'active', k); redis.call('HDEL', p..'since', k)
  end
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', p..'asked', '-inf', now - forget)) do
    redis.call('ZREM', p..'asked', k); redis.call('ZREM', p..'line', k)
  end
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', p..'members', '-inf', now - member_ttl)) do
    redis.call('ZREM', p..'members', m); redis.call('HDEL', p..'ceilings', m)
  end
end
local function ceiling()
  local by_host, total = {}, 0
  local flat = redis.call('HGETALL', p..'ceilings')
  for i = 2, #flat, 2 do
    local host, c = string.match(flat[i], '^(.*) (%d+)$')
    c = tonumber(c)
    if not by_host[host] or c > by_host[host] then by_host[host] = c end
  end
  for _, c in pairs(by_host) do total = total + c end
  return total
end
local function capacity()
  local top = ceiling()
  if top < 1 then top = tonumber(ARGV[5]) end
  local floor = math.min(tonumber(ARGV[6]), top)
  local cut = tonumber(redis.call('GET', p..'cut') or '0')
  return math.max(floor, top - cut), top, floor
end
local function announce(member, value)
  if member ~= '' then
    redis.call('ZADD', p..'members', now, member); redis.call('HSET', p..'ceilings', member, value)
  end
end
local function keep(sec)
  for _, k in ipairs({'active', 'since', 'line', 'asked', 'members', 'ceilings', 'cut', 'hold', 'seq', 'answers'}) do
    redis.call('EXPIRE', p..k, sec)
  end
end
purge()
"""
# ARGV: now, idle, forget, member_ttl, own ceiling, floor, token, member, "host ceiling", retry_s
_ENTER = _COMMON + """
announce(ARGV[8], ARGV[9])
keep(86400)
local token = ARGV[7]
if redis.call('ZSCORE', p..'active', token) then
  redis.call('ZADD', p..'active', now, token); return {1, 0, 0}
end
if not redis.call('ZSCORE', p..'line', token) then
  redis.call('ZADD', p..'line', redis.call('INCR', p..'seq'), token)
end
redis.call('ZADD', p..'asked', now, token)
local cap = capacity()
local free = cap - redis.call('ZCARD', p..'active')
local place = redis.call('ZRANK', p..'line', token)
if place < free then
  redis.call('ZREM', p..'line', token); redis.call('ZREM', p..'asked', token)
  redis.call('ZADD', p..'active', now, token); redis.call('HSET', p..'since', token, tostring(now))
  return {1, 0, 0}
end
local position = place - math.max(0, free) + 1
local hold = tonumber(redis.call('GET', p..'hold') or ARGV[11])
local wait = math.max(tonumber(ARGV[10]), math.floor(math.ceil(position / cap) * hold + 0.5))
return {0, position, wait}
"""
_TOUCH = _COMMON + """
announce(ARGV[8], ARGV[9])
local token = ARGV[7]
if redis.call('ZSCORE', p..'active', token) then
  redis.call('ZADD', p..'active', now, token)
elseif redis.call('ZCARD', p..'active') < capacity() and redis.call('ZCARD', p..'line') == 0 then
  redis.call('ZADD', p..'active', now, token); redis.call('HSET', p..'since', token, tostring(now))
end
return 1
"""
_LEAVE = _COMMON + """
local token = ARGV[7]
local since = redis.call('HGET', p..'since', token)
redis.call('ZREM', p..'active', token); redis.call('HDEL', p..'since', token)
if since then
  local hold = tonumber(redis.call('GET', p..'hold') or ARGV[11])
  hold = 0.8 * hold + 0.2 * math.max(1.0, now - tonumber(since))
  redis.call('SET', p..'hold', tostring(hold))
  return tostring(hold)
end
return false
"""
# ARGV[7]: a frame batch's answer in ms, ARGV[8]: cooldown s, ARGV[9]: window, ARGV[10]: target ms,
# ARGV[11]: judged, ARGV[12]: decrease, ARGV[13]: increase below (next_capacity's rule).
# The last `window` answers of every web process decide together (each process alone sees only its
# share, and would judge late). Returns {capacity, ceiling, changed}.
_OBSERVE = _COMMON + """
local cap, top, floor = capacity()
local window, target = tonumber(ARGV[9]), tonumber(ARGV[10])
redis.call('LPUSH', p..'answers', ARGV[7]); redis.call('LTRIM', p..'answers', 0, window - 1)
redis.call('EXPIRE', p..'answers', 86400)
if redis.call('LLEN', p..'answers') < tonumber(ARGV[11]) then return {cap, top, 0} end
local last = tonumber(redis.call('GET', p..'changed') or '-1e18')
if now - last < tonumber(ARGV[8]) then return {cap, top, 0} end
local xs = {}
for i, v in ipairs(redis.call('LRANGE', p..'answers', 0, -1)) do xs[i] = tonumber(v) end
table.sort(xs)
local p95 = xs[math.min(#xs, math.floor(0.95 * #xs) + 1)]
local active = redis.call('ZCARD', p..'active')
local cut = math.min(tonumber(redis.call('GET', p..'cut') or '0'), top - floor)
if p95 > target and cap > floor and active > 1 then
  cut = top - math.max(floor, math.min(cap - 1, math.floor(cap * tonumber(ARGV[12]))))
elseif p95 <= target * tonumber(ARGV[13]) and cut > 0 and active >= cap then cut = cut - 1
else return {cap, top, 0} end
redis.call('SET', p..'cut', cut); redis.call('SET', p..'changed', tostring(now), 'EX', 86400)
redis.call('DEL', p..'answers')  -- the new capacity is judged on its own answers
cap = capacity()
return {cap, top, 1}
"""
_COUNTS = _COMMON + """
local cap, top = capacity()
return {redis.call('ZCARD', p..'active'), redis.call('ZCARD', p..'line'), cap, top}
"""


class SharedAdmission:
    """LiveAdmission's places kept in Redis, shared by every web process (see the module's docstring).
    The same methods; `now` (seconds) is for tests, otherwise Redis's clock decides."""

    def __init__(self, url: str, capacity: int, *, prefix: str = "idv.admission.", idle_s: float = IDLE_S,
                 forget_s: float = FORGET_S, typical_hold_s: float = TYPICAL_HOLD_S,
                 target_ms: float = FEEDBACK_TARGET_MS, host: str | None = None, member: str | None = None,
                 fallback: LiveAdmission | None = None, start: int | None = None) -> None:
        import redis

        self.own_ceiling = max(1, int(capacity))
        self.prefix, self.idle_s, self.forget_s = prefix, idle_s, forget_s
        self.typical_hold_s, self.target_ms = typical_hold_s, target_ms
        self.host = host or socket.gethostname()
        self.member = member or f"{self.host}:{os.getpid()}"
        self._conn = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._scripts = {name: self._conn.register_script(src)
                         for name, src in (("enter", _ENTER), ("touch", _TOUCH), ("leave", _LEAVE),
                                           ("observe", _OBSERVE), ("counts", _COUNTS))}
        self._fallback = fallback or LiveAdmission(capacity, idle_s=idle_s, forget_s=forget_s,
                                                   typical_hold_s=typical_hold_s, target_ms=target_ms, start=start)
        self._down_since: float | None = None
        self._tried = float("-inf")
        self.capacity = self.ceiling = self.own_ceiling
        if start is not None:  # the slow start of LiveAdmission: the first process up sets the cut, the others keep it
            try:
                self._conn.set(prefix + "cut", max(0, self.own_ceiling - max(min(FLOOR, self.own_ceiling), int(start))),
                               nx=True, ex=86400)
            except redis.RedisError:
                pass

    def _call(self, name: str, now: float | None, *extra) -> object:
        import redis

        argv = ["" if now is None else repr(float(now)), self.idle_s, self.forget_s, MEMBER_TTL_S,
                self.own_ceiling, FLOOR, *extra]
        if self._down_since is not None and time.monotonic() - self._tried < REDIS_RETRY_S:
            # The calls run on the event loop: a Redis that does not answer must not cost each request
            # a timeout, so it is asked again only every REDIS_RETRY_S meanwhile.
            raise redis.ConnectionError("admission: Redis did not answer a moment ago")
        try:
            self._tried = time.monotonic()
            out = self._scripts[name](keys=[self.prefix], args=argv)
        except redis.RedisError:
            if self._down_since is None:
                log.warning("admission: Redis does not answer; this web process admits on its own meanwhile")
                self._down_since = time.monotonic()
            raise
        if self._down_since is not None:
            log.info("admission: Redis answers again; places are shared again")
            self._down_since = None
        return out

    def enter(self, key: str, now: float | None = None) -> Admission:
        import redis

        try:
            admitted, position, wait_s = self._call("enter", now, key, self.member,
                                                    f"{self.host} {self.own_ceiling}", RETRY_S, self.typical_hold_s)
        except redis.RedisError:
            return self._fallback.enter(key, now)
        return Admission(True) if admitted else Admission(False, int(position), int(wait_s))

    def touch(self, key: str, now: float | None = None) -> None:
        import redis

        try:
            self._call("touch", now, key, self.member, f"{self.host} {self.own_ceiling}")
        except redis.RedisError:
            self._fallback.touch(key, now)

    def leave(self, key: str, now: float | None = None) -> None:
        import redis

        self._fallback.leave(key, now)
        try:
            hold = self._call("leave", now, key, "", "", "", self.typical_hold_s)
        except redis.RedisError:
            return
        if hold:
            self.typical_hold_s = float(hold)

    def observe(self, answer_ms: float, now: float | None = None) -> None:
        """A frame batch was answered in `answer_ms`: the last WINDOW answers of every web process adjust
        the shared capacity, one change per COOLDOWN_S across all processes."""
        import redis

        try:
            capacity, ceiling, _changed = self._call("observe", now, repr(float(answer_ms)), COOLDOWN_S, WINDOW,
                                                     self.target_ms, JUDGED, DECREASE, INCREASE_BELOW)
        except redis.RedisError:
            self._fallback.observe(answer_ms, now)
            return
        self.capacity, self.ceiling = int(capacity), int(ceiling)

    def counts(self, now: float | None = None) -> tuple[int, int]:
        """(streaming now, waiting in line), across every web process."""
        import redis

        try:
            active, line, capacity, ceiling = self._call("counts", now)
        except redis.RedisError:
            return self._fallback.counts(now)
        self.capacity, self.ceiling = int(capacity), int(ceiling)
        return int(active), int(line)

    def reset(self) -> None:
        """Forget every place and the line (tests)."""
        keys = list(self._conn.scan_iter(match=self.prefix + "*"))
        if keys:
            self._conn.delete(*keys)


def make_admission(settings) -> LiveAdmission | SharedAdmission:
    """Shared places when the queue is on Redis (scaled out), this process's own otherwise."""
    capacity = settings.live_captures or default_capacity()
    # The default places are earned from the floor (slow start); a number the operator set is given at once.
    start = None if settings.live_captures else FLOOR
    url = (settings.queue_url or "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return SharedAdmission(url, capacity, start=start)
    return LiveAdmission(capacity, start=start)
