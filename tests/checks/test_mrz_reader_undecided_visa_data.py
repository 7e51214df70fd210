"""A visa's optional data is under no check digit and the visual zone does not print it: a member of
an OCR-B pair there (O/0, Z/2, S/5, B/8, G/6) whose glyph does not clearly say which reads as well
the other way, so the reading carries that alternative and is not approved (tuning photo 18009:
SO5043 read S05043; tuning photo 61056: Z898826 read 2898826; both reported valid and unflagged);
where the glyph is clearly the class read (a real US visa's IFLND00AMS803085) it stays approved."""
from __future__ import annotations

from dataclasses import replace

from identity_app.checks import mrz_glyphs
from identity_app.checks.mrz_parse import parse_mrz
from identity_app.checks.mrz_reader import MRZReading, with_undecided_alternatives
from identity_app.checks.report import Recommendation
from identity_app.checks.text_extraction import _document_text, text_data_report
from tests.checks.specimens import MRV_A, TD3



def visa(data: str) -> tuple[str, str]:
    """The specimen visa with `data` as its optional data (from position 29 of its second line)."""
    return MRV_A[0], MRV_A[1][:28] + data + "<" * (44 - 28 - len(data))


# Optional data whose only pair member is one zero (position 31 of the second line).
VISA = visa("MX0K4H3")
ZERO = (1, 30)


def undecided(parsed):
    return replace(parsed, glyph_undecided=mrz_glyphs.undecided_positions(parsed.lines, parsed.format))


def test_an_undecided_zero_in_a_visas_optional_data_gives_an_alternative():
    parsed = undecided(parse_mrz(VISA, repair=False))
    assert parsed.valid and VISA[1][30] == "0"
    out = with_undecided_alternatives(parsed)
    (alternative,) = out.alternatives
    assert alternative[1] == VISA[1][:30] + "O" + VISA[1][31:]
    assert out.lines == parsed.lines


def test_a_zero_the_glyph_tells_clearly_gives_none():
    parsed = parse_mrz(VISA, repair=False)
    clear = replace(parsed, glyph_undecided=mrz_glyphs.undecided_positions(parsed.lines, parsed.format, {ZERO}))
    assert clear.glyph_undecided == () and with_undecided_alternatives(clear).alternatives == ()


def test_other_formats_and_invalid_readings_are_left_alone():
    # A passport's personal number is under its check digit: the digits decide there.
    assert mrz_glyphs.undecided_positions(TD3, "TD3") == ()
    bad = (VISA[0], VISA[1][:9] + "0" + VISA[1][10:])  # document number check digit wrong
    parsed = undecided(parse_mrz(bad, repair=False))
    assert not parsed.valid and parsed.glyph_undecided
    assert with_undecided_alternatives(parsed).alternatives == ()


def test_such_a_visa_reading_is_not_approved():
    reading = MRZReading(with_undecided_alternatives(undecided(parse_mrz(VISA, repair=False))), 0, "rapidocr", (), 0.9, None)
    doc = _document_text(reading, {}, "")
    assert doc.mrz_alternatives
    assert text_data_report(doc).recommendation != Recommendation.APPROVE


def test_each_undecided_pair_member_gives_its_partner_as_an_alternative():
    zed_two = visa("MZ2K4H3")  # Z at position 30, 2 at position 31
    parsed = undecided(parse_mrz(zed_two, repair=False))
    assert parsed.valid and {(li, pos) for li, pos, _ in parsed.glyph_undecided} == {(1, 29), (1, 30)}
    out = with_undecided_alternatives(parsed)
    line = zed_two[1]
    assert set(a[1] for a in out.alternatives) == {line[:29] + "2" + line[30:], line[:30] + "Z" + line[31:]}
    reading = MRZReading(out, 0, "rapidocr", (), 0.9, None)
    assert text_data_report(_document_text(reading, {}, "")).recommendation != Recommendation.APPROVE


def test_letters_and_digits_of_no_pair_are_not_undecided():
    assert mrz_glyphs.undecided_positions(visa("MXKH4731")[0:2], "MRV_A") == ()
