"""Closing a Chromium that will not close.

Playwright's close waits for Chromium to answer and exit, and now and then Chromium never does:
CI once spent 898 s (pytest's whole timeout) in a browser test's teardown and failed the run on
it; the same intermittent hang is reported against Playwright and Puppeteer, and the workaround
there is to kill the browser. So every close (a context's, a browser's, the driver's stop) is
given CLOSE_LIMIT_S; past it, the processes of that browser (or the driver) are killed, which
ends the wait, and the run goes on. Only the stuck browser is killed: the module's shared browser
and the other tests' browsers live on.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

# A close takes under a second (0.7 s for the workbench module, loaded machine); the hang this
# guards against came back once in 44 min of a loaded run, and cost the whole limit.
CLOSE_LIMIT_S = 30.0
_PIDS = "_idv_chromium_pids"  # set on the browser's implementation object at launch
_installed = False


def _parents() -> dict[int, int]:
    out: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            out[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces
    return out


def descendants(pid: int) -> list[int]:
    parents = _parents()
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def chromium_mains() -> set[int]:
    """Chromium browser processes under this one (Playwright talks to them over a pipe; their own
    children, renderers, GPU and zygotes, carry --type=)."""
    out = set()
    for pid in descendants(os.getpid()):
        argv = _cmdline(pid)
        if "--remote-debugging-pipe" in argv and not any(a.startswith("--type=") for a in argv):
            out.add(pid)
    return out


def playwright_drivers() -> set[int]:
    return {pid for pid in descendants(os.getpid()) if "run-driver" in _cmdline(pid)}


def kill_trees(pids: Iterable[int]) -> None:
    for pid in pids:
        for p in [pid, *descendants(pid)]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


@contextmanager
def within(seconds: float, pids: Callable[[], Iterable[int]], what: str) -> Iterator[None]:
    """Run the body (a close); if it is still running after `seconds`, kill `pids()` and say so."""
    killed: list[int] = []

    def expire() -> None:
        victims = list(pids())
        killed.extend(victims)
        kill_trees(victims)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception:
        if not killed:
            raise  # a real error, not the end of a browser we killed
    finally:
        timer.cancel()
        if killed:
            print(f"{what} did not close within {seconds:.0f} s: killed processes {sorted(killed)}")


def _browser_pids(impl) -> set[int]:
    return set(getattr(impl, _PIDS, set()))


def install() -> None:
    """Give every Playwright close in this process CLOSE_LIMIT_S (idempotent)."""
    global _installed
    if _installed:
        return
    from playwright.sync_api import Browser, BrowserContext, BrowserType, Playwright  # noqa: F401
    from playwright.sync_api._context_manager import PlaywrightContextManager

    launch, close_browser, close_context = BrowserType.launch, Browser.close, BrowserContext.close
    stop = PlaywrightContextManager.__exit__

    def launch_noting_pids(self, *args, **kwargs):
        before = chromium_mains()
        browser = launch(self, *args, **kwargs)
        setattr(browser._impl_obj, _PIDS, chromium_mains() - before)  # launches are sequential here
        return browser

    def close_browser_within(self, *args, **kwargs):
        with within(CLOSE_LIMIT_S, lambda: _browser_pids(self._impl_obj), "Chromium"):
            return close_browser(self, *args, **kwargs)

    def close_context_within(self, *args, **kwargs):
        browser = self.browser
        pids = (lambda: _browser_pids(browser._impl_obj)) if browser is not None else set
        with within(CLOSE_LIMIT_S, pids, "A browser context"):
            return close_context(self, *args, **kwargs)

    def stop_within(self, *args, **kwargs):
        with within(CLOSE_LIMIT_S, lambda: chromium_mains() | playwright_drivers(), "Playwright's driver"):
            return stop(self, *args, **kwargs)

    BrowserType.launch = launch_noting_pids
    Browser.close = close_browser_within
    BrowserContext.close = close_context_within
    PlaywrightContextManager.__exit__ = stop_within
    _installed = True
