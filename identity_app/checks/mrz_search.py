"""Let the check digits choose among the characters the recogniser hesitated about.

OCR-B's confusable pairs (O/0, I/1, Z/2, S/5, B/8, D/0, G/6 ...) are where an
MRZ reading goes wrong, and the recogniser usually knows it: at such a
position it gives the other character a fair share of its probability (a
Hungarian passport number `BD0002028` read with B 0.59 / 8 0.40 and
0 0.50 / D 0.48). This module searches those alternatives, per position,
for the reading whose check digits hold:

- only characters the recogniser itself offered count, within the field's
  alphabet: the other member of an OCR-B pair (or K for `<`) at least
  MIN_RATIO as likely as the character read, any other character at least
  STRONG_RATIO as likely
  (digits in dates, letters in names, anything in document numbers); a
  cleanly printed character has no alternative, so a check digit printed
  wrong stays wrong; nor is a single check digit changed for a digit the
  recogniser found less likely than the one it read (what a check digit
  printed wrong looks like when the recogniser hesitates);
- the cost of a reading is how much less likely the recogniser found it
  (the sum of ln(p(read) / p(alternative)) over changed positions); every
  check digit that fails costs DIGIT_PENALTY; the cheapest reading wins,
  and only change sets costing at most MAX_CHANGE_COST, with at most
  MAX_UNPAIRED_CHANGES changes outside the OCR-B pairs, are considered
  (MAX_EVALUATIONS evaluated, MAX_DRAWN drawn at most);
- every change is reported as a Repair, with both probabilities;
- other readings whose check digits all hold and whose cost is within
  AMBIGUITY_MARGIN of the chosen one are returned as `alternatives`: the
  check digits cannot tell them apart (K and `<` never can: K counts 20,
  0 modulo 10), so the printed fields of the visual zone must.

Only positions some check digit covers are searched: a name letter no
digit covers cannot be chosen by one.

The recogniser is sometimes certain of the wrong member of a pair (a
general model reads OCR-B's `IOG1518313` as `10G1518313` without a
doubt). Such a reading is left invalid: trying the usual pairs without the
recogniser's say made a valid reading out of 105 of 600 generated MRZs
printed with a wrong check digit, and out of 77 of 400 single misreads a
valid but different one (for the document number the composite digit
repeats its own digit's weights, so it adds no constraint there). Other
engines' readings of the line (pooled) are what gives a second chance.
"""
from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from typing import Sequence

from identity_app.checks.document_data import Repair
from identity_app.checks.mrz_parse import (
    ALNUM,
    DIGITS,
    FRA_ID,
    LAYOUTS,
    MRZ_CHARS,
    _ALLOWED,
    compute_check_digits,
)

MIN_RATIO = 0.05          # an alternative at least this likely relative to the character read
DIGIT_PENALTY = 5.0       # nats a failing check digit costs (e^5: 150 times less likely)
MAX_CHANGE_COST = 5.0     # nats: change sets less likely than this are never considered
AMBIGUITY_MARGIN = 2.3    # nats (10x): a valid reading this close to the chosen one is an alternative
MAX_EVALUATIONS = 3000
# Change sets drawn at most, also those skipped unevaluated (more than MAX_UNPAIRED_CHANGES, two
# choices at one position): uncounted, 2^28 cheap ones made one evaluation grow to 4 GB.
MAX_DRAWN = 30000
STRONG_RATIO = 0.5        # outside the confusable pairs, an alternative must be at least this likely
# Changes outside the confusable pairs one reading may make: a French card's line read one
# character shifted was made valid by three of them (tuning photo); a real misread is one or two.
MAX_UNPAIRED_CHANGES = 2
SEARCH_VERSION = "confusable-search/1"
STATIC_PAIRS = ("O0", "I1", "Z2", "S5", "B8", "D0", "G6")  # OCR-B's confusable pairs
_STATIC = {}
for _a, _b in STATIC_PAIRS:
    _STATIC.setdefault(_a, set()).add(_b)
    _STATIC.setdefault(_b, set()).add(_a)

STATIC_PARTNERS = {c: frozenset(partners) for c, partners in _STATIC.items()}  # for other modules, read-only
_INDEX = {c: i for i, c in enumerate(MRZ_CHARS)}
_CHECKED = ("document_number", "document_number_check", "date_of_birth", "date_of_birth_check",
            "expiration_date", "expiration_date_check", "personal_number", "personal_number_check",
            "composite_check")
# Fields a composite digit covers beyond the ones above, per format.
_COMPOSITE_ONLY = {"TD1": ("optional_data_1", "optional_data_2"), "TD2": (), "TD3": (), "MRV_A": (),
                   "MRV_B": (), FRA_ID: ("document_type", "issuing_country", "surname", "administration_code",
                                         "given_names", "sex")}


@dataclass(frozen=True)
class SearchResult:
    lines: tuple[str, ...]
    repairs: tuple[Repair, ...]
    alternatives: tuple[tuple[str, ...], ...]
    evaluations: int
    printed_options: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class _Option:
    cost: float
    line: int
    pos: int
    char: str
    p_read: float
    p_alt: float
    paired: bool          # an OCR-B confusable pair (or K for `<`), not just a character nearly chosen
    check_digit: bool = False  # the position is a check digit's

    @property
    def doubted_check_digit(self) -> bool:
        """A check digit changed for a digit the recogniser found less likely than the one read."""
        return self.check_digit and self.p_alt < self.p_read


def _one_doubted_check_digit(chosen: Sequence[_Option]) -> bool:
    """Whether a change set changes a single check digit, and that one against the recogniser's
    first choice (a data character changed beside it or not).

    A check digit printed wrong is what an altered document shows: one check digit changed for a
    digit the recogniser found less likely makes it hold (tuning photo 19110: a date of birth's
    check digit printed 9 for 8, re-read 9 0.52 / 8 0.48, was "repaired" and the document reported
    valid). A line's end read shifted changes two (seed 1095's <<<081 pooled back to <<<008)."""
    at_check_digits = [o for o in chosen if o.check_digit]
    return len(at_check_digits) == 1 and at_check_digits[0].doubted_check_digit


def searched_positions(fmt: str) -> list[tuple[int, int, str]]:
    """(line, position, alphabet) of every character some check digit covers."""
    names = set(_CHECKED) | set(_COMPOSITE_ONLY.get(fmt, ()))
    return [(seg.line, pos, seg.alphabet) for seg in LAYOUTS[fmt] if seg.name in names
            for pos in range(seg.start, seg.end)]


def check_digit_positions(fmt: str) -> set[tuple[int, int]]:
    """(line, position) of the format's check digits."""
    return {(seg.line, pos) for seg in LAYOUTS[fmt] if seg.name.endswith("_check")
            for pos in range(seg.start, seg.end)}


def _options(lines: Sequence[str], fmt: str, probs: Sequence) -> list[_Option]:
    out = []
    check_digits = check_digit_positions(fmt)
    for li, pos, alphabet in searched_positions(fmt):
        rows = probs[li] if li < len(probs) else None
        row = rows[pos] if rows is not None and pos < len(rows) else None
        if row is None:
            continue
        read = lines[li][pos]
        p_read = float(row[_INDEX[read]]) if read in _INDEX else 0.0
        allowed = _ALLOWED[alphabet] if alphabet != ALNUM else MRZ_CHARS
        if alphabet == DIGITS:
            allowed = "0123456789"  # a filler `<` is not a confusion of a date digit
        for c in allowed:
            if c == read:
                continue
            p_alt = float(row[_INDEX[c]])
            # An OCR-B confusion the recogniser gave a share, or any character it nearly chose;
            # a stray engine's 4 against five 7s is no reason to rewrite a date.
            paired = c in _STATIC.get(read, ()) or {c, read} == {"K", "<"}
            ratio = MIN_RATIO if paired else STRONG_RATIO
            if p_alt <= 0.0 or p_alt < ratio * max(p_read, 1e-9):
                continue
            cost = max(0.0, math.log(max(p_read, 1e-9) / p_alt))
            if cost <= MAX_CHANGE_COST:
                out.append(_Option(cost, li, pos, c, p_read, p_alt, paired,
                                   check_digit=(li, pos) in check_digits))
    out.sort(key=lambda o: o.cost)
    return out


def _apply(lines: Sequence[str], options: Sequence[_Option]) -> tuple[str, ...] | None:
    chars = [list(line) for line in lines]
    seen = set()
    for o in options:
        if (o.line, o.pos) in seen:
            return None  # two alternatives for one position
        seen.add((o.line, o.pos))
        chars[o.line][o.pos] = o.char
    return tuple("".join(c) for c in chars)


def _failures(lines: Sequence[str], fmt: str) -> int:
    return sum(not c.valid for c in compute_check_digits(lines, fmt))


def _subsets_by_cost(costs: list[float]):
    """Index subsets of a cost-sorted list in nondecreasing total cost (each once)."""
    yield 0.0, ()
    if not costs:
        return
    heap = [(costs[0], (0,))]
    while heap:
        total, subset = heapq.heappop(heap)
        yield total, subset
        last = subset[-1]
        if last + 1 < len(costs):
            heapq.heappush(heap, (total + costs[last + 1], subset + (last + 1,)))
            heapq.heappush(heap, (total - costs[last] + costs[last + 1], subset[:-1] + (last + 1,)))


def search_confusables(lines: Sequence[str], fmt: str, probs: Sequence) -> SearchResult:
    """The likeliest reading given the recogniser's probabilities and the check digits (see module doc)."""
    lines = tuple(lines)
    options = _options(lines, fmt, probs)
    base_fail = _failures(lines, fmt)
    best_obj, best = DIGIT_PENALTY * base_fail, ()
    valid: list[tuple[float, tuple[str, ...], tuple[_Option, ...]]] = []
    if base_fail == 0:
        valid.append((0.0, lines, ()))
    evaluations = drawn = 1
    for cost, subset in _subsets_by_cost([o.cost for o in options]):
        if not subset:
            continue
        drawn += 1
        if drawn > MAX_DRAWN:
            break
        bound = best_obj
        if valid:
            bound = max(bound, min(v[0] for v in valid) + AMBIGUITY_MARGIN)
        if cost > min(bound, MAX_CHANGE_COST) or evaluations >= MAX_EVALUATIONS:
            break
        chosen = tuple(options[i] for i in subset)
        if sum(not o.paired for o in chosen) > MAX_UNPAIRED_CHANGES or _one_doubted_check_digit(chosen):
            continue
        candidate = _apply(lines, chosen)
        if candidate is None:
            continue
        evaluations += 1
        fails = _failures(candidate, fmt)
        obj = cost + DIGIT_PENALTY * fails
        if fails == 0:
            valid.append((cost, candidate, chosen))
        if obj < best_obj:
            best_obj, best = obj, chosen
    out_lines = _apply(lines, best) or lines
    repairs = tuple(
        Repair(o.line + 1, o.pos + 1, lines[o.line][o.pos], o.char,
               f"confusable {lines[o.line][o.pos]}/{o.char}: the check digits hold with {o.char}"
               f" (recogniser {o.p_alt:.2f} for {o.char}, {o.p_read:.2f} for {lines[o.line][o.pos]})")
        for o in sorted(best, key=lambda o: (o.line, o.pos)))
    chosen_cost = sum(o.cost for o in best)
    alternatives = tuple(dict.fromkeys(
        v[1] for v in sorted(valid, key=lambda v: v[0])
        if v[1] != out_lines and v[0] <= chosen_cost + AMBIGUITY_MARGIN
    ))[:3]
    if _failures(out_lines, fmt):
        alternatives = ()  # an invalid reading is reported invalid; its near misses are not alternatives
    options_for_printed = () if _failures(out_lines, fmt) else tuple(
        o for o in printed_options(out_lines, fmt, probs) if o not in alternatives)
    return SearchResult(out_lines, repairs, alternatives, evaluations, options_for_printed)


# A field the visual zone prints: among its readings whose check digits hold as well, the printed
# value can choose one the recogniser found too unlikely to be an alternative.
PRINTED_MIXED = ("document_number",)
PRINTED_OPTION_RATIO = 0.01  # the partner's share of the character read, at least
MAX_PRINTED_CHANGES = 3
MAX_PRINTED_POSITIONS = 8


def printed_options(lines: Sequence[str], fmt: str, probs: Sequence) -> tuple[tuple[str, ...], ...]:
    """Readings of a valid reading's document number with up to MAX_PRINTED_CHANGES characters
    changed into their OCR-B partners (O/0, I/1, Z/2, S/5, B/8, D/0, G/6) that the recogniser gave
    at least PRINTED_OPTION_RATIO of the character read, and whose check digits all hold too.
    They are not alternatives (the reading is not held back for them); only a printed document
    number that says one of them exactly chooses it (text_extraction). Tuning photos 10038 and
    10151: IG281551Z read I6281551Z with G at 0.04 (G counts 16, 6 modulo 10); 10054: ZOI628645
    read 201628645 (Z 0.47, O 0.47, I 0.04), its check digit holding either way."""
    changes = []
    for seg in LAYOUTS.get(fmt, ()):
        if seg.name not in PRINTED_MIXED or seg.line >= len(probs) or probs[seg.line] is None:
            continue
        for pos in range(seg.start, min(seg.end, len(lines[seg.line]), len(probs[seg.line]))):
            row, read = probs[seg.line][pos], lines[seg.line][pos]
            if row is None or read not in _INDEX:
                continue
            for partner in _STATIC.get(read, ()):
                share = float(row[_INDEX[partner]]) / max(float(row[_INDEX[read]]), 1e-9)
                if share >= PRINTED_OPTION_RATIO:
                    changes.append((share, seg.line, pos, partner))
    changes = sorted(changes, reverse=True)[:MAX_PRINTED_POSITIONS]
    out = []
    for k in range(1, MAX_PRINTED_CHANGES + 1):
        for subset in itertools.combinations(changes, k):
            if len({(li, pos) for _, li, pos, _ in subset}) < k:
                continue
            chars = [list(line) for line in lines]
            for _, li, pos, partner in subset:
                chars[li][pos] = partner
            candidate = tuple("".join(c) for c in chars)
            if not _failures(candidate, fmt):
                out.append(candidate)
    return tuple(out)
