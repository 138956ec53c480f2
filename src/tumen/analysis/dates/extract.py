"""Find and resolve every date expression of a body in one pass per rule.

``find_dates(body, published, sdoc=None, sentences=None)`` runs the English and
Korean grammars (compiled regular expressions, ``english.RULES`` and
``korean.RULES``) over the whole body, keeps the longest resolvable match at each
position, resolves it against the publication date and returns every occurrence in
body order.  Anaphora ("that day", "the next day", "같은 날") are returned apart,
resolved through the nearest preceding day.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable

from tumen.analysis.dates import english, korean
from tumen.analysis.dates import resolve as R
from tumen.analysis.dates.cues import cue_set
from tumen.analysis.dates.tense import english_forward, english_tense, governed_by_plan, korean_forward, scheduled_present

# A deadline month-day more than this far before publication is next year's
# ("by Jan. 10" in a December report).  Calibrated on the devset/trainset deadlines,
# which all fall within six weeks after publication.
DEADLINE_SLACK = dt.timedelta(days=60)
# A bare four-digit number more than this many years after publication is not a
# year (prices and counts such as "2300 won" are caught by the unit list first).
MAX_YEARS_AHEAD = 5
# After "in", "by", "until" ... a year may be further ahead ("by 2050"), not beyond this.
MAX_YEARS_AHEAD_AFTER_PREP = 50

_WORD = re.compile(r"\s*([\w'’\uac00-\ud7a3]+)")
_HAS_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_FUNCTION_WORDS = frozenset({
    "and", "or", "but", "when", "as", "so", "if", "the", "a", "an", "to", "of", "in", "on", "at",
    "by", "for", "with", "from", "into", "after", "before", "until", "since", "while", "that", "which"})


@dataclass
class Found:
    """One occurrence of a date expression (or of an anaphor, ``kind="anaphor"``)."""

    text: str
    start: int
    end: int
    value: str
    precision: str
    rule: str
    kind: str = "date"
    range: list[str] | None = None  # [first, last] day, for a quarter or a year range


def parsed_length(sdoc: Any) -> int:
    """Characters covered by a spaCy Doc (without building ``Doc.text``, which is slow)."""
    try:
        if len(sdoc) == 0:
            return 0
        last = sdoc[-1]
        return last.idx + len(last.text_with_ws)
    except (TypeError, AttributeError, IndexError):
        return 0


class Context:
    """What a rule handler may consult: publication date, body, parse, sentences."""

    deadline_slack = DEADLINE_SLACK
    max_years_ahead = MAX_YEARS_AHEAD
    max_years_ahead_after_prep = MAX_YEARS_AHEAD_AFTER_PREP

    def __init__(self, body: str, pub: dt.date | None, sdoc: Any = None,
                 sentences: list[tuple[int, int]] | None = None):
        self.body = body
        self.pub = pub
        self.sdoc = sdoc if sdoc is not None and 0 < parsed_length(sdoc) <= len(body) else None
        self.parsed_chars = parsed_length(self.sdoc) if self.sdoc is not None else 0
        self.sentences = sentences or []
        self._starts = [s for s, _ in self.sentences]
        self.found: list[Found] = []  # the dates resolved so far, in body order

    def year_before(self, pos: int, same_sentence: bool = False) -> int | None:
        """The year of the nearest date resolved before ``pos`` (for "that year"), or
        with ``same_sentence`` only one of the sentence holding ``pos``."""
        sentence = self.sentence(pos)
        for f in reversed(self.found):
            if same_sentence and (sentence is None or f.start < sentence[0]):
                return None
            if f.end <= pos and f.value[:4].isdigit():
                return int(f.value[:4])
        return None

    def sentence(self, pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and self.sentences[i][0] <= pos < self.sentences[i][1]:
            return self.sentences[i]
        return None

    def next_word(self, pos: int) -> str | None:
        m = _WORD.match(self.body, pos)
        return m.group(1) if m else None

    def noun_follows(self, pos: int) -> bool:
        """True when the word after ``pos`` is a noun or a number ("two thousand troops"):
        the parse's tag, else (no parse there) any lower-case word but a function word."""
        m = _WORD.match(self.body, pos)
        if m is None:
            return False
        if self.sdoc is not None and m.end(1) <= self.parsed_chars:
            span = self.sdoc.char_span(m.start(1), m.end(1), alignment_mode="expand")
            if span is not None and len(span):
                return span[0].pos_ in ("NOUN", "PROPN", "NUM", "ADJ")
        word = m.group(1)
        return word.islower() and word not in _FUNCTION_WORDS

    def forward(self, m: re.Match, prep: str | None) -> bool:
        start, end = m.start(), m.end()
        if _HAS_HANGUL.search(m.group(0)):
            return korean_forward(self.body, start, end, self.sentence(start))
        sdoc = self.sdoc if end <= self.parsed_chars else None
        return english_forward(sdoc, self.body, start, end, prep, self.sentence(start))

    def planned(self, m: re.Match) -> bool:
        """True when the English verb over the expression at ``m`` plans or defers
        something (``tense.governed_by_plan``)."""
        sdoc = self.sdoc if m.end() <= self.parsed_chars else None
        return governed_by_plan(sdoc, m.start(), m.end())

    def scheduled(self, m: re.Match) -> bool:
        """True when the English verb over ``m`` is a present that schedules
        (``tense.scheduled_present``)."""
        sdoc = self.sdoc if m.end() <= self.parsed_chars else None
        return scheduled_present(sdoc, m.start(), m.end())

    def tense(self, m: re.Match, infinitive_head: bool = False) -> str | None:
        """The tense of the English clause the expression at ``m`` belongs to
        (tense.PAST / PRESENT / FUTURE, a to-infinitive counting as future unless
        ``infinitive_head``: then the tense of the verb it depends on), or None."""
        start, end = m.start(), m.end()
        sdoc = self.sdoc if end <= self.parsed_chars else None
        return english_tense(sdoc, self.body, start, end, self.sentence(start), infinitive_head)

    def _after_prep(self, start: int) -> bool:
        return bool(_PREP_BEFORE.search(self.body[max(0, start - 20):start]))

    def is_modifier(self, start: int, end: int) -> bool:
        """True when the word at [start, end) modifies a following noun ("the autumn
        harvest", "spring planting") rather than naming a time."""
        nxt = self.next_word(end)
        if self.body[end:end + 1] in ("'", "’"):
            return False  # "last autumn's prices"
        if nxt and nxt.lower() in cue_set("season_compound_nouns"):
            return True
        if self.sdoc is not None and end <= self.parsed_chars:
            span = self.sdoc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                tok = span.root
                head = tok.head
                if tok.dep_ in ("compound", "amod", "nmod") and head.i > tok.i and head.pos_ in ("NOUN", "PROPN"):
                    # "in the spring brokers were working": the noun starts a clause
                    after = head.nbor(1) if head.i + 1 < len(self.sdoc) else None
                    if after is not None and after.tag_ in ("VBD", "VBZ", "VBP", "MD") and self._after_prep(start):
                        return False
                    return True
        return False


_PREP_BEFORE = re.compile(r"(?i:\b(?:in|during|over|since|by|until|through|before)\s+(?:the\s+|early\s+|late\s+)?)$")


_WORD_START = re.compile(r"(?<![\w'’-])[\w\uac00-\ud7a3]+")


def _candidates(body: str, rules: Iterable[english.Rule], anchor: re.Pattern, back: int,
                starters: frozenset[str] | None):
    """(start, end, rule, match) for every rule matching at a word start shortly
    before an anchor keyword (the anchor itself, or a word in ``starters``) and
    reaching it."""
    by_anchor: dict[str, list[english.Rule]] = {}
    for rule in rules:
        for name in rule.anchors:
            by_anchor.setdefault(name, []).append(rule)
    tried: set[tuple[int, str]] = set()
    for a in anchor.finditer(body):
        group = a.lastgroup
        a_start = a.start()
        for w in _WORD_START.finditer(body, max(0, a_start - back), a_start + 1):
            pos = w.start()
            if starters is not None and pos != a_start:
                word = w.group(0).lower()
                if word not in starters and not word[0].isdigit():
                    continue
            for rule in by_anchor.get(group, ()):
                if (pos, rule.name) in tried:
                    continue
                tried.add((pos, rule.name))
                m = rule.regex.match(body, pos)
                if m is not None and m.end() > a_start:
                    yield m.start(), m.end(), rule, m


def _all_candidates(body: str, rules: Iterable[english.Rule]):
    """Every match of every rule anywhere (slow; the reference for ``_candidates``)."""
    for rule in rules:
        for m in rule.regex.finditer(body):
            if m.end() > m.start():
                yield m.start(), m.end(), rule, m


def find_dates(body: str, published: dt.date | None, sdoc: Any = None,
               sentences: list[tuple[int, int]] | None = None,
               exhaustive: bool = False) -> tuple[list[Found], list[Found]]:
    """All date occurrences (body order) and all resolved anaphora of ``body``.
    ``exhaustive`` runs every rule over the whole body instead of near anchors
    (same result, slower; used by the tests to check the anchoring)."""
    if not body:
        return [], []
    ctx = Context(body, published, sdoc, sentences)
    cands = []
    for present, grammar in ((_HAS_LATIN, english), (_HAS_HANGUL, korean)):
        if present.search(body):
            if exhaustive:
                cands.extend(_all_candidates(body, grammar.RULES))
            else:
                cands.extend(_candidates(body, grammar.RULES, grammar.ANCHOR, grammar.ANCHOR_BACK,
                                             grammar.STARTERS))
    cands.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    found: list[Found] = ctx.found
    taken_end = -1
    for start, end, rule, m in cands:
        if start < taken_end:
            continue
        try:
            resolved = rule.handler(m, ctx)
        except (ValueError, OverflowError, KeyError):
            resolved = None
        if not resolved:
            continue
        value, precision = resolved[0], resolved[1]
        found.append(Found(body[start:end], start, end, value, precision, rule.name,
                           range=resolved[2] if len(resolved) > 2 else None))
        taken_end = end
    _order_ranges(body, found)
    anaphora = resolve_anaphora(body, found)
    return found, anaphora


# "from March 1 to April 30", "between Dec. 28 and Jan. 3": the end of a range follows
# its start.
_RANGE_START = re.compile(r"(?i:from|between)\s")
_RANGE_JOIN = re.compile(r"\s*(?:to|until|till|through|and|[-–—])\s*$", re.I)
_BETWEEN_BEFORE = re.compile(r"(?i:between)\s+$")
_HAS_YEAR = re.compile(r"\d{4}")


def _order_ranges(body: str, found: list[Found]) -> None:
    """An end of a range resolved before its start, with no year of its own, is moved to
    the next year (each side was resolved alone against publication)."""
    for first, second in zip(found, found[1:]):
        if (first.precision != second.precision or first.precision not in ("day", "month")
                or _HAS_YEAR.search(second.text) or second.value >= first.value
                or not _RANGE_JOIN.match(body[first.end:second.start])):
            continue
        if not (_RANGE_START.match(first.text)
                or _BETWEEN_BEFORE.search(body, max(0, first.start - 10), first.start)):
            continue
        year, month = int(second.value[:4]) + 1, int(second.value[5:7])
        moved = (R.make_day(year, month, int(second.value[8:10])) if second.precision == "day"
                 else R.fmt_month(year, month))
        if moved:
            second.value = moved[0]


def resolve_anaphora(body: str, found: list[Found], usable: list[bool] | None = None) -> list[Found]:
    """Anaphora of ``body`` resolved through the nearest preceding usable date: a day
    for "that day", "the next day", "같은 날" (shifted by their offset); any date for
    "since then".  ``usable`` (parallel to ``found``) leaves out antecedents such as
    the day a source spoke."""
    from tumen.analysis.dates.resolve import days_from

    usable = usable if usable is not None else [True] * len(found)
    dates = [f for f, ok in zip(found, usable) if ok]
    days = [f for f in dates if f.precision == "day"]
    day_starts = [f.start for f in days]
    date_starts = [f.start for f in dates]
    taken_starts = [f.start for f in found]  # found is in body order and never overlaps
    out: list[Found] = []
    patterns = [(english.ANAPHORA, english.anaphor_offset)]
    if _HAS_HANGUL.search(body):
        patterns.append((korean.ANAPHORA, english.anaphor_offset))
    for regex, offset_of in patterns:
        for m in regex.finditer(body):
            start, end = m.start(), m.end()
            k = bisect.bisect_left(taken_starts, end) - 1
            if k >= 0 and found[k].end > start:
                continue  # inside a date expression
            if m.groupdict().get("then"):
                i = bisect.bisect_right(date_starts, start) - 1
                if i >= 0:
                    a = dates[i]
                    out.append(Found(body[start:end], start, end, a.value, a.precision, "anaphor", kind="anaphor"))
                continue
            offset = offset_of(m)
            i = bisect.bisect_right(day_starts, start) - 1
            if offset is None or i < 0:
                continue
            resolved = days_from(days[i].value, offset)
            if resolved:
                out.append(Found(body[start:end], start, end, resolved[0], resolved[1],
                                 "anaphor", kind="anaphor"))
    out.sort(key=lambda f: f.start)
    return out


def first_occurrences(found: Iterable[Found]) -> list[Found]:
    """Each distinct text once, at its first occurrence, in body order."""
    seen: set[str] = set()
    out = []
    for f in found:
        if f.text in seen:
            continue
        seen.add(f.text)
        out.append(f)
    return out
