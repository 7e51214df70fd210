"""`python -m identity_app.cli bench load`: people capturing and operators working at once.

End users do what the capture page does (assets/capture.js and the capture states): open the
link and consent over the pages' websocket, aim at the document (a quality frame every 500 ms),
upload its photo, start a liveness attempt,
stream 480-px frames at 8 per second (a batch once 8 are waiting and none is in flight), follow
the instructions the answers give, finish, wait for the result and close the capture; told WAIT
(admission), they wait in line as the page does, which is timed but no error. Operators
sign in (password, then TOTP over the websocket, cookies from /api/auth/cookie), then in turn
load the sessions list over HTTP (the CSV export) and over the websocket, a session's detail
and a media item. Everything goes to 127.0.0.1 only, for --seconds, with a bounded number of
flows per person. Printed: p50/p95 per step, errors by code, the check backlog's drain time
after the load, and (--find-capacity) the largest number of people whose live-feedback p95
stays under the target.

Scaled out (--scaled-out, or several --url): each person and operator keeps to one web process,
as a proxy hashing on the link would (the live feedback's cache of an attempt is in the process
that analysed its frames), spread over the web processes in turn.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyotp

from identity_app.bench import camera, world as bench_world
from identity_app.bench.reflex_client import NoAnswer, Tab, delta_var, scripts

FEEDBACK_TARGET_MS = 500.0   # live feedback p95 target (issue 13)
FPS = 8
MAX_BATCH = 24               # frames per batch the server takes (capture_routes.MAX_FRAMES_PER_BATCH)
MAX_FLOWS_PER_PERSON = 3
DRAIN_LIMIT_S = 300.0
FEEDBACK_STEP = "liveness frames (feedback)"
_TOKEN = re.compile(r'token:"([^"]+)"')


# ------------------------------------------------------------------ figures


@dataclass(frozen=True)
class StepFigures:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True)
class LoadReport:
    users: int
    operators: int
    seconds: float
    flows_started: int
    flows_finished: int
    steps: dict[str, StepFigures]
    errors: dict[str, int]          # "step: code" -> count
    drain_s: float | None           # None: not drained within DRAIN_LIMIT_S
    load_average: tuple[float, float]  # 1-minute load average: mean and max sampled during the load
    waits: int = 0                  # people told to wait by admission (not errors)
    setup: str = "embedded"         # what ran the app (printed, kept in the JSON)
    streaming_max: int = 0          # the most people streaming liveness frames at one time (admitted at once)
    places: tuple[int, int] = (0, 0)  # the admission's places (/metrics, first web process): fewest and most seen

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def feedback_p95_ms(self) -> float | None:
        f = self.steps.get(FEEDBACK_STEP)
        return f.p95_ms if f else None

    def within_target(self) -> bool:
        p95 = self.feedback_p95_ms
        return self.error_count == 0 and p95 is not None and p95 <= FEEDBACK_TARGET_MS

    def as_dict(self) -> dict:
        return {"users": self.users, "operators": self.operators, "seconds": self.seconds,
                "flows_started": self.flows_started, "flows_finished": self.flows_finished,
                "steps": {k: asdict(v) for k, v in self.steps.items()},
                "errors": dict(self.errors), "drain_s": self.drain_s, "load_average": list(self.load_average),
                "waits": self.waits, "feedback_p95_ms": self.feedback_p95_ms, "setup": self.setup,
                "streaming_max": self.streaming_max, "places": list(self.places)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.errors: Counter = Counter()
        self.flows_started = self.flows_finished = self.waits = 0
        self.streaming = self.streaming_max = 0

    def streams(self, delta: int) -> None:
        """A person starts (+1) or stops (-1) streaming liveness frames."""
        with self._lock:
            self.streaming += delta
            self.streaming_max = max(self.streaming_max, self.streaming)

    def time(self, step: str, ms: float) -> None:
        with self._lock:
            self.times.setdefault(step, []).append(ms)

    def error(self, step: str, code: str) -> None:
        with self._lock:
            self.errors[f"{step}: {code}"] += 1

    def count(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)

    def figures(self) -> dict[str, StepFigures]:
        with self._lock:
            return {k: StepFigures(len(v), round(percentile(v, 0.5), 1), round(percentile(v, 0.95), 1),
                                   round(max(v), 1)) for k, v in sorted(self.times.items())}


class StepFailed(Exception):
    def __init__(self, step: str, code: str) -> None:
        super().__init__(f"{step}: {code}")
        self.step, self.code = step, code


def _timed(rec: Recorder, step: str, fn):
    """fn() timed as `step`; a failure is recorded (and raised) as StepFailed."""
    t0 = time.monotonic()
    try:
        out = fn()
    except StepFailed as exc:
        rec.error(exc.step, exc.code)
        raise
    except NoAnswer:
        rec.error(step, "NO_ANSWER")
        raise StepFailed(step, "NO_ANSWER") from None
    except (httpx.HTTPError, OSError, ValueError) as exc:
        rec.error(step, type(exc).__name__)
        raise StepFailed(step, type(exc).__name__) from None
    rec.time(step, (time.monotonic() - t0) * 1000)
    return out


def _json_ok(step: str, response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or not data.get("ok", False):
        raise StepFailed(step, str(data.get("code") or response.status_code))
    return data


# ------------------------------------------------------------------ the pages' states


@dataclass(frozen=True)
class Events:
    capture_start: str
    capture_document: str
    capture_liveness: str
    sign_in: str
    sessions_list: str
    session_detail: str


def _events() -> Events:
    from identity_app.state.capture_document import CaptureDocumentState
    from identity_app.state.capture_liveness import CaptureLivenessState
    from identity_app.state.capture_start import CaptureStartState
    from identity_app.state.session_detail import SessionDetailState
    from identity_app.state.sessions_list import SessionsListState
    from identity_app.state.sign_in import SignInState

    return Events(*(s.get_full_name() for s in (CaptureStartState, CaptureDocumentState, CaptureLivenessState,
                                                 SignInState, SessionsListState, SessionDetailState)))


def _step_is(*values: str):
    return lambda update: (delta_var(update, "capture_state", "step") or (None,))[0] in values


# ------------------------------------------------------------------ end users


@dataclass
class Run:
    url: str
    events: Events
    rec: Recorder
    stop_at: float
    links: "LinkSource"
    world: bench_world.World
    stopping: threading.Event = field(default_factory=threading.Event)

    def over(self) -> bool:
        return self.stopping.is_set() or time.monotonic() >= self.stop_at


class LinkSource:
    """Session links made ahead, a batch at a time (creating them is the console's work, not measured)."""

    def __init__(self, application_id: int, first_batch: int) -> None:
        self.application_id, self._lock, self._made = application_id, threading.Lock(), 0
        self._tokens = bench_world.new_links(application_id, first_batch)
        self._made = first_batch

    def take(self) -> str:
        with self._lock:
            if not self._tokens:
                self._tokens = bench_world.new_links(self.application_id, 10, self._made)
                self._made += 10
            return self._tokens.pop()


def _capture_url(run: Run, token: str, tail: str) -> str:
    return f"{run.url}/api/capture/{token}{tail}"


def _waiting(run: Run, data: dict, t: float, since: float | None) -> float:
    """A WAIT answer (admission): counted once per person and turn, timed; its place must be told."""
    if since is None:
        run.rec.count("waits")
    if not data.get("message") or int(data.get("position", 0)) < 1:
        run.rec.error("admission", "WAIT_WITHOUT_PLACE")  # nobody waits silently
    run.rec.time("admission answer (WAIT)", (time.monotonic() - t) * 1000)
    if run.over():
        raise StepFailed("admission", "STOPPED")
    return t if since is None else since


def _reply(r: httpx.Response) -> dict:
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else {}


def _post_admitted(run: Run, http: httpx.Client, url: str, body: bytes, step: str) -> dict:
    """POST as the page's postAdmitted does: told WAIT, show the place in line and ask again."""
    rec, since = run.rec, None
    try:
        while True:
            t = time.monotonic()
            r = http.post(url, content=body)
            data = _reply(r)
            if data.get("code") != "WAIT":
                break
            since = _waiting(run, data, t, since)
            time.sleep(float(data.get("retry_s") or 3))
    except (httpx.HTTPError, ValueError) as exc:
        rec.error(step, type(exc).__name__)
        raise StepFailed(step, type(exc).__name__) from None
    if since is not None:
        rec.time("admission wait (in line)", (t - since) * 1000)
    rec.time(step, (time.monotonic() - t) * 1000)
    try:
        return _json_ok(step, r)
    except StepFailed as exc:
        rec.error(exc.step, exc.code)
        raise


def _aim(run: Run, http: httpx.Client, token: str) -> None:
    """The document step's camera as startDocument runs it: a 640-px frame every 500 ms, one at a time,
    answered with a quality hint, or WAIT (shown; the next frame after its retry_s) until the person's
    turn; 2 s of hints, then the photo."""
    rec, since, hints = run.rec, None, 0
    frame = camera.document_preview_jpeg()
    while hints < 4:
        t = time.monotonic()
        try:
            r = http.post(_capture_url(run, token, "/quality"), content=frame)
            data = _reply(r)
        except (httpx.HTTPError, ValueError) as exc:
            rec.error("document quality hint", type(exc).__name__)
            data, r = {}, None
        if data.get("code") == "WAIT":
            since = _waiting(run, data, t, since)
            time.sleep(float(data.get("retry_s") or 3) - 0.5)  # the page's hints pause as long
        elif r is not None and r.status_code == 200:
            if since is not None:
                rec.time("admission wait (in line)", (t - since) * 1000)
                since = None
            rec.time("document quality hint", (time.monotonic() - t) * 1000)
            hints += 1
        elif r is not None:
            rec.error("document quality hint", str(data.get("code") or r.status_code))  # the next tick tries again
        if run.over():
            raise StepFailed("admission", "STOPPED")
        time.sleep(max(0.0, 0.5 - (time.monotonic() - t)))


def _liveness(run: Run, http: httpx.Client, token: str) -> dict:
    """One attempt as runLiveness does; the result JSON the page hands to liveness_done."""
    rec, face = run.rec, camera.face()
    start = _post_admitted(run, http, _capture_url(run, token, "/liveness"), b"", "liveness start")
    rid, challenges = start["resource_id"], list(start["challenges"])
    deadline = time.monotonic() + 10 * len(challenges) + 5
    t0 = time.monotonic()
    state = {"answered": 0, "done": False, "failed": ""}
    pending: list[tuple[int, bytes]] = []
    sender = ThreadPoolExecutor(max_workers=1)
    sending = None
    script: list[bytes] = []
    rec.streams(+1)

    def flush(batch: list[tuple[int, bytes]]) -> None:
        body = b"".join(ms.to_bytes(4, "big") + len(j).to_bytes(4, "big") + j for ms, j in batch)
        t = time.monotonic()
        try:
            r = http.post(_capture_url(run, token, f"/liveness/{rid}/frames"), content=body)
            data = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            rec.error(FEEDBACK_STEP, type(exc).__name__)
            state["failed"] = type(exc).__name__
            return
        rec.time(FEEDBACK_STEP, (time.monotonic() - t) * 1000)
        if not data.get("ok"):
            rec.error(FEEDBACK_STEP, str(data.get("code") or r.status_code))
            if data.get("code") in ("BUSY", "SERVER_BUSY"):
                pending[:] = (batch + pending)[-MAX_BATCH:]  # the page sends these again with the next
                return
            state["failed"] = str(data.get("code"))
            return
        state["answered"], state["done"] = int(data["answered"]), bool(data["done"])

    try:
        while not state["done"] and not state["failed"] and time.monotonic() < deadline and not run.over():
            tick = time.monotonic()
            if not script:  # the person acts on the instruction the page shows now
                index = min(state["answered"], len(challenges) - 1)
                script = list(face.answering(challenges[index]))
            pending.append((int((time.monotonic() - t0) * 1000), script.pop(0)))
            if len(pending) >= FPS and (sending is None or sending.done()):
                batch = pending[-MAX_BATCH:]  # as the page: the latest frames, the server's limit at most
                pending.clear()
                sending = sender.submit(flush, batch)
            time.sleep(max(0.0, 1 / FPS - (time.monotonic() - tick)))
        if sending is not None:
            sending.result()
        if pending and not state["failed"]:
            flush(pending[-MAX_BATCH:])
    finally:
        sender.shutdown(wait=True)
        rec.streams(-1)
    if run.over() and not state["done"]:
        raise StepFailed("liveness", "STOPPED")  # the load ended mid-attempt: not counted as an error
    _timed(rec, "liveness finish", lambda: _json_ok("liveness finish", http.post(
        _capture_url(run, token, f"/liveness/{rid}/finish"), content=b"")))

    def result() -> dict:
        for _ in range(180):
            data = _json_ok("liveness result", http.get(_capture_url(run, token, f"/liveness/{rid}")))
            if data.get("done"):
                return {**data, "resource_id": rid}
            time.sleep(1.0)
        raise StepFailed("liveness result", "TIMEOUT")

    return _timed(rec, "liveness result (worker)", result)


def _flow(run: Run, http: httpx.Client) -> None:
    rec, ev = run.rec, run.events
    token = run.links.take()
    rec.count("flows_started")
    tab = _timed(rec, "open link (websocket connect)", lambda: Tab(run.url))
    try:
        path, params = f"/s/{token}", {"token": token}

        def ask(step: str, event: str, payload: dict | None, *values: str) -> None:
            _timed(rec, step, lambda: tab.ask(event, payload, _step_is(*values), path=path, params=params))

        ask("open link", f"{ev.capture_start}.load", None, "welcome")
        tab.ask(f"{ev.capture_start}.set_consent", {"checked": True}, lambda u: True, path=path, params=params)
        ask("consent", f"{ev.capture_start}.accept", None, "camera")
        ask("camera check", f"{ev.capture_start}.camera_checked", {"result": json.dumps({"state": "ok"})},
            "document")
        _aim(run, http, token)
        document = _post_admitted(run, http, _capture_url(run, token, "/document?side=FRONT&type=PASSPORT&country="),
                                  camera.document_jpeg(), "document upload")
        ask("document done", f"{ev.capture_document}.document_done",
            {"result": json.dumps({**document, "side": "FRONT"})}, "liveness", "document")
        result = _liveness(run, http, token)
        if result.get("passed"):
            ask("close capture", f"{ev.capture_liveness}.liveness_done", {"result": json.dumps(result)}, "checking")
        else:
            tab.ask(f"{ev.capture_liveness}.liveness_done", {"result": json.dumps(result)},
                    _step_is("liveness_failed", "checking"), path=path, params=params)
            ask("close capture", f"{ev.capture_liveness}.give_up_liveness", None, "checking")
        rec.count("flows_finished")
    finally:
        tab.close()


def person(run: Run, delay: float) -> None:
    time.sleep(delay)
    with httpx.Client(timeout=120) as http:
        for _ in range(MAX_FLOWS_PER_PERSON):
            if run.over():
                return
            try:
                _flow(run, http)
            except StepFailed:
                time.sleep(1.0)  # as a person would before trying again
            except Exception as exc:  # a socket or HTTP failure outside a timed step: counted, never hidden
                run.rec.error("flow", type(exc).__name__)
                time.sleep(1.0)


# ------------------------------------------------------------------ operators


def _adopt(run: Run, http: httpx.Client, kind: str, update_scripts: list[str]) -> str:
    """POST the token a sign-in step handed to the page; the cookie the route sets."""
    tokens = [m.group(1) for s in update_scripts for m in [_TOKEN.search(s)] if m]
    if not tokens:
        raise StepFailed("sign in", f"NO_{kind.upper()}_TOKEN")
    r = http.post(f"{run.url}/api/auth/cookie", json={"kind": kind, "token": tokens[0]})
    if r.status_code != 204:
        raise StepFailed("sign in", f"COOKIE_{r.status_code}")
    return tokens[0]


def _sign_in(run: Run, http: httpx.Client, who: bench_world.Operator) -> str:
    ev = run.events
    tab = Tab(run.url)
    try:
        found = tab.ask(f"{ev.sign_in}.submit_password", {"form": {"email": who.email, "password": who.password}},
                        lambda u: scripts(u) or (delta_var(u, "sign_in_state", "error") or ("",))[0],
                        path="/signin")
    finally:
        tab.close()
    if not isinstance(found, list):
        raise StepFailed("sign in", "PASSWORD_REFUSED")
    pending = _adopt(run, http, "pending", found)
    tab = Tab(run.url, {"idv_pending": pending})
    try:
        found = tab.ask(f"{ev.sign_in}.submit_code", {"form": {"code": pyotp.TOTP(who.totp_secret).now()}},
                        lambda u: scripts(u) or (delta_var(u, "sign_in_state", "error") or ("",))[0],
                        path="/signin/code")
    finally:
        tab.close()
    if not isinstance(found, list):
        raise StepFailed("sign in", "CODE_REFUSED")
    return _adopt(run, http, "session", found)


def operator(run: Run, who: bench_world.Operator, delay: float) -> None:
    time.sleep(delay)
    rec, ev, app_id = run.rec, run.events, run.world.application_id
    with httpx.Client(timeout=120) as http:
        try:
            session = _timed(rec, "operator sign in", lambda: _sign_in(run, http, who))
        except StepFailed:
            return
        http.cookies.set("idv_session", session, domain=urlsplit(run.url).hostname or "127.0.0.1")
        tab = Tab(run.url, {"idv_session": session})
        path, params = f"/applications/{app_id}", {"app_id": str(app_id)}
        try:
            while not run.over():
                try:
                    r = _timed(rec, "sessions list (HTTP)", lambda: http.get(
                        f"{run.url}/api/applications/{app_id}/sessions.csv"))
                    if r.status_code != 200:
                        rec.error("sessions list (HTTP)", str(r.status_code))
                    _timed(rec, "sessions list (websocket)", lambda: tab.ask(
                        f"{ev.sessions_list}.load", None, lambda u: delta_var(u, "sessions_list_state", "rows"),
                        path=path, params=params))
                    sid = run.world.seeded_session_id
                    _timed(rec, "session detail (websocket)", lambda: tab.ask(
                        f"{ev.session_detail}.load", None, lambda u: delta_var(u, "session_detail_state", "found"),
                        path=f"{path}/sessions/{sid}", params={**params, "session_id": str(sid)}))
                    r = _timed(rec, "media item (HTTP)", lambda: http.get(
                        f"{run.url}/api/media/{run.world.seeded_media_id}"))
                    if r.status_code != 200:
                        rec.error("media item (HTTP)", str(r.status_code))
                except StepFailed:
                    pass
                time.sleep(1.0 + random.random())  # reading the page before the next click
        finally:
            tab.close()


# ------------------------------------------------------------------ one run


def _loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def _metric(text: str, name: str, label: str = "") -> float:
    for line in text.splitlines():
        if line.startswith(name) and (not label or label in line) and not line.startswith("#"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def admission_places(url: str) -> int | None:
    """The places the admission of the web process at `url` gives now (/metrics), None if unknown."""
    try:
        text = httpx.get(f"{url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return None
    return int(_metric(text, "idv_live_capture_places")) if "idv_live_capture_places" in text else None


def drain_time(url: str, limit_s: float = DRAIN_LIMIT_S) -> float | None:
    """Seconds until the check queue is empty and no check waits for its report (/metrics)."""
    t0 = time.monotonic()
    with httpx.Client(timeout=30) as http:
        while time.monotonic() - t0 < limit_s:
            text = http.get(f"{url}/metrics").text
            if _metric(text, "idv_queue_depth") == 0 and \
                    _metric(text, "idv_work_waiting", 'kind="session_checks"') == 0:
                return round(time.monotonic() - t0, 1)
            time.sleep(0.5)
    return None


CLIENT_LAG_STEP = "load generator's own lag (probe)"
PROBE_S = 0.05


def _own_lag(run: "Run", rec: Recorder) -> None:
    """How late this process's threads wake (asked to sleep PROBE_S): its people and operators share
    one interpreter, so under load every time measured here includes some of this lag. Printed
    beside the figures, so that a late answer can be told from a late reader."""
    while time.monotonic() < run.stop_at:
        t0 = time.monotonic()
        time.sleep(PROBE_S)
        rec.time(CLIENT_LAG_STEP, max(0.0, (time.monotonic() - t0 - PROBE_S) * 1000))


def run_load(url: str | list[str], world: bench_world.World, users: int, operators: int, seconds: float,
             events: Events | None = None, setup: str = "embedded") -> LoadReport:
    """`users` people and `operators` operators for `seconds` against the app at `url` (several URLs:
    its web processes, each person and operator kept to one, in turn)."""
    urls = [url] if isinstance(url, str) else list(url)
    if any(urlsplit(u).hostname not in ("127.0.0.1", "localhost", "::1") for u in urls):
        raise ValueError("the load benchmark runs against loopback only")
    url = urls[0]
    camera.document_jpeg(), camera.document_preview_jpeg(), camera.face()  # made before the clock starts
    rec = Recorder()
    links = LinkSource(world.application_id, users)
    run = Run(url, events or _events(), rec, time.monotonic() + seconds, links, world)
    spread = min(5.0, seconds / 4)  # arrivals over the first seconds, not all in one instant
    def on(i: int) -> Run:  # the same run (clock, records, stop) on the i-th web process in turn
        return replace(run, url=urls[i % len(urls)])

    threads = [threading.Thread(target=person, args=(on(i), random.uniform(0, spread)), daemon=True)
               for i in range(users)]
    ops = [world.operators[i % len(world.operators)] for i in range(operators)]
    threads += [threading.Thread(target=operator, args=(on(i), who, random.uniform(0, spread)), daemon=True)
                for i, who in enumerate(ops)]
    loads: list[float] = []
    places: list[int] = []
    threading.Thread(target=_own_lag, args=(run, rec), daemon=True).start()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        loads.append(_loadavg())
        if time.monotonic() < run.stop_at and (n := admission_places(url)) is not None:
            places.append(n)
        if time.monotonic() > run.stop_at + 240:  # a flow stuck past its own timeouts: stop waiting
            run.stopping.set()
            break
        time.sleep(1.0)
    drain = drain_time(url)
    errors = {k: v for k, v in rec.errors.items() if not k.endswith(": STOPPED")}  # the load's end
    return LoadReport(users, operators, seconds, rec.flows_started, rec.flows_finished, rec.figures(), errors,
                      drain, (round(sum(loads) / max(1, len(loads)), 2), max(loads, default=0.0)), rec.waits, setup,
                      rec.streaming_max, (min(places, default=0), max(places, default=0)))


def print_report(r: LoadReport) -> None:
    print(f"\n[{r.setup}] {r.users} users, {r.operators} operators, {r.seconds:g} s: flows started {r.flows_started}, "
          f"finished {r.flows_finished}; load average (1 min) mean {r.load_average[0]} max {r.load_average[1]} "
          f"on {os.cpu_count()} cores")
    print(f"{'step':34} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for name, f in r.steps.items():
        print(f"{name:34} {f.count:6d} {f.p50_ms:9.0f} {f.p95_ms:9.0f} {f.max_ms:9.0f}")
    print(f"errors: {r.error_count}" + "".join(f"\n  {k}: {v}" for k, v in sorted(r.errors.items())))
    if r.waits:
        print(f"people told to wait by admission: {r.waits}")
    print(f"people streaming liveness frames at one time, at most: {r.streaming_max}; "
          f"admission's places {r.places[0]}-{r.places[1]}")
    print(f"check backlog drained {r.drain_s} s after the load" if r.drain_s is not None
          else f"check backlog NOT drained within {DRAIN_LIMIT_S:g} s")
    p95 = r.feedback_p95_ms
    print(f"live feedback p95 {p95} ms (target {FEEDBACK_TARGET_MS:g} ms): "
          f"{'within' if r.within_target() else 'NOT within'} target")


def capacity(reports: list[LoadReport]) -> int | None:
    """The largest step within target with every smaller step within it too: a larger step that
    passes after a smaller one failed is the machine's noise, not a capacity to promise."""
    found = None
    for r in sorted(reports, key=lambda r: r.users):
        if not r.within_target():
            break
        found = r.users
    return found


def print_summary(reports: list[LoadReport]) -> None:
    """One line per step: what the targets judge, and the throughput beside it (a latency met by
    admitting one person at a time would show here as few flows and one streaming at most)."""
    print(f"\n{'people':>6} {'load':>5} {'feedback p50/p95 ms':>20} {'batches':>7} {'upload p95 ms':>13} "
          f"{'flows started/finished':>22} {'streaming max':>13} {'told to wait':>12} {'errors':>6}")
    for r in reports:
        fb, up = r.steps.get(FEEDBACK_STEP), r.steps.get("document upload")
        print(f"{r.users:6d} {r.load_average[0]:5.1f} "
              f"{(f'{fb.p50_ms:.0f} / {fb.p95_ms:.0f}' if fb else '-'):>20} {(fb.count if fb else 0):7d} "
              f"{(f'{up.p95_ms:.0f}' if up else '-'):>13} {f'{r.flows_started} / {r.flows_finished}':>22} "
              f"{r.streaming_max:13d} {r.waits:12d} {r.error_count:6d}")


# ------------------------------------------------------------------ command line


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="identity_app.cli bench load", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=10, help="people capturing at once")
    p.add_argument("--operators", type=int, default=2, help="operators working at once")
    p.add_argument("--seconds", type=float, default=60.0, help="how long the load lasts")
    p.add_argument("--url", action="append", help="a running app on loopback (its IDV_* settings in this environment; "
                   "give it once per web process to spread people over them); "
                                 "default: start one on embedded defaults in a temporary folder")
    p.add_argument("--find-capacity", action="store_true",
                   help="step the number of users (--steps) and print the largest within the target")
    p.add_argument("--steps", default="5,10,20,30,50", help="user counts tried by --find-capacity")
    p.add_argument("--scaled-out", action="store_true",
                   help="start the scaled-out setup instead: PostgreSQL (a database of its own on 127.0.0.1:5432), "
                        "Redis (queue, UI state and admission; two empty databases of 127.0.0.1:6379), S3 "
                        "(moto's server), --webs web processes and --workers check workers, all dropped after")
    p.add_argument("--webs", type=int, default=2, help="web processes with --scaled-out")
    p.add_argument("--workers", type=int, default=2,
                   help="check workers with --scaled-out, one consumer process each (the embedded app: one "
                        "worker of 2 processes)")
    p.add_argument("--json", help="write the report(s) here as JSON")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(list(argv or []))
    if args.users < 1 or args.operators < 0 or args.seconds <= 0 or args.users > 500 or args.operators > 100:
        raise SystemExit("--users 1..500, --operators 0..100, --seconds > 0")
    app = None
    folder = None
    try:
        if args.url:
            url = [u.rstrip("/") for u in args.url]
            setup = f"running app, {len(url)} URL(s)"
        elif args.scaled_out:
            from identity_app.bench import app_process

            folder = tempfile.TemporaryDirectory(prefix="idv-load-")
            setup = (f"scaled out: {args.webs} web, {args.workers} worker processes, PostgreSQL, Redis, "
                     f"S3 (moto)")
            print("starting", setup, "in", folder.name, flush=True)
            app = app_process.start_scaled_out(Path(folder.name), webs=args.webs, workers=args.workers)
            os.environ.update({k: v for k, v in app.env.items() if k.startswith("IDV_")})
            url = app.urls
        else:
            from identity_app.bench import app_process

            folder = tempfile.TemporaryDirectory(prefix="idv-load-")
            print("starting the app (backend only, embedded defaults) in", folder.name, flush=True)
            app = app_process.start(Path(folder.name))
            os.environ.update({k: v for k, v in app.env.items() if k.startswith("IDV_")})
            url, setup = app.url, "embedded: 1 web, 1 worker of 2 processes, SQLite, local media"
        world = bench_world.build(max(1, args.operators), camera.document_jpeg())
        events = _events()
        counts = [int(n) for n in args.steps.split(",")] if args.find_capacity else [args.users]
        reports = []
        for n in counts:
            report = run_load(url, world, n, args.operators, args.seconds, events, setup)
            print_report(report)
            reports.append(report)
        if args.find_capacity:
            print_summary(reports)
            found = capacity(reports)
            print(f"\ncapacity: {found if found else 'below ' + str(min(counts))} people capturing at once "
                  f"with live-feedback p95 <= {FEEDBACK_TARGET_MS:g} ms and no errors "
                  f"(with {args.operators} operators; steps within target: "
                  f"{', '.join(str(r.users) for r in reports if r.within_target()) or 'none'})")
        if args.json:
            Path(args.json).write_text(json.dumps([r.as_dict() for r in reports], indent=2))
        return 0 if all(r.error_count == 0 for r in reports) else 1
    finally:
        if app is not None:
            app.stop()
        if folder is not None:
            folder.cleanup()
