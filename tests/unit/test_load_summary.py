"""bench load --find-capacity's summary: one line per step with the targets' figures and the
throughput beside them (flows started/finished, people streaming at once)."""
from __future__ import annotations

from identity_app.bench.load import FEEDBACK_STEP, LoadReport, StepFigures, capacity, print_summary


def _report(users: int, finished: int, streaming: int, feedback_p95: float = 480.0) -> LoadReport:
    steps = {FEEDBACK_STEP: StepFigures(40, 210.0, feedback_p95, 700.0), "document upload": StepFigures(5, 300.0, 900.0, 950.0)}
    return LoadReport(users, 10, 60, users + 1, finished, steps, {}, 0.1, (3.5, 4.0), waits=users - 2,
                      streaming_max=streaming)


def test_one_line_per_step_with_throughput_beside_the_latency(capsys):
    print_summary([_report(10, 7, 4), _report(25, 3, 2)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert "flows started/finished" in lines[0] and "streaming max" in lines[0]
    ten, twenty_five = lines[1].split(), lines[2].split()
    assert ten[0] == "10" and "210" in ten and "480" in ten and "900" in ten and "11" in ten and "7" in ten
    assert twenty_five[0] == "25" and "26" in twenty_five and "3" in twenty_five
    assert _report(10, 7, 4).as_dict()["streaming_max"] == 4


def test_capacity_is_the_largest_step_with_every_smaller_step_within_target():
    # 10 people late, 25 on time (noise): no capacity is promised, not 25.
    assert capacity([_report(10, 5, 2, 647.0), _report(25, 2, 2, 487.0), _report(50, 2, 2, 1079.0)]) is None
    assert capacity([_report(10, 5, 2), _report(25, 2, 2), _report(50, 2, 2, 1079.0)]) == 25
    assert capacity([_report(50, 2, 2), _report(10, 5, 2)]) == 50
