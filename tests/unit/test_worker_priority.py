"""Check workers yield the CPU to live capture (settings.worker_nice): their nice is raised,
never lowered, and the session's autogroup follows only when the consumer leads the session
(worker.main marks it), never a terminal's or this test run's, however the run was started."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from identity_app.worker import autogroup_nice

pytestmark = pytest.mark.fast

# A process of its own: a nice value, once raised, cannot be lowered again without privileges.
PROBE = """
import os, sys
from identity_app.worker import autogroup_nice, mark_own_session, yield_cpu_to_capture
if sys.argv[3] == "main":
    mark_own_session()
first = yield_cpu_to_capture(int(sys.argv[1]))
again = yield_cpu_to_capture(int(sys.argv[2]))
group = autogroup_nice()
print(first, again, os.nice(0), "-" if group is None else group)
"""


def _probe(first: int, second: int, *, own_session: bool, as_main: bool = True) -> list[str]:
    env = os.environ.copy()
    env.pop("IDV_WORKER_OWN_SESSION", None)
    out = subprocess.run([sys.executable, "-c", PROBE, str(first), str(second), "main" if as_main else "-"],
                         capture_output=True, text=True, check=True, timeout=120, env=env,
                         start_new_session=own_session)
    return out.stdout.split()


def _autogroup_nice() -> str:
    # Some sandboxes (CI's among them) have /proc/self/autogroup present but empty.
    group = autogroup_nice()
    return "-" if group is None else str(group)


def test_a_worker_in_its_own_session_lowers_its_priority_and_its_sessions():
    base = os.nice(0)
    first, again, now, group = _probe(5, 2, own_session=True)
    expected = str(max(5, base))
    assert (first, again, now) == (expected, expected, expected)  # a later, smaller value does not raise it back
    if group != "-":
        assert int(group) >= 5


@pytest.mark.parametrize("as_main", [True, False])
def test_a_worker_started_inside_another_session_leaves_that_session_alone(as_main):
    before = _autogroup_nice()
    first, _, now, group = _probe(7, 7, own_session=False, as_main=as_main)
    expected = str(max(7, os.nice(0)))
    assert (first, now) == (expected, expected)
    assert group == before == _autogroup_nice()  # our session (this test's) keeps its priority


def test_the_autogroup_is_read_as_none_where_a_process_has_none(tmp_path):
    shown = tmp_path / "autogroup"
    shown.write_text("/autogroup-85 nice 3\n")
    assert autogroup_nice(str(shown)) == 3
    shown.write_text("")  # a process in the init session's group (CI's pytest): the kernel prints nothing
    assert autogroup_nice(str(shown)) is None
    assert autogroup_nice(str(tmp_path / "missing")) is None
