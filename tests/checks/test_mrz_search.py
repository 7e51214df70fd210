"""The check digits choosing among confusable characters, filler runs, the
French identity card as its own format, and lines that are not an ICAO MRZ."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from identity_app.checks.document_data import DocumentText, Repair
from identity_app.checks.icao import check_digit
from identity_app.checks.mrz_parse import FRA_ID, MRZ_CHARS, NON_ICAO, detect_format, parse_mrz
from identity_app.checks.report import Recommendation
from identity_app.checks.text_extraction import decide_by_printed, extract_document_text, text_data_report
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



def test_a_personal_number_the_page_prints_chooses_among_valid_readings():
    # A passport's personal number has no field of its own in the visual-zone reader, but the page
    # prints it ("ZE 184226 B"); G and 6 give the same check digit, so only the page can choose.
    from identity_app.checks.text_extraction import page_text

    truth, alt = td3("L898902C3"), td3("L898902C3", personal="ZE18422GB")
    assert truth == TD3 and alt[1][-2:] == truth[1][-2:]  # the same check digits either way
    parsed = replace(parse_mrz(truth, repair=False), alternatives=(alt,))
    _, _, decided = decide_by_printed(parsed, {"surname": "ERIKSSON"})
    assert not decided
    page = page_text(["Personal No./ N\u00b0 personnel", "ZE 184226 B", "ERIKSSON"])
    chosen, repairs, decided = decide_by_printed(parsed, {"surname": "ERIKSSON"}, page)
    assert decided and chosen is parsed and repairs == ()
    chosen, repairs, decided = decide_by_printed(parsed, {}, page_text(["ZE 18422G B"]))
    assert decided and chosen.lines == alt and [(r.line, r.position) for r in repairs] == [(2, 36)]
    # The MRZ's own lines, read among the page's text, never choose for themselves.
    assert page_text(list(truth)) == ""
    _, _, decided = decide_by_printed(parsed, {}, page_text(["L898902C36UTO7408122F1204159ZE184226B"]))
    assert not decided


def test_the_specimen_held_up_to_a_camera_is_read_and_trusted():
    # The browser tests' fake camera shows the ICAO specimen; on one of its frames the 6 of the
    # personal number measured between a 6 and a G and the reading was held back as ambiguous.
    import cv2

    from tests import capture_media as cm

    frame = cm.document_clip(4.0)[2]
    image = cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])[1], cv2.IMREAD_COLOR)
    doc = extract_document_text(image, today=date(2026, 11, 30))
    assert doc.mrz_lines == TD3 and not doc.mrz_alternatives
    assert text_data_report(doc).recommendation == Recommendation.APPROVE


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


def test_a_country_code_letter_guessed_from_a_digit_is_not_approved():
    # Tuning photo 61190: a card's nationality UTO read 1TO, and the letter the recogniser found
    # likeliest for the 1 was T: TTO is a known code too, and no check digit covers a nationality.
    truth = td1("AB1234567", "UTO")
    read = (truth[0], truth[1][:15] + "1" + truth[1][16:], truth[2])
    parsed = parse_mrz(read, probs=[rows(read[0]), rows(read[1], p15={"1": 0.6, "T": 0.3, "I": 0.1}), rows(read[2])])
    assert parsed.valid and parsed.field("nationality") == "TTO"
    report = text_data_report(replace(_doc(parsed), repairs=parsed.repairs))
    assert report.recommendation == Recommendation.NOT_AVAILABLE
    assert any(s.sub_check == "mrz_fields_plausible" and not s.passed for s in report.breakdown)
    # A digit made its look-alike (0 read for O) is the recogniser's usual confusion: trusted.
    read = (truth[0], truth[1][:17] + "0" + truth[1][18:], truth[2])
    parsed = parse_mrz(read, probs=[rows(line) for line in read])
    assert parsed.lines == truth
    assert text_data_report(replace(_doc(parsed), repairs=parsed.repairs)).recommendation == Recommendation.APPROVE


def test_a_reading_with_many_near_choices_is_searched_in_bounded_time_and_memory():
    """Every change set drawn counts towards the search's limit, also those it skips (more than
    two changes outside the OCR-B pairs): 28 near choices (14 positions x 2) are 2^28 change sets
    costing less than the ambiguity margin, and skipping them uncounted grew the search's heap
    without end (an evaluation process grew to 4 GB on one document)."""
    import signal

    from identity_app.checks.mrz_search import MAX_EVALUATIONS, search_confusables

    line2 = TD3[1]
    shares = {f"p{pos}": {line2[pos]: 0.34, "Q": 0.33, "W": 0.33} for pos in range(28, 42)}
    probs = [rows(TD3[0]), rows(line2, **shares)]

    def too_long(*_):
        raise TimeoutError("the confusable search did not stop")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(20)
    try:
        found = search_confusables(TD3, "TD3", probs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert found.lines == TD3  # valid as read: the near choices change nothing
    assert found.evaluations <= MAX_EVALUATIONS


def test_a_digit_read_in_a_name_becomes_the_letter_the_recogniser_found_likeliest():
    truth = td1("AB1234567")
    read = (truth[0], truth[1], "0" + truth[2][1:])   # DIALLO's D read as a zero, D its second choice
    probs = [rows(truth[0]), rows(truth[1]), rows(read[2], p0={"0": 0.68, "D": 0.32})]
    parsed = parse_mrz(read, probs=probs)
    assert parsed.lines == truth and parsed.field("surname") == "DIALLO"
    # Without the recogniser's say, the usual look-alike: O.
    assert parse_mrz(read).field("surname") == "OIALLO"


def test_a_g_read_6_in_the_document_number_is_chosen_by_the_printed_number_only_when_it_says_so():
    # IG281551Z read I6281551Z with G at 0.04 (tuning photo 10038): G counts 16, 6 modulo 10, so
    # no check digit can choose. The reading is not held back for it (no alternative), but a
    # printed document number that says IG281551Z exactly chooses it.
    from identity_app.checks.text_extraction import _document_text
    from identity_app.checks.mrz_reader import MRZReading

    truth = td3("IG281551Z")
    read = (truth[0], truth[1].replace("IG281551Z", "I6281551Z"))
    parsed = parse_mrz(read, probs=[rows(read[0]), rows(read[1], p1={"6": 0.96, "G": 0.04})])
    assert parsed.valid and parsed.lines == read and not parsed.ambiguous
    assert parsed.printed_options == (truth,)
    reading = MRZReading(parsed, 0, "rapidocr")
    doc = _document_text(reading, {"surname": "ERIKSSON", "document_number": "IG281551Z"}, "")
    assert doc.mrz_lines == truth and doc.check_digits_valid and not doc.mrz_alternatives
    assert [(r.line, r.position, r.read, r.repaired) for r in doc.repairs] == [(2, 2, "6", "G")]
    # The page printing the number as read, or not printing it: the reading stands, trusted.
    for printed in ({"document_number": "I6281551Z"}, {"surname": "ERIKSSON"}):
        doc = _document_text(reading, printed, "")
        assert doc.mrz_lines == read and not doc.mrz_alternatives
    # A 6 the recogniser did not doubt offers nothing to the printed number.
    sure = parse_mrz(read, probs=[rows(read[0]), rows(read[1])])
    assert sure.printed_options == ()
    doc = _document_text(MRZReading(sure, 0, "rapidocr"), {"document_number": "IG281551Z"}, "")
    assert doc.mrz_lines == read


def test_a_document_code_no_format_starts_with_is_not_approved():
    # A TD1 card's line read out of step, L<POL...: its check digits held by chance (tuning photo
    # 10031), but a card's document code starts with A, C or I.
    card = td1("AB1234567")
    misread = ("L" + card[0][1:], card[1], card[2])
    parsed = parse_mrz(misread, repair=False)
    assert parsed.valid and not parsed.plausible
    report = text_data_report(_doc(parsed))
    assert report.recommendation == Recommendation.NOT_AVAILABLE
    assert any(s.sub_check == "mrz_fields_plausible" and not s.passed and "document_type" in str(s)
               for s in report.breakdown)
    assert parse_mrz(card, repair=False).plausible
    assert text_data_report(_doc(parse_mrz(card, repair=False))).recommendation == Recommendation.APPROVE


def test_confusions_whose_check_digits_hold_either_way_are_chosen_by_the_printed_number_only():
    # ZOI628645 read 201628645 (Z 0.47, O 0.47, I 0.04: tuning photo 10054): the check digits hold
    # with both, too far apart in the recogniser's eyes to be an alternative.
    from identity_app.checks.mrz_reader import MRZReading
    from identity_app.checks.text_extraction import _document_text

    truth, misread = td3("ZOI628645"), td3("201628645")
    assert misread[1][9:] == truth[1][9:]  # the same check digits either way
    probs = [rows(misread[0]), rows(misread[1], p0={"2": 0.53, "Z": 0.47}, p1={"0": 0.53, "O": 0.47},
                                     p2={"1": 0.96, "I": 0.04})]
    parsed = parse_mrz(misread, probs=probs)
    assert parsed.lines == misread and parsed.valid and not parsed.ambiguous and truth in parsed.printed_options
    assert all(parse_mrz(o, repair=False).valid for o in parsed.printed_options)
    reading = MRZReading(parsed, 0, "rapidocr")
    doc = _document_text(reading, {"document_number": "ZOI628645"}, "")
    assert doc.mrz_lines == truth and not doc.mrz_alternatives
    # A printed number that is neither (its own misreading): the reading stands, the disagreement shows.
    doc = _document_text(reading, {"document_number": "ZOI628845"}, "")
    assert doc.mrz_lines == misread


def test_a_line_read_out_of_step_at_its_end_or_as_garbage_is_not_approved():
    from identity_app.checks.icao import check_digit
    from identity_app.checks.mrz_reader import malformed_fields, well_formed_names

    # A passport's second line read one character out of step at its end (...<14 read ...140: a
    # filler dropped, a character added): the personal number then holds data after fillers, and
    # both digits can hold by chance. Made to hold here, it is still not approved.
    head = TD3[1][:28]
    personal = "ZE184226B<<<<1"
    body = head + personal + check_digit(personal)
    shifted = (TD3[0], next(line for d in "0123456789" if (line := body + d) and parse_mrz(
        (TD3[0], line), repair=False).valid))
    parsed = parse_mrz(shifted, repair=False)
    assert parsed.valid and malformed_fields(parsed) == ("personal_number",) and not well_formed_names(parsed)
    report = text_data_report(_doc(parsed))
    assert report.recommendation == Recommendation.NOT_AVAILABLE and report.reason == "INCORRECT_MRZ"
    assert any(s.sub_check == "mrz_fields_plausible" and not s.passed and "personal_number" in str(s)
               for s in report.breakdown)
    # A card's name line read as garbage (K for each filler: no check digit covers a TD1's names).
    card = td1("AB1234567")
    garbage = parse_mrz((card[0], card[1], card[2][:12] + "K" * 18), repair=False)
    assert garbage.valid and "names" in malformed_fields(garbage)
    assert text_data_report(_doc(garbage)).recommendation == Recommendation.NOT_AVAILABLE
    # A TD1's optional data written from its start, and a long document number's overflow, are data.
    # So are longer data at the field's end (a real Macao card's optional data ends <<<<<<<<0212300).
    for lines in (TD3, card, ("I<UTOD23145890<7349<<<<<<<<<<<", card[1], card[2]),
                  ("I<MAC12281507<0<<<<<<<<0212300", "6106225M1212307<<<<<<<<<<<<<<6", "CHONG<<KA<KEONG".ljust(30, "<"))):
        parsed = parse_mrz(lines, repair=False)
        assert malformed_fields(parsed) == ()
    assert text_data_report(_doc(parse_mrz(TD3, repair=False))).recommendation == Recommendation.APPROVE
    # A visa's optional data is its state's own: a real Polish visa's ends <<<<<<<0.
    visa = parse_mrz(("VCPOLKOWALSKA<KWIATKOWSKA<<BEATA<<<<", "PL00000008POL6002084F0505011<<<<<<<0"), repair=False)
    assert visa.format == "MRV_B" and malformed_fields(visa) == ()
