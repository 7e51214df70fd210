"""`python -m identity_app.bench.batch`: where one liveness batch's answer spends its time (issue 13).

Three views of the same 8-frame batch (1 s of video, 480 px, JPEG 85, as the bench people send):

1. stages in this process: header check, decode, FaceMesh, landmarks -> measures, re-encode;
2. the image pool: one `liveness_frames` call in a child (parent CPU, child CPU, wall), and the
   answer-first split (`liveness_answer` then `liveness_rest`) the route now uses;
3. over HTTP (--http): an app on embedded defaults, one person streaming batches one after the
   other; the CPU of the whole app (web process, its pool children, the worker) per batch and the
   wall time of each answer.

CPU time is the robust figure on a shared machine; wall times are printed with the load average.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_of(pid: int) -> float:
    """utime + stime of a process, seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree(roots: list[int]) -> list[int]:
    """Every process below `roots` (pool children run in sessions of their own: found by parent)."""
    parent: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parent[int(name)] = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = set(roots), list(roots)
    while todo:
        p = todo.pop()
        for child, ppid in parent.items():
            if ppid == p and child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def _is_pool_child(pid: int) -> bool:
    try:
        return b"identity_app.image_pool" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _frames(n: int = 8) -> list[bytes]:
    from identity_app.bench import camera

    return camera.face().answering("BLINK")[:n]


def _row(name: str, cpu: list[float], wall: list[float]) -> None:
    """CPU as a mean (another process's CPU comes in clock ticks of 10 ms: their mean is still right),
    wall as a median and p95."""
    walls = sorted(wall)
    print(f"  {name:<34} CPU {statistics.mean(cpu) * 1000:7.1f} ms   wall p50 {statistics.median(wall) * 1000:7.1f} ms"
          f"  p95 {walls[min(len(walls) - 1, int(0.95 * len(walls)))] * 1000:7.1f} ms   ({len(cpu)} batches)")


def stages(reps: int) -> None:
    """Each stage of liveness_frames over a batch, in this process (one thread, as a pool child)."""
    import cv2

    from identity_app.checks import image_work
    from identity_app.checks.image_io import check_header, encode_jpeg
    from identity_app.checks.liveness import analyse_landmarks, landmarks
    from identity_app.services.capture.flow import FRAME_LIMITS

    image_work.warm_up()
    cv2.setNumThreads(1)
    frames = _frames()
    timings: dict[str, tuple[list[float], list[float]]] = {}

    def timed(name: str, fn):
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        cpu, wall = timings.setdefault(name, ([], []))
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        return out

    for _ in range(reps):
        timed("header checks", lambda: [check_header(f, FRAME_LIMITS) for f in frames])
        timed("decode (Pillow, hardened)", lambda: [image_work._decode(f, FRAME_LIMITS) for f in frames])
        images = timed("decode (decode_frame)", lambda: [image_work.decode_frame(f, FRAME_LIMITS) for f in frames])
        found = timed("FaceMesh (landmarks)", lambda: [landmarks(i) for i in images])
        timed("landmarks -> measures", lambda: [analyse_landmarks(f[0], (i.shape[1], i.shape[0]), len(f))
                                                for f, i in zip(found, images) if f])
        timed("re-encode JPEG 90", lambda: [encode_jpeg(i, 90) for i in images])
        timed("liveness_frames (whole batch)", lambda: image_work.liveness_frames(frames, FRAME_LIMITS, 90))
    print(f"stages of one 8-frame batch in this process (load average {_loadavg()}):")
    for name, (cpu, wall) in timings.items():
        _row(name, cpu, wall)


def pool(reps: int) -> None:
    """One batch through a pool child: the parent's CPU, the child's, and the wall time."""
    from identity_app.checks import image_work
    from identity_app.image_pool import ImagePool
    from identity_app.services.capture.flow import ANSWER_FRAMES, FRAME_LIMITS

    frames = _frames()
    p = ImagePool(1, 0)
    p.start()
    p.warm()
    child = p.child_pids()[0]
    try:
        calls = {"liveness_frames (8)": lambda: p.run(image_work.liveness_frames, frames, FRAME_LIMITS, 90)}
        calls["liveness_answer (before the answer)"] = lambda: p.run(image_work.liveness_answer, frames, FRAME_LIMITS,
                                                                     90, ANSWER_FRAMES)
        calls["liveness_rest (after it)"] = lambda: p.run(image_work.liveness_rest, frames[:-ANSWER_FRAMES],
                                                          FRAME_LIMITS)
        for name, call in calls.items():
            call()
            pcpu, ccpu, wall = [], [], []
            for _ in range(reps):
                c0, k0, w0 = time.process_time(), _cpu_of(child), time.perf_counter()
                call()
                wall.append(time.perf_counter() - w0)
                pcpu.append(time.process_time() - c0)
                ccpu.append(_cpu_of(child) - k0)
            print(f"pool, {name} (load average {_loadavg()}):")
            _row("  parent (pickle, pipe)", pcpu, wall)
            _row("  child (decode, FaceMesh, encode)", ccpu, wall)
    finally:
        p.close()


def http(batches: int) -> None:
    """One person streaming `batches` batches, one after the other, to an app on embedded defaults."""
    import tempfile

    import httpx

    from identity_app.bench import app_process, camera, world as bench_world

    frames = _frames()
    with tempfile.TemporaryDirectory(prefix="idv-batch-") as folder:
        app = app_process.start(Path(folder))
        try:
            os.environ.update({k: v for k, v in app.env.items() if k.startswith("IDV_")})
            from identity_app.services import doorway
            from identity_app.services.capture import flow

            world = bench_world.build(1, camera.document_jpeg())
            tokens = bench_world.new_links(world.application_id, 1)
            doorway.run(lambda w: flow.give_consent(w.db, token=tokens[0]))
            url = f"{app.url}/api/capture/{tokens[0]}"
            with httpx.Client(timeout=60) as client:
                start = client.post(url + "/liveness", content=b"").json()
                rid = start["resource_id"]
                idle = {"web": _tree([app.web.pid]), "worker": _tree([app.worker.pid])}
                c0 = {k: sum(_cpu_of(p) for p in ps) for k, ps in idle.items()}
                time.sleep(5.0)
                print("idle app, CPU per second: " + ", ".join(
                    f"{k} {(sum(_cpu_of(p) for p in ps) - c0[k]) / 5 * 1000:.0f} ms" for k, ps in idle.items()))
                t0 = time.monotonic()
                warm = b"".join((125 * k).to_bytes(4, "big") + len(j).to_bytes(4, "big") + j
                                for k, j in enumerate(frames))
                client.post(f"{url}/liveness/{rid}/frames", content=warm)  # starts the pool: not counted
                web = _tree([app.web.pid])
                parts = {"web process(es)": [], "pool children": [], "worker": []}
                groups = {"worker": _tree([app.worker.pid]),
                          "pool children": [p for p in web if _is_pool_child(p)]}
                groups["web process(es)"] = [p for p in web if p not in groups["pool children"]]
                walls, cpus = [], []
                for i in range(batches):
                    ms0 = int((time.monotonic() - t0) * 1000) + 1000
                    body = b"".join((ms0 + 125 * k).to_bytes(4, "big") + len(j).to_bytes(4, "big") + j
                                    for k, j in enumerate(frames))
                    c0 = {k: sum(_cpu_of(p) for p in ps) for k, ps in groups.items()}
                    w0 = time.perf_counter()
                    r = client.post(f"{url}/liveness/{rid}/frames", content=body)
                    walls.append(time.perf_counter() - w0)
                    time.sleep(0.3)  # the stored-after-the-answer work of this batch is counted with it
                    for k, ps in groups.items():
                        parts[k].append(sum(_cpu_of(p) for p in ps) - c0[k])
                    cpus.append(sum(parts[k][-1] for k in parts))
                    if r.status_code != 200 or not r.json().get("ok"):
                        print("  refused:", r.status_code, r.text[:200])
                        break
                    if r.json().get("done"):
                        break
            print(f"HTTP, one person, {len(walls)} batches one after the other (load average {_loadavg()}):")
            print(f"  answer wall   median {statistics.median(walls) * 1000:7.1f} ms   max {max(walls) * 1000:7.1f} ms")
            print(f"  app CPU/batch median {statistics.median(cpus) * 1000:7.1f} ms   (web, pool children, worker;"
                  f" clock ticks of 10 ms)")
            for k, v in parts.items():
                print(f"    {k:<20} median {statistics.median(v) * 1000:7.1f} ms   mean {statistics.mean(v) * 1000:7.1f} ms")
            services(tokens_for=lambda: bench_world.new_links(world.application_id, 1), batches=batches)
        finally:
            app.stop()


def services(tokens_for, batches: int) -> None:
    """The route's use cases in this process, one after the other, against the app's database and media:
    this thread's CPU for each (the pool child's work is not in it), so the web process's share is seen."""
    from identity_app.services import doorway
    from identity_app.services.capture import flow, liveness_feedback

    frames = _frames()
    token = tokens_for()[0]
    doorway.run(lambda w: flow.give_consent(w.db, token=token))
    rid = doorway.run(lambda w: flow.start_liveness_attempt(w.db, token=token)).resource_id
    steps: dict[str, tuple[list[float], list[float]]] = {}

    def timed(name: str, fn):
        c, w = time.thread_time(), time.perf_counter()
        out = fn()
        cpu, wall = steps.setdefault(name, ([], []))
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
        return out

    for i in range(min(batches, flow.MAX_FRAMES_PER_ATTEMPT // len(frames))):
        sent = [(1000 * i + 125 * k, f) for k, f in enumerate(frames)]
        batch, challenges = timed("analyse (checks, pool call)", lambda: doorway.run(lambda w: (
            flow.analyse_liveness_frames(w.db, token=token, resource_id=rid, frames=sent),
            flow.attempt_challenges(w.db, token=token, resource_id=rid))))
        timed("live feedback", lambda: liveness_feedback.add_frames(rid, list(challenges),
                                                                     [(f[0], f[4]) for f in batch.frames]))
        batch = timed("after the answer: rest analysed", lambda: flow.complete(batch))
        timed("after the answer: stored", lambda: doorway.run(
            lambda w: flow.store_liveness_frames(w.db, w.store, batch)))
    print(f"the route's use cases in this process, this thread's CPU (load average {_loadavg()}):")
    for name, (cpu, wall) in steps.items():
        _row(name, cpu, wall)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m identity_app.bench.batch", description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=15, help="batches per in-process and pool figure")
    p.add_argument("--http", type=int, default=0, metavar="N", help="also N batches over HTTP to a fresh app")
    args = p.parse_args(argv)
    stages(args.reps)
    pool(args.reps)
    if args.http:
        http(args.http)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
