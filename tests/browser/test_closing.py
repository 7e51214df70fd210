"""A Chromium that never answers its close is killed after the limit, and only that one
(tests/browser/closing.py): the run goes on instead of spending pytest's whole timeout."""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.browser import closing
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_frozen_browser_is_killed_at_the_limit_and_the_others_live_on(browser, playwright_driver, monkeypatch):
    monkeypatch.setattr(closing, "CLOSE_LIMIT_S", 3.0)
    frozen = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    frozen.new_page().goto("about:blank")
    pids = closing._browser_pids(frozen._impl_obj)
    assert pids and not pids & closing._browser_pids(browser._impl_obj)  # its own processes were noted
    tree = [p for pid in pids for p in (pid, *closing.descendants(pid))]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)  # it will never answer the close

    t0 = time.monotonic()
    frozen.close()
    waited = time.monotonic() - t0
    assert waited < 60, f"the close waited {waited:.0f} s"  # without the limit: forever
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in tree if _alive(p)]

    # The module's browser was not touched: it opens pages and closes them as before.
    page = browser.new_page()
    page.set_content("<p id=x>still here</p>")
    assert page.inner_text("#x") == "still here"
    page.context.close()
