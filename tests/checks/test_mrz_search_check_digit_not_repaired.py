"""A check digit printed wrong stays wrong: the search does not change a check digit the
recogniser read as its first choice for one it found less likely (an altered document prints a
wrong check digit; a re-read doubting it must not make it hold)."""
from __future__ import annotations

import numpy as np

from identity_app.checks.mrz_parse import MRZ_CHARS, parse_mrz
from tests.checks.specimens import TD3


def rows(line: str, at: int | None = None, shares: dict[str, float] | None = None) -> list[np.ndarray]:
    """One-hot probability rows for `line`, with `shares` at position `at`."""
    out = []
    for pos, ch in enumerate(line):
        row = np.zeros(len(MRZ_CHARS), np.float32)
        for c, p in (shares if pos == at and shares else {ch: 1.0}).items():
            row[MRZ_CHARS.index(c)] = p
        out.append(row)
    return out


# The specimen's date of birth check digit is 2 (L898902C36UTO7408122F...): printed 3 instead.
DOB_CHECK = 19
WRONG = TD3[1][:DOB_CHECK] + "3" + TD3[1][DOB_CHECK + 1:]


def test_a_doubted_check_digit_printed_wrong_is_not_repaired():
    # Read 3 (0.52) with 2 nearly as likely (0.48): 2 would make the digits hold, but the
    # recogniser's first choice at a check digit stands, so the document is reported invalid.
    parsed = parse_mrz((TD3[0], WRONG), probs=[rows(TD3[0]), rows(WRONG, DOB_CHECK, {"3": 0.52, "2": 0.48})])
    assert parsed.lines == (TD3[0], WRONG)
    assert not parsed.valid and parsed.repairs == ()


def test_a_check_digit_the_recogniser_favoured_otherwise_is_still_taken():
    # The line's character is not the recogniser's first choice there (pooled readings): the
    # digit it favoured, which makes the check digits hold, is taken.
    parsed = parse_mrz((TD3[0], WRONG), probs=[rows(TD3[0]), rows(WRONG, DOB_CHECK, {"3": 0.4, "2": 0.6})])
    assert parsed.lines == TD3 and parsed.valid
    (repair,) = parsed.repairs
    assert (repair.position, repair.read, repair.repaired) == (DOB_CHECK + 1, "3", "2")


def test_data_the_recogniser_doubted_is_still_repaired_by_the_check_digit():
    # A date digit (not a check digit) read 9 for 8 with 8 nearly as likely: the check digits choose 8.
    read = TD3[1][:16] + "9" + TD3[1][17:]  # 7408122 -> 7409122
    assert TD3[1][16] == "8"
    parsed = parse_mrz((TD3[0], read), probs=[rows(TD3[0]), rows(read, 16, {"9": 0.52, "8": 0.48})])
    assert parsed.lines == TD3 and parsed.valid
