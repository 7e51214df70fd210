"""The check digits choosing among confusable characters, filler runs, the
French identity card as its own format, and lines that are not an ICAO MRZ."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from identity_app.checks.document_data import DocumentText, Repair
from identity_app.checks.icao import check_digit
from identity_app.checks.mrz_parse import FRA_ID, MRZ_CHARS, NON_ICAO, detect_format, parse_mrz
from identity_app.checks.report import Recommendation
from identity_app.checks.text_extraction import decide_by_printed, text_data_report
from tests.checks.specimens import TD2, TD3

# A French identity card (pre-2021 layout) as printed on a specimen.
FRA = ("IDFRADOUEL<<<<<<<<<<<<<<<<<<<<932013", "0506932020438CHRISTIANE<<NI2906209F3")


def rows(line: str, **shares: dict[str, float]) -> list[np.ndarray]:
    """One-hot probability rows for `line`; shares={"p12": {"C": .4, "G": .6}} at position 12."""
    out = []
    for pos, ch in enumerate(line):
        row = np.zeros(len(MRZ_CHARS), np.float32)
        spread = shares.get(f"p{pos}")
        if spread:
            for c, p in spread.items():
                row[MRZ_CHARS.index(c)] = p
        else:
            row[MRZ_CHARS.index(ch)] = 1.0
        out.append(row)
    return out


def td1(number: str, country: str = "SEN") -> tuple[str, str, str]:
    l1 = f"I<{country}{number}"
    l1 = (l1 + check_digit(l1[5:14])).ljust(30, "<")
    l2 = f"7408122F1204159{country}".ljust(29, "<")
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    return l1, l2, "DIALLO<<AMADOU".ljust(30, "<")


def test_the_check_digits_choose_the_character_the_recogniser_hesitated_about():
    # The passport number's C read as G (0.6 against 0.4): the check digits say C.
    read = TD3[1][:7] + "G" + TD3[1][8:]
    parsed = parse_mrz((TD3[0], read), probs=[rows(TD3[0]), rows(read, p7={"G": 0.6, "C": 0.4})])
    assert parsed.lines == TD3 and parsed.valid and not parsed.ambiguous
    (repair,) = parsed.repairs
    assert (repair.line, repair.position, repair.read, repair.repaired) == (2, 8, "G", "C")
    assert "0.40" in repair.reason and "0.60" in repair.reason


def test_a_check_digit_printed_wrong_and_read_cleanly_stays_wrong():
    bad = TD3[1][:9] + "5" + TD3[1][10:]
    parsed = parse_mrz((TD3[0], bad), probs=[rows(TD3[0]), rows(bad)])
    assert not parsed.valid and parsed.lines == (TD3[0], bad) and parsed.repairs == ()


def test_an_alternative_the_check_digits_cannot_rule_out_is_reported():
    # K counts 20, the same as `<` modulo 10: a personal-number filler the recogniser
    # nearly read as K satisfies every check digit either way.
    parsed = parse_mrz(TD3, probs=[rows(TD3[0]), rows(TD3[1], p38={"<": 0.55, "K": 0.45})])
    assert parsed.valid and parsed.lines == TD3
    assert parsed.ambiguous and parsed.alternatives[0][1][38] == "K"


def test_a_confusion_the_recogniser_was_certain_of_stays_invalid_and_a_hesitation_is_repaired():
    # AZ5670001 read A25670001. Certain of the 2: Z/2 at the number's second place and 0/D at
    # its eighth would both satisfy the check digits, so no guess is made.
    truth = td1("AZ5670001")
    read = (truth[0].replace("AZ567", "A2567"), truth[1], truth[2])
    certain = parse_mrz(read, probs=[rows(line) for line in read])
    assert not certain.valid and certain.lines == read
    # Where the recogniser gave Z a share, the check digits choose it.
    hesitant = parse_mrz(read, probs=[rows(read[0], p6={"2": 0.7, "Z": 0.3}), rows(read[1]), rows(read[2])])
    assert hesitant.lines == truth and hesitant.valid
    assert [(r.read, r.repaired) for r in hesitant.repairs] == [("2", "Z")]


def test_a_stray_reading_of_an_unrelated_digit_does_not_rewrite_a_date():
    # Birth date 740812 with its check digit printed wrong (3 for 2); one engine in six read
    # 740812 as 772812 (shares 0.17), which would satisfy both the birth date digit and the
    # composite one: 4/7 and 0/2 are no OCR-B pairs and the share is small: no repair.
    bad = TD3[1][:19] + "3" + TD3[1][20:]
    probs = rows(bad, p14={"4": 5 / 6, "7": 1 / 6}, p15={"0": 5 / 6, "2": 1 / 6})
    parsed = parse_mrz((TD3[0], bad), probs=[rows(TD3[0]), probs])
    assert not parsed.valid and parsed.lines[1] == bad and parsed.repairs == ()


def test_a_filler_run_read_as_k_is_fillers_whatever_the_mix():
    truth = td1("AB1234567")
    read = (truth[0], truth[1][:18] + "K<<<<KKKKKK" + truth[1][29], truth[2])
    parsed = parse_mrz(read)
    assert parsed.lines == truth and parsed.valid
    assert all("filler run" in r.reason for r in parsed.repairs) and len(parsed.repairs) == 7


def test_letters_that_are_data_are_not_fillers():
    for name in ("SMITH<<KEL", "ALEX<<JOHN<K", "DOE<<ERIK"):
        line = ("P<UTO" + name).ljust(44, "<")
        assert parse_mrz((line, TD3[1])).lines[0] == line, name


def test_the_french_identity_card_is_its_own_format_with_its_check_digits():
    assert detect_format(FRA) == FRA_ID
    parsed = parse_mrz(FRA)
    assert parsed.format == FRA_ID and parsed.valid and parsed.plausible and parsed.repairs == ()
    assert [c.field for c in parsed.check_digits] == ["document_number", "date_of_birth", "composite"]
    f = dict(parsed.fields)
    assert (f["surname"], f["given_names"], f["document_number"]) == ("DOUEL", "CHRISTIANE NI", "050693202043")
    assert (f["date_of_birth"], f["sex"], f["personal_number"]) == ("1929-06-20", "F", "932013")
    # Its last digit checks both lines: a wrong one is reported, not repaired.
    wrong = parse_mrz((FRA[0], FRA[1][:35] + "4"))
    assert [c.field for c in wrong.check_digits if not c.valid] == ["composite"]
    assert wrong.lines[1][-1] == "4"


def test_a_td2_card_of_another_country_is_still_td2():
    assert detect_format(TD2) == "TD2"
    fra_td2 = ("I<FRA" + TD2[0][5:], TD2[1])
    assert detect_format(fra_td2) == "TD2"


def test_lines_of_an_mrz_shape_that_fit_no_layout_are_not_an_icao_mrz():
    lines = ("IDBGR1234567890123456789012345678901", "123456789012345678901234567890123456")
    parsed = parse_mrz(lines)
    assert parsed.format == NON_ICAO and parsed.lines == lines
    assert (parsed.fields, parsed.check_digits, parsed.repairs) == ((), (), ())
    assert not parsed.valid and not parsed.plausible
    report = text_data_report(DocumentText(mrz_found=True, mrz_format=NON_ICAO, mrz_lines=lines))
    assert report.recommendation == Recommendation.NOT_AVAILABLE
    assert report.reason == "DOCUMENT_NOT_SUPPORTED" and "not an ICAO MRZ" in report.recovery_suggestion


def td3(number: str, personal: str = "ZE184226B") -> tuple[str, str]:
    body = f"{number}{check_digit(number)}UTO7408122F1204159{personal.ljust(14, '<')}"
    body += check_digit(body[28:42])
    return TD3[0], body + check_digit(body[0:10] + body[13:20] + body[21:43])


def test_the_printed_fields_choose_among_valid_readings_or_the_reading_is_not_trusted():
    # A short passport number AB12345 (two fillers) whose first filler the recogniser read as
    # K (0.55, `<` 0.45): K touches data so it is no filler run, and K holds every check
    # digit as well as `<` does.
    truth = td3("AB12345<<")
    read = (truth[0], truth[1].replace("AB12345<<", "AB12345K<"))
    parsed = parse_mrz(read, probs=[rows(read[0]), rows(read[1], p7={"<": 0.45, "K": 0.55})])
    assert parsed.valid and parsed.lines == read and parsed.alternatives == (truth,)
    # Printed fields that do not show the number cannot choose: the reading is not trusted.
    chosen, repairs, decided = decide_by_printed(parsed, {"surname": "ERIKSSON"})
    assert not decided and chosen is parsed and repairs == ()
    doc = DocumentText(mrz_found=True, mrz_format="TD3", mrz_lines=parsed.lines, fields=parsed.fields,
                       check_digits=parsed.check_digits, mrz_alternatives=parsed.alternatives)
    report = text_data_report(doc)
    assert report.recommendation == Recommendation.NOT_AVAILABLE and report.reason == "INCORRECT_MRZ"
    assert any(s.sub_check == "mrz_unambiguous" and not s.passed for s in report.breakdown)
    # The printed number chooses, and the change is recorded.
    chosen, repairs, decided = decide_by_printed(parsed, {"surname": "ERIKSSON", "document_number": "AB12345"})
    assert decided and chosen.lines == truth and chosen.valid
    assert [(r.line, r.position, r.read, r.repaired) for r in repairs] == [(2, 8, "K", "<")]



def test_a_zero_after_fillers_is_data():
    # The Polish visa of mrz-passporteye prints its optional data as <<<<<<<0.
    visa = ("VCPOLKOWALSKA<KWIATKOWSKA<<BEATA<<<<", "PL00000008POL6002084F0505011<<<<<<<0")
    assert parse_mrz(visa).lines == visa
    for number in ("AB1234560", "000000000", "AB12300<<"):
        assert parse_mrz(td3(number)).lines == td3(number), number


def test_a_lone_zero_at_the_end_of_an_empty_passport_personal_number_is_its_last_filler():
    truth = td3("XS6342618", personal="")
    read = (truth[0], truth[1][:41] + "0" + truth[1][42:])   # <<<<<<<<<<<<<0 then its check digit 0
    parsed = parse_mrz(read)
    assert parsed.lines == truth and parsed.valid
    assert [(r.position, r.read, r.repaired) for r in parsed.repairs] == [(42, "0", "<")]
    # Data that starts the field is data, however it ends.
    assert parse_mrz(td3("XS6342618", personal="AB<<<<<<<<<<<0")).lines == td3("XS6342618", personal="AB<<<<<<<<<<<0")


def test_at_most_two_changes_outside_the_ocr_b_pairs_make_a_reading_valid():
    # A French card number with digits the recogniser nearly read otherwise (5/7, 6/4, 2/7 are
    # no OCR-B pairs). Two such hesitations are repaired by the check digits; three are what a
    # line read one character out of step looks like, and the reading stays invalid.
    def read_as(changes: dict[int, str]) -> tuple[str, list]:
        line = "".join(changes.get(i, c) for i, c in enumerate(FRA[1]))
        spread = {f"p{i}": {c: 0.55, FRA[1][i]: 0.45} for i, c in changes.items()}
        return line, rows(line, **spread)

    two, two_rows = read_as({1: "7", 3: "4"})
    repaired = parse_mrz((FRA[0], two), probs=[rows(FRA[0]), two_rows])
    assert repaired.valid and repaired.lines == FRA
    three, three_rows = read_as({1: "7", 3: "4", 8: "7"})
    kept = parse_mrz((FRA[0], three), probs=[rows(FRA[0]), three_rows])
    assert not kept.valid and kept.lines[1] == three and kept.repairs == ()


def _doc(parsed) -> DocumentText:
    return DocumentText(mrz_found=True, mrz_format=parsed.format, mrz_lines=parsed.lines, fields=parsed.fields,
                        check_digits=parsed.check_digits, mrz_alternatives=parsed.alternatives)


def test_a_printed_number_that_differs_by_letters_and_digits_that_count_the_same_is_reported():
    # The specimen's L898902C3 read 1898902C3: L counts 21, 1 modulo 10, so every check digit
    # holds. The printed number does not overrule the MRZ (its reader can be the wrong one):
    # the disagreement is reported for the reviewer.
    read = (TD3[0], "1" + TD3[1][1:])
    parsed = parse_mrz(read, repair=False)
    assert parsed.valid and parsed.lines != TD3
    doc = replace(_doc(parsed), printed_fields=(("document_number", "L898902C3"),))
    report = text_data_report(doc)
    assert any(s.sub_check == "printed_vs_mrz_document_number" and not s.passed for s in report.breakdown)
    assert report.data_dict()["document_number"] == "1898902C3"


def test_a_valid_reading_with_an_unknown_country_on_a_line_read_short_is_not_approved():
    # JPN read with its P dropped and a filler added at the line's end: no check digit covers
    # a TD1 card's nationality, so they all hold, but JN< is no country.
    shifted = (td1("AB1234567")[0], "7408122F1204159JN<<<<<<<<<<<<" + td1("AB1234567")[1][29], td1("AB1234567")[2])
    parsed = parse_mrz(shifted, repair=False)
    assert parsed.valid and not parsed.plausible
    refitted = (Repair(2, 29, "", "<", "line too short: one filler added to a run"),)
    report = text_data_report(replace(_doc(parsed), repairs=refitted))
    assert report.recommendation == Recommendation.NOT_AVAILABLE and report.reason == "INCORRECT_MRZ"
    assert any(s.sub_check == "mrz_fields_plausible" and not s.passed for s in report.breakdown)
    # Read at its length, an unknown code is the document's own (an old SI<, a numeric nationality).
    assert text_data_report(_doc(parsed)).recommendation == Recommendation.APPROVE
    assert text_data_report(_doc(parse_mrz(td1("AB1234567"), repair=False))).recommendation == Recommendation.APPROVE
