"""ICAO 9303 check digits, on the specimens printed in Doc 9303 itself, and
cross-checked with the (GPL, tests-only) `mrz` package."""
from __future__ import annotations

import pytest

from identity_app.checks.icao import char_value, check_digit, is_valid
from tests.checks.specimens import MRV_A, MRV_B, TD1, TD2, TD3


def test_character_values_follow_doc_9303():
    assert [char_value(c) for c in "09AZ<"] == [0, 9, 10, 35, 0]
    with pytest.raises(ValueError):
        char_value("Ñ")


@pytest.mark.parametrize(
    "data, digit",
    [
        ("L898902C3", "6"),      # TD3 document number
        ("740812", "2"),         # date of birth
        ("120415", "9"),         # date of expiry
        ("ZE184226B<<<<<", "1"), # personal number
        ("L898902C36" + "7408122" + "120415" + "9ZE184226B<<<<<1", "0"),  # composite
        ("D23145890", "7"),      # TD1 / TD2 document number
        ("L8988901C", "4"),      # visa document number
    ],
)
def test_specimen_check_digits(data, digit):
    assert check_digit(data) == digit
    assert is_valid(data, digit)


def test_a_wrong_digit_is_invalid_and_an_odd_character_never_raises():
    assert not is_valid("L898902C3", "5")
    assert not is_valid("AÑ1", "0")


def test_filler_check_digit_only_for_an_empty_field():
    assert is_valid("<<<<<<<<<<<<<<", "<")
    assert is_valid("<<<<<<<<<<<<<<", "0")
    assert not is_valid("ZE184226B<<<<<", "<")


@pytest.mark.parametrize("data", ["L898902C3", "740812", "AB12<<<", "ZZZZZZZZZ", "123456789012345", "<"])
def test_agrees_with_the_mrz_package(data):
    functions = pytest.importorskip("mrz.base.functions")
    assert check_digit(data) == functions.hash_string(data)


def test_specimens_validate_in_the_mrz_package_too():
    pytest.importorskip("mrz")
    from mrz.checker.mrva import MRVACodeChecker
    from mrz.checker.mrvb import MRVBCodeChecker
    from mrz.checker.td1 import TD1CodeChecker
    from mrz.checker.td2 import TD2CodeChecker
    from mrz.checker.td3 import TD3CodeChecker

    for checker, lines in ((TD1CodeChecker, TD1), (TD2CodeChecker, TD2), (TD3CodeChecker, TD3),
                           (MRVACodeChecker, MRV_A), (MRVBCodeChecker, MRV_B)):
        assert bool(checker("\n".join(lines), check_expiry=False)), checker.__name__
