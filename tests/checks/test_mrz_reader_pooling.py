"""Second opinions on an MRZ line: a reading one character out of step with the first is
weighed by itself, not only pooled position by position with it."""
from __future__ import annotations

import numpy as np

from identity_app.checks.mrz_parse import MRZ_CHARS, parse_mrz
from identity_app.checks.mrz_reader import candidate_readings

TRUTH = ("I<POLI350660Z09D614217<<<<<<<<", "8612261<3004135JPN<<<<<<<<<<<4", "DE<OLIVEIRA<SANTOS<<KIRA<<<<<<")


def one_hot(line: str) -> list[np.ndarray]:
    rows = []
    for ch in line:
        row = np.zeros(len(MRZ_CHARS), np.float32)
        row[MRZ_CHARS.index(ch)] = 1.0
        rows.append(row)
    return rows


def test_a_reading_out_of_step_with_the_first_is_weighed_by_itself():
    # The first reading dropped the P of the nationality and gained a filler at the line's end:
    # every check digit still holds (no digit covers a TD1 card's nationality), but JN< is no
    # country. Another rendering reads the line right.
    shifted = TRUTH[1][:16] + TRUTH[1][17:29] + "<" + TRUTH[1][29]
    first = parse_mrz((TRUTH[0], shifted, TRUTH[2]))
    assert first.valid and not first.plausible
    per_line = [[(line, one_hot(line))] for line in (TRUTH[0], shifted, TRUTH[2])]
    per_line[1].append((TRUTH[1], one_hot(TRUTH[1])))
    latest = [per_line[0][0], per_line[1][1], per_line[2][0]]
    readings = [parse_mrz([t for t, _ in c], probs=[r for _, r in c]) for c in candidate_readings(per_line, latest)]
    pooled, own = readings
    assert pooled.lines != TRUTH  # the two readings tie at every shifted position
    best = max(readings, key=lambda p: (p.valid_count, p.plausibility))
    assert best.lines == TRUTH and best.valid and best.plausible
