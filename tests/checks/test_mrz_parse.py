"""Parsing every MRZ format, position-aware OCR repairs, and honesty about
wrong check digits."""
from __future__ import annotations

from datetime import date

import pytest

from identity_app.checks.mrz_parse import detect_format, mrz_date, parse_mrz
from identity_app.checks.mrz_reader import clean_line, combine, fit_length
from tests.checks.specimens import MRV_A, MRV_B, TD1, TD2, TD3

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "lines, fmt, number, dob, expiry, n_digits",
    [
        (TD3, "TD3", "L898902C3", "1974-08-12", "2012-04-15", 5),
        (TD1, "TD1", "D23145890", "1974-08-12", "2012-04-15", 4),
        (TD2, "TD2", "D23145890", "1974-08-12", "2012-04-15", 4),
        (MRV_A, "MRV_A", "L8988901C", "1940-09-07", "1996-12-10", 3),
        (MRV_B, "MRV_B", "L8988901C", "1940-09-07", "1996-12-10", 3),
    ],
)
def test_every_format_parses_with_valid_check_digits(lines, fmt, number, dob, expiry, n_digits):
    parsed = parse_mrz(lines, today=TODAY)
    assert parsed is not None and parsed.format == fmt
    assert parsed.valid and len(parsed.check_digits) == n_digits
    assert parsed.repairs == ()
    f = dict(parsed.fields)
    assert (f["surname"], f["given_names"]) == ("ERIKSSON", "ANNA MARIA")
    assert f["document_number"] == number
    assert f["issuing_country"] == "UTO"
    assert (f["date_of_birth"], f["expiration_date"]) == (dob, expiry)
    assert f["sex"] == "F"


def test_td3_fields_in_full():
    f = dict(parse_mrz(TD3, today=TODAY).fields)
    assert f == {
        "document_type": "P", "issuing_country": "UTO", "surname": "ERIKSSON", "given_names": "ANNA MARIA",
        "document_number": "L898902C3", "nationality": "UTO", "date_of_birth": "1974-08-12", "sex": "F",
        "expiration_date": "2012-04-15", "personal_number": "ZE184226B",
    }


def test_unknown_shapes_are_not_parsed():
    assert detect_format(("P<UTO", "123")) is None
    assert parse_mrz(TD3[0][:43], ) is None
    assert parse_mrz((TD3[0], TD3[1][:40])) is None


def test_td1_long_document_number_continues_in_optional_data():
    # Doc 9303 Part 5: a number longer than 9 characters; `<` where its check digit would be.
    line1 = "I<UTOD23145890<7349<<<<<<<<<<<"
    line2 = "7408122F1204159UTO<<<<<<<<<<<" + "?"
    base = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    from identity_app.checks.icao import check_digit

    line2 = line2[:29] + check_digit(base)
    parsed = parse_mrz((line1, line2, TD1[2]))
    assert parsed.field("document_number") == "D23145890734"
    number = next(c for c in parsed.check_digits if c.field == "document_number")
    assert number.printed == "9" and number.valid


def test_digit_fields_repair_letter_confusions_and_record_them():
    # Birth date 740812 read as 74O8I2, expiry 120415 as I2O4I5.
    ocr = (TD3[0], "L898902C36UTO74O8I22FI2O4I59ZE184226B<<<<<10")
    parsed = parse_mrz(ocr)
    assert parsed.lines[1] == TD3[1]
    assert parsed.valid
    assert sorted((r.read, r.repaired) for r in parsed.repairs) == [("I", "1")] * 3 + [("O", "0")] * 2
    for r in parsed.repairs:
        assert r.line == 2 and "digits-only" in r.reason
        assert ocr[1][r.position - 1] == r.read


def test_letter_fields_repair_digit_confusions():
    ocr = ("P<UT0ERIKSS0N<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<", TD3[1].replace("UTO", "UT0"))
    parsed = parse_mrz(ocr)
    assert parsed.lines == TD3
    assert parsed.field("issuing_country") == parsed.field("nationality") == "UTO"
    assert all(r.repaired in "OI" for r in parsed.repairs)


def test_filler_read_as_k_is_repaired_only_inside_a_filler_run():
    ocr = (TD3[0][:30] + "K" + TD3[0][31:43] + "K", TD3[1].replace("B<<<<<1", "B<<K<<1"))
    parsed = parse_mrz(ocr)
    assert parsed.lines == TD3
    assert any("filler run" in r.reason for r in parsed.repairs)
    # A name that really ends in K keeps it.
    erik = parse_mrz(("P<UTOSMITH<<ERIK".ljust(44, "<"), TD3[1]))
    assert erik.field("given_names") == "ERIK"


def test_country_code_digits_become_the_known_code():
    td1 = ("IDD<<T220001293<<<<<<<<<<<<<<<", "6408125<2010315D<<<<<<<<<<<<<4", "MUSTERMANN<<ERIKA<<<<<<<<<<<<<")
    ocr = ("100<<T220001293<<<<<<<<<<<<<<<", "6408125<20103150<<<<<<<<<<<<<4", td1[2])
    parsed = parse_mrz(ocr)
    assert parsed.lines == td1
    assert parsed.valid and parsed.field("sex") == "X"


def test_numeric_nationality_without_letters_is_kept_as_printed():
    rou = ("IDROUSAVA<<SUPERMAN<<<<<<<<<<<<<<<<<", "HD198025<51328505095M130509012049941")
    parsed = parse_mrz(rou)
    assert parsed.valid and parsed.lines == rou and parsed.field("nationality") == "132"


def test_a_wrong_printed_check_digit_stays_wrong():
    bad = (TD3[0], TD3[1][:9] + "5" + TD3[1][10:])  # document number check digit 6 printed as 5
    parsed = parse_mrz(bad)
    assert not parsed.valid
    number = next(c for c in parsed.check_digits if c.field == "document_number")
    assert (number.printed, number.expected, number.valid) == ("5", "6", False)
    assert parsed.lines == bad and parsed.repairs == ()
    # The composite digit covers the document number digit too, and is not "fixed" either.
    assert next(c for c in parsed.check_digits if c.field == "composite").valid is False


def test_a_check_digit_read_as_a_letter_is_repaired_to_its_digit_not_to_the_expected_one():
    bad = (TD3[0], TD3[1][:19] + "S" + TD3[1][20:])  # birth date digit 2 read as S
    parsed = parse_mrz(bad)
    dob = next(c for c in parsed.check_digits if c.field == "date_of_birth")
    assert dob.printed == "5" and not dob.valid


def test_invalid_as_printed_documents_from_the_wild_stay_invalid():
    usa = ("C1USA0223456791EAC9730051220<<", "4910040M9411014CAN<<<<<<<<<<<0", "CRITTENDEN<<LEE<W<<<<<<<<<<<<<")
    parsed = parse_mrz(usa)
    assert parsed.field("document_type") == "C1"
    assert sorted(c.field for c in parsed.check_digits if not c.valid) == ["composite", "document_number"]


def test_mrz_dates_pick_the_century():
    assert mrz_date("740812", "birth", TODAY) == "1974-08-12"
    assert mrz_date("200101", "birth", TODAY) == "2020-01-01"
    assert mrz_date("300101", "birth", TODAY) == "1930-01-01"
    assert mrz_date("300101", "expiry", TODAY) == "2030-01-01"
    assert mrz_date("980104", "expiry", TODAY) == "1998-01-04"
    assert mrz_date("741332", "birth", TODAY) == "741332"


def test_line_clean_up_and_length_fitting():
    assert clean_line("p<uto eriksson«anna") == "P<UTOERIKSSON<ANNA"
    short, repairs = fit_length(TD3[0][:-3], 44, 1)
    assert short == TD3[0] and len(repairs) == 3
    long, repairs = fit_length(TD3[0] + "<<", 44, 1)
    assert long == TD3[0] and all(r.read == "<" for r in repairs)


def test_pooled_readings_keep_a_lone_dissent_as_a_minority_share_only():
    # Three engines certain of "123", one of "124": the pooled reading is "123", and the
    # dissent keeps a quarter of the probability at its position (an alternative for the
    # check digits to weigh), never the majority.
    from identity_app.checks.mrz_parse import MRZ_CHARS

    text, rows = combine([("123", None), ("124", None), ("123", None), ("123", None)])
    assert text == "123"
    assert rows[2][MRZ_CHARS.index("4")] == pytest.approx(0.25)
    assert rows[0][MRZ_CHARS.index("1")] == pytest.approx(1.0)


def test_an_initial_after_a_single_filler_is_kept():
    parsed = parse_mrz(("P<UTOSMITH<<JOHN<K".ljust(44, "<"), TD3[1]))
    assert parsed.field("given_names") == "JOHN K"


def test_a_reading_is_stored_as_json_and_read_back_by_its_own_type():
    import json

    from identity_app.checks.document_data import DocumentText

    parsed = parse_mrz(TD3, today=TODAY)
    doc = DocumentText(mrz_found=True, mrz_format=parsed.format, mrz_lines=tuple(TD3), fields=parsed.fields,
                       check_digits=parsed.check_digits, repairs=parsed.repairs,
                       printed_fields=(("surname", "ERIKSSON"),), raw_text="PASSPORT", rotation=90, engine="tesseract")
    stored = json.loads(json.dumps({**doc.to_dict(), "image_side": "DOCUMENT_FRONT"}))  # a task's result
    assert DocumentText.from_dict(stored) == doc
    assert DocumentText.from_dict({}) == DocumentText(mrz_found=False)
