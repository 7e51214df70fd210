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


def test_a_country_code_one_engine_misread_is_taken_from_the_engines_that_read_a_known_one():
    from identity_app.checks.mrz_reader import _known_countries

    # Tesseract read JPN as UPN; its reading was chosen for its check digits, which no country
    # code counts in: RapidOCR's readings of the same line say JPN (a known code).
    misread = TRUTH[1][:15] + "U" + TRUTH[1][16:]
    chosen = parse_mrz((TRUTH[0], misread, TRUTH[2]), repair=False)
    assert chosen.valid and chosen.field("nationality") == "UPN"
    per_line = [[(TRUTH[0], one_hot(TRUTH[0]))],
                [(TRUTH[1], one_hot(TRUTH[1])), (TRUTH[1], one_hot(TRUTH[1])), (misread, [None] * 30)],
                [(TRUTH[2], one_hot(TRUTH[2]))]]
    fixed = _known_countries(chosen, per_line)
    assert fixed.lines == TRUTH and fixed.field("nationality") == "JPN" and fixed.valid
    # Read unknown by every engine (an old code, SI<): kept as read.
    alone = [[(line, one_hot(line))] for line in chosen.lines]
    assert _known_countries(chosen, alone) is chosen


def test_a_reading_whose_names_are_no_name_never_wins_over_one_whose_names_are():
    from identity_app.checks.icao import check_digit
    from identity_app.checks.mrz_reader import reading_score, well_formed_names

    # A French card: the composite digit alone covers the names, so a misread name can make it hold.
    l1 = "IDFRAZIEGLER".ljust(30, "<") + "409516"
    body = "001040982918" + check_digit("001040982918") + "LUCA".ljust(14, "<") + "920920" + check_digit("920920") + "F"
    composites = [parse_mrz((l1, body + d), repair=False) for d in "0123456789"]
    printed = next(p.lines for p in composites if not p.valid)   # the composite printed wrong
    garbled = next(p for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   if (p := parse_mrz((l1[:21] + c + l1[22:], printed[1]), repair=False)).valid)
    truth = parse_mrz(printed, repair=False)
    assert well_formed_names(truth) and not well_formed_names(garbled)
    assert reading_score(truth) > reading_score(garbled)
    # Names read with digits are no names either; a name's single fillers and its << are.
    assert not well_formed_names(parse_mrz((l1[:7] + "0" + l1[8:], printed[1]), repair=False))
    assert well_formed_names(parse_mrz(("IDFRAVAN<DER<BERG".ljust(30, "<") + "409516", printed[1]), repair=False))


def test_a_generated_card_printed_with_a_wrong_check_digit_is_reported_invalid():
    import pytest

    from identity_app.checks.text_extraction import extract_document_text
    from identity_app.evaluation import synthetic_documents as synth
    from tests.conftest import shared_data

    if not synth.fonts_available():
        pytest.skip("OCR-B (Debian fonts-ocr-b) is not installed")
    shared_data("docs-photographed-dev")  # the generator's scenes
    # Tuning seed 8008 made invalid: an engine's ZIEGLER<<<<<<<<<GGGGGG made both failing digits hold.
    doc = synth.generate(8008, invalid=True)
    text = extract_document_text(doc.image, read_visual_zone=False)
    assert text.mrz_found and not text.check_digits_valid


def test_a_country_code_every_engine_misread_is_the_known_one_the_recogniser_gave_a_share():
    from identity_app.checks.mrz_reader import _known_countries

    # Every engine read CHE as CHF, the recogniser giving E a share (tuning photo 10174): the
    # known code one letter away that it favours is taken; no share, no change.
    truth = ("P<CHEBOSSI<<SOFIA".ljust(44, "<"), "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    misread = ("P<CHFBOSSI<<SOFIA".ljust(44, "<"), truth[1])
    chosen = parse_mrz(misread, repair=False)
    shared = one_hot(misread[0])
    shared[4] = shared[4] * 0.8
    shared[4][MRZ_CHARS.index("E")] = 0.2
    fixed = _known_countries(chosen, [[(misread[0], shared)], [(truth[1], one_hot(truth[1]))]])
    assert fixed.lines == truth and fixed.field("issuing_country") == "CHE"
    alone = [[(line, one_hot(line))] for line in misread]
    assert _known_countries(chosen, alone) is chosen


def test_a_character_before_the_document_code_of_a_long_first_line_is_dropped():
    from identity_app.checks.mrz_reader import fit_length

    # A visa's first line read with a speck at the band's edge as 7 (tuning photo 10101).
    line = "V<CANOBRIEN<<LOUIS".ljust(44, "<")
    fitted, repairs = fit_length("7" + line, 44, 1)
    assert fitted == line and [(r.position, r.read) for r in repairs] == [(1, "7")]
    # A card's I read 1 at the right length stays for the parser; a second line starts with data.
    assert fit_length("1<POLGZ46680803".ljust(30, "<"), 30, 1)[0] == "1<POLGZ46680803".ljust(30, "<")
    assert fit_length("7" + "L898902C36UTO7408122F1204159ZE184226B<<<<<10", 44, 2)[0][0] == "7"
    # A card's names line (its third) read with a speck before it: a character no letter looks like
    # is dropped (tuning photo 14055: 7DUBOIS); a 0 or a 5 may be the name's O or S, and stays.
    names = "DUBOIS<<BIRGIT".ljust(30, "<")
    fitted, repairs = fit_length("7" + names, 30, 3)
    assert fitted == names and [(r.position, r.read, r.repaired) for r in repairs] == [(1, "7", "")]
    assert fit_length("0" + names, 30, 3)[0] == "0" + names[:-1]
    assert fit_length("7" + names[:-1], 30, 3)[0] == "7" + names[:-1]  # the right length: kept


def test_a_generated_card_whose_names_line_was_read_after_a_speck_is_read_exactly():
    import pytest

    from identity_app.checks.text_extraction import extract_document_text, text_data_report
    from identity_app.evaluation import synthetic_documents as synth
    from tests.conftest import shared_data

    if not synth.fonts_available():
        pytest.skip("OCR-B (Debian fonts-ocr-b) is not installed")
    shared_data("docs-photographed-dev")  # the generator's scenes
    # Tuning seed 14055: the recogniser read 7DUBOIS<<BIRGIT...; the 7 was made an X, valid but wrong.
    doc = synth.generate(14055)
    text = extract_document_text(doc.image, read_visual_zone=False)
    assert text.mrz_lines == doc.lines
    assert any(r.line == 3 and r.read == "7" and r.repaired == "" for r in text.repairs)
    # The names line was read a character long: right, yet held back (no check digit covers it).
    report = text_data_report(text)
    plausible = next(s for s in report.breakdown if s.sub_check == "mrz_fields_plausible")
    assert report.recommendation.value == "NOT_AVAILABLE" and not plausible.passed and "names" in str(plausible)
