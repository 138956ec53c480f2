"""The English date grammar: compiled patterns, each with a resolver.

Every rule is a regular expression with named groups and a handler that turns a
match into ``(value, precision)`` (or None: not a date here, or not resolvable).  The
extractor (``tumen.analysis.dates.extract``) runs every rule over the whole body, prefers the
longest match at a position, and asks the handler.  Spans include the temporal
preposition and modifiers ("on the night of March 3", "since early August", "by the
end of the month", "Since late last year"), as the devset guidelines ask.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from tumen.analysis.dates import resolve as R
from tumen.analysis.dates.cues import cue_set
from tumen.analysis.dates.tense import FUTURE, PAST, PRESENT, planned_before

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
            "saturday": 5, "sunday": 6}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
           "fifteen": 15, "twenty": 20, "thirty": 30, "several": None, "few": None}

PREP_WORDS = r"on|in|at|since|from|until|till|by|through|throughout|over|before|into|during|after|as\s+of|starting"
PREP = rf"(?:(?P<prep>(?i:{PREP_WORDS}))\s+)?"
START = r"(?<![\w'’-])"
MONTH = (r"(?P<month>January|February|March|April|May|June|July|August|September|October|"
         r"November|December|Sept\.|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sep\.|Oct\.|Nov\.|Dec\.|"
         r"Sept|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(?![\w])")
# Part-of-period modifiers: "early", "mid-", "late", "the end of", "the start of" ...
MOD = (r"(?:(?P<mod>(?i:early|mid|late|the\s+(?:very\s+)?(?:end|start|beginning|middle|close|turn|first\s+half|second\s+half|first\s+days|last\s+days)\s+of))"
       r"(?:\s*-\s*|\s+))?")
DAY_MOD = r"(?:(?P<dmod>(?i:the\s+(?:night|early\s+hours|morning|evening|afternoon|eve|small\s+hours)\s+of))\s+)?"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\d,.]?\d)"
# Spelled-out years, as broadcast transcripts write them: "nineteen ninety-four",
# "two thousand", "two thousand and one".
_UNITS_W = "one|two|three|four|five|six|seven|eight|nine"
_TEENS_W = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS_W = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_TWO_DIGITS_W = rf"(?:(?:{_TENS_W})(?:[-\s](?:{_UNITS_W}))?|{_TEENS_W})"
SPELLED_YEAR = (rf"(?i:(?:eighteen|nineteen)\s+(?:{_TWO_DIGITS_W}|hundred)(?![\w-])"
                rf"|two\s+thousand(?:\s+(?:and\s+)?(?:{_TWO_DIGITS_W}|{_UNITS_W}))?(?![\w-]))")
YEAR = rf"(?P<year>1[89]\d\d|20\d\d|{SPELLED_YEAR})(?![\d])"
# A spelled year of a century and two digits ("nineteen ninety-six"): never a count.
_SPELLED_CENTURY_YEAR = re.compile(rf"(?i:(?:eighteen|nineteen)\s+{_TWO_DIGITS_W})")
SEASON = r"(?P<season>(?i:spring|summer|autumn|winter|fall))(?![\w])"
WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?![\w])"
NUM = r"(?P<num>(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)|\d{1,3})"


@dataclass(frozen=True)
class Rule:
    name: str
    regex: re.Pattern
    handler: Callable  # (match, ctx) -> (value, precision) | None
    anchors: frozenset[str] = frozenset()  # ANCHOR groups that can end inside a match


_WORD_VALUES = {w: i + 1 for i, w in enumerate(_UNITS_W.split("|"))}
_WORD_VALUES.update({w: i + 10 for i, w in enumerate(_TEENS_W.split("|"))})
_WORD_VALUES.update({w: 20 + 10 * i for i, w in enumerate(_TENS_W.split("|"))})


def _words_value(text: str) -> int:
    return sum(_WORD_VALUES[w] for w in re.split(r"[-\s]+", text) if w in _WORD_VALUES)


def year_of(text: str) -> int:
    """A year written in digits or in words ("nineteen ninety-four", "two thousand one")."""
    if text.isdigit():
        return int(text)
    words = re.sub(r"\s+", " ", text.lower()).replace(" and ", " ")
    if words.startswith("two thousand"):
        return 2000 + _words_value(words[len("two thousand"):])
    century, _, rest = words.partition(" ")
    return _WORD_VALUES[century] * 100 + (0 if rest == "hundred" else _words_value(rest))


def _month(m) -> int:
    return MONTHS[m.group("month").lower().rstrip(".")]


def _mod(m) -> str:
    mod = m.groupdict().get("mod")
    return re.sub(r"\s+", " ", mod.lower()) if mod else ""


def _prep(m) -> str:
    prep = m.groupdict().get("prep")
    return re.sub(r"\s+", " ", prep.lower()) if prep else ""


def _num(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.lower()
    if text.isdigit():
        return int(text)
    return NUMBERS.get(text)


# A number glued to a Hangul word other than 년 (optionally after a range "∼2000"): a
# price or a count ("1800원", "1900∼2000원으로"), not a year.
_ATTACHED_UNIT = re.compile(r"(?:\s?[~∼〜-]\s?\d[\d,]*)?(?!년)[\uac00-\ud7a3]")
# Prepositions before "the end of <year>" that make it a bound of a period running
# through that year ("through the end of 2020", "by the end of 1990"): the year; "at the
# end of 2019", "since the end of 2019" name December.
PERIOD_BOUND_PREPS = frozenset({"by", "until", "till", "through", "throughout", "before", "after", "to"})
# Prepositions after which a four-digit number far ahead of publication is still a year.
TIME_PREPS = frozenset({"in", "by", "until", "till", "through", "before", "after", "from", "starting"})

# Prepositions that close a period ("banned until March", "patrols through the end of
# March").  Under a past verb the period was set in the past, but its end may still be
# ahead: the month (or day) nearest publication is taken, past or coming.
PERIOD_END_PREPS = frozenset({"until", "till", "through", "throughout"})


def _nearest(pub, past, coming):
    """Of two resolutions of one expression (both days or both months), the one nearer
    ``pub``; the past one on a tie."""
    if not past or not coming:
        return past or coming

    def distance(value):
        if value[1] == "day":
            return abs((dt.date.fromisoformat(value[0]) - pub).days)
        year, month = int(value[0][:4]), int(value[0][5:7])
        return abs(year * 12 + month - (pub.year * 12 + pub.month))
    return coming if distance(coming) < distance(past) else past


# Words before a date that set when something applies, due or runs out, whatever the
# tense of the clause ("declared a dividend payable Dec. 7", "a decree going into effect
# Jan. 1", "the offer was extended to Nov. 20"): the date nearest publication.
_NEAREST_BEFORE = re.compile(
    r"(?i)\b(?:payable|due|effective|redeemable|expir(?:e|es|ed|ing)|matur(?:e|es|ed|ing)|of\s+record"
    r"|(?:go|goes|going|went|gone|come|comes|coming|came)\s+into\s+(?:effect|force)"
    r"|(?:take|takes|taking|took|taken)\s+effect|extended\s+(?:to|until|through))\s*$")


def _nearest_cue(m, ctx) -> bool:
    return bool(_NEAREST_BEFORE.search(ctx.body, max(0, m.start() - 40), m.start()))


# -- handlers -------------------------------------------------------------------------
def h_month_day(m, ctx):
    month, day = _month(m), int(m.group("day"))
    if not 1 <= day <= 31:
        return None
    if m.group("year"):
        return R.make_day(year_of(m.group("year")), month, day)
    if ctx.pub is None:
        return None
    yrel = (m.groupdict().get("dyrel") or "").lower()
    if yrel:  # "on Dec. 31 last year"
        return R.make_day(ctx.pub.year + {"this": 0, "last": -1, "next": 1}[yrel], month, day)
    weekday = m.groupdict().get("weekday")
    if weekday:  # "Saturday, April 25": the year in which that day is a Saturday
        for year in (ctx.pub.year, ctx.pub.year - 1, ctx.pub.year + 1):
            value = R.make_day(year, month, day)
            if value and dt.date.fromisoformat(value[0]).weekday() == WEEKDAYS[weekday.lower()]:
                return value
    if (m.groupdict().get("mdrel") or "").lower() == "last":  # "last Oct. 23"
        return R.month_day(ctx.pub, month, day, forward=False)
    forward = ctx.forward(m, _prep(m))
    value = R.month_day(ctx.pub, month, day, forward=forward, grace=R.GRACE_DAYS)
    if forward and value and value[0] < R.fmt_day(ctx.pub - ctx.deadline_slack)[0]:
        # a deadline far behind publication is next year's ("by Jan. 10" in December)
        value = R.make_day(ctx.pub.year + 1, month, day)
    if not forward and (_prep(m) in PERIOD_END_PREPS or _nearest_cue(m, ctx) or ctx.tense(m) not in (PAST, None)):
        # a period's end, or a present-tense clause ("the rights expire Nov. 21",
        # "takes effect Nov. 13"): the date nearest publication, past or coming
        value = _nearest(ctx.pub, value, R.month_day_next(ctx.pub, month, day))
    return value


def h_ordinal_day(m, ctx):
    if ctx.pub is None:
        return None
    day = int(m.group("day"))
    nxt = ctx.next_word(m.end())
    if nxt and (nxt[0].isupper() or nxt.lower() in cue_set("ordinal_noun_blocklist")):
        return None
    if not m.group("rel") and not m.groupdict().get("month") and ctx.is_modifier(m.start("day"), m.end("day") + 2):
        return None  # "the 22nd emergency meeting": an ordinal modifying a noun
    rel = (m.group("rel") or "").lower()
    if m.groupdict().get("month"):
        return R.month_day(ctx.pub, _month(m), day, forward=ctx.forward(m, _prep(m)))
    offset = {"this": 0, "last": -1, "next": 1}.get(rel)
    return R.day_of_month(ctx.pub, day, offset)


JUCHE_OFFSET = 1911  # Juche 1 is 1912


def h_month_juche(m, ctx):
    """"in November Juche 103 (2014)": the Juche calendar, year = 1911 + N."""
    year = year_of(m.group("year")) if m.group("year") else JUCHE_OFFSET + int(m.group("juche"))
    if m.groupdict().get("month"):
        if m.groupdict().get("day"):
            return R.make_day(year, _month(m), int(m.group("day")))
        return R.fmt_month(year, _month(m))
    return R.fmt_year(year)


def h_month_year(m, ctx):
    month = _month(m)
    if m.group("year"):
        year = year_of(m.group("year"))
    else:
        if ctx.pub is None:
            return None
        year = ctx.pub.year + {"this": 0, "last": -1, "next": 1}[m.group("yrel").lower()]
    return R.fmt_month(year, month)


def h_rel_month_name(m, ctx):
    if ctx.pub is None:
        return None
    rel = m.group("rel").lower().split()[-1]
    month = _month(m)
    if rel in ("last", "past"):
        return R.last_named_month(ctx.pub, month)
    if rel in ("next", "coming"):
        year = ctx.pub.year + (1 if month <= ctx.pub.month else 0)
        return R.fmt_month(year, month)
    return R.fmt_month(ctx.pub.year, month)  # "this March"


_TITLE_AFTER = re.compile(r"\s+(?:(?:of|for)\s+(?:the\s+)?)?[A-Z]")


def _name_not_month(m, ctx) -> bool:
    """A bare month word that is a name: "Jan Kavan", "the annual March for Life"."""
    word = m.group("month")
    if word == "Jan" and re.match(r"\s+[A-Z]", ctx.body[m.end():]):
        return True
    before = ctx.body[max(0, m.start() - 10):m.start()].lower()
    return bool(re.search(r"\b(?:the|annual|a)\s+[`'\"“‘]*$", before) and _TITLE_AFTER.match(ctx.body, m.end()))


def h_bare_month(m, ctx):
    word = m.group("month")
    if word == "May" and not (m.group("prep") or m.group("mod")):
        before = ctx.body[max(0, m.start() - 9):m.start()].lower()
        if not re.search(r"\b(?:to|and|or|through|of|between)\s+$", before):
            return None  # the modal verb
    if not (m.group("prep") or m.group("mod")) and _name_not_month(m, ctx):
        return None
    if ctx.pub is None:
        return None
    forward = ctx.forward(m, _prep(m))
    value = R.bare_month(ctx.pub, _month(m), forward=forward)
    if not forward and (_prep(m) in PERIOD_END_PREPS or _nearest_cue(m, ctx)):
        value = _nearest(ctx.pub, value, R.bare_month(ctx.pub, _month(m), forward=True))
    return value


def h_season_year(m, ctx):
    code = _season_code(m.group("season"))
    if m.group("year"):
        return R.fmt_season(year_of(m.group("year")), code)
    if ctx.pub is None:
        return None  # "the autumn of last year" needs publication
    return R.fmt_season(ctx.pub.year + {"this": 0, "last": -1, "next": 1}[m.group("syrel").lower()], code)


def h_period_end(m, ctx):
    """"by year-end", "at the month's end": the publication year or month."""
    if ctx.pub is None:
        return None
    if m.group("unit").lower() == "year":
        return R.relative_year(ctx.pub, 0)
    return R.relative_month(ctx.pub, 0)


def _season_code(word: str) -> int:
    word = word.lower()
    return R.SEASONS["autumn" if word == "fall" else word]


def h_season(m, ctx):
    word = m.group("season").lower()
    rel = re.sub(r"\s+", " ", (m.group("srel") or "").lower())
    prep, mod = _prep(m), _mod(m)
    if word == "fall" and rel not in ("last", "this", "next"):
        return None  # the verb or noun
    if not (prep or rel or mod):
        return None
    if ctx.is_modifier(m.start("season"), m.end("season")):
        return None  # "the autumn harvest", "spring planting"
    if ctx.pub is None:
        return None
    code = _season_code(word)
    if rel in ("last", "the last", "the past", "the previous", "this past"):
        return R.season_last(ctx.pub, code)
    if rel == "this":
        return R.season_this(ctx.pub, code)
    if rel in ("next", "the coming", "the next", "this coming"):
        return R.season_forward(ctx.pub, code) if rel != "next" else R.season_next(ctx.pub, code)
    if ctx.forward(m, prep):
        return R.season_forward(ctx.pub, code)
    return R.season_past(ctx.pub, code)


def h_year(m, ctx):
    year = year_of(m.group("year"))
    # "two thousand troops", "nineteen hundred people": such a spelled number is a year
    # only after a preposition or "the year", and before no noun.  "nineteen ninety-six"
    # is never a count: it is a year anywhere.
    spelled_count = not m.group("year").isdigit() and not _SPELLED_CENTURY_YEAR.fullmatch(m.group("year"))
    if spelled_count and (not (m.group("prep") or m.groupdict().get("theyear")) or ctx.noun_follows(m.end())):
        return None
    nxt = ctx.next_word(m.end())
    if nxt and nxt.lower() in cue_set("year_unit_words"):
        return None
    before = ctx.body[max(0, m.start("year") - 12):m.start("year")].lower()
    if re.search(r"(?:article|no\.|number|#|\$|€|£|group|unit|route|kim)\s*$", before):
        return None
    ahead = ctx.max_years_ahead
    if _prep(m) in TIME_PREPS and m.group("year").isdigit():
        ahead = ctx.max_years_ahead_after_prep  # "puttable in 1999", "a plan through 2035"
    if ctx.pub is not None and year > ctx.pub.year + ahead:
        return None  # a number, not a year
    if ctx.body[m.end():m.end() + 1] == "/":
        return None  # a path in a link ("…/2018/11/08/…")
    if _ATTACHED_UNIT.match(ctx.body, m.end()):
        return None  # "1800원", "1900∼2000원": a price or a count written in Korean
    if _mod(m).startswith("the end of") and _prep(m) not in PERIOD_BOUND_PREPS:
        return R.fmt_month(year, 12)  # "at the end of 2020" is December, as "the end of last year"
    return R.fmt_year(year)  # "through the end of 2020", "by the end of 2020": the year


_THE_BEFORE = re.compile(r"(?i:\bthe\s+)$")


def _duration(m, ctx) -> bool:
    """"the last month", "over the last year": a period up to now, not a date."""
    if m.group("prep") or _mod(m):
        return False
    return bool(_THE_BEFORE.search(ctx.body[max(0, m.start() - 8):m.start()]))


def h_rel_year(m, ctx):
    if ctx.pub is None or _duration(m, ctx):
        return None
    rel = m.group("yrel").lower().split()[-1]
    delta = {"this": 0, "last": -1, "next": 1, "the": 0, "current": 0}[rel]
    mod = _mod(m)
    if m.group("yrel").lower() == "the" and not mod:
        return None  # bare "the year"
    if mod.startswith("the end of") and delta == -1:
        return R.fmt_month(ctx.pub.year - 1, 12)  # "the end of last year" is December
    return R.relative_year(ctx.pub, delta)


def h_rel_month(m, ctx):
    if ctx.pub is None or _duration(m, ctx):
        return None
    rel = m.group("mrel").lower().split()[-1]
    if rel == "the" and not _mod(m):
        return None
    delta = {"this": 0, "last": -1, "next": 1, "the": 0}[rel]
    return R.relative_month(ctx.pub, delta)


def h_ago(m, ctx):
    if ctx.pub is None:
        return None
    n = _num(m.group("num"))
    if n is None:
        return None
    unit = m.group("unit").lower().rstrip("s")
    if unit == "decade":
        return R.relative_year(ctx.pub, -10 * n)
    if unit == "year":
        return R.relative_year(ctx.pub, -n)
    if unit == "month":
        return R.relative_month(ctx.pub, -n)
    return None


def _days_ago(m, ctx):
    n = _num(m.group("num"))
    if ctx.pub is None or n is None:
        return None
    return R.days_from(R.fmt_day(ctx.pub)[0], -n)


def _yesterday(m, ctx):
    if ctx.pub is None:
        return None
    back = 2 if "before" in m.group("yday").lower() else 1
    return R.days_from(R.fmt_day(ctx.pub)[0], -back)


def h_weekend(m, ctx):
    """"last weekend", "this weekend", "next weekend": the Saturday, the two days as range."""
    if ctx.pub is None:
        return None
    rel = re.sub(r"\s+", " ", m.group("wkrel").lower())
    return R.weekend(ctx.pub, {"last": -1, "this past": -1, "this": 0, "next": 1, "this coming": 0}[rel])


def h_today(m, ctx):
    """"today", "tonight": the publication day; "tomorrow": the day after."""
    if ctx.pub is None:
        return None
    word = m.group("tday").lower()
    before = ctx.body[max(0, m.start() - 12):m.start()]
    if re.search(r"(?i:\bof|\bfor)\s+$", before) or (m.group("tday")[0].isupper() and re.search(r"[A-Z]\w*\s+$", before)):
        return None  # "the people of tomorrow", a title ("This is Radio Today")
    if ctx.body[m.end():m.end() + 2] in ("'s", "’s"):
        # "tomorrow's vote", "today's editions" are that day's; "today's youth" is now
        words = _POSSESSED.match(ctx.body, m.end() + 2)
        if not words or not any(w.lower() in cue_set("dated_event_nouns") for w in words.group(0).split()):
            return None
    return R.days_from(R.fmt_day(ctx.pub)[0], 1 if word == "tomorrow" else 0)


# the first two words after a possessive "today's"
_POSSESSED = re.compile(r"\s+[\w-]+(?:\s+[\w-]+)?")


QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
            "q1": 1, "q2": 2, "q3": 3, "q4": 4}


def h_quarter(m, ctx):
    """"the third quarter", "third-quarter", "the fourth quarter of 1989", "next year's
    first quarter", "fiscal 1990": the spec has no quarter precision, so the value is the
    year; ``range`` on the Found gives the quarter's days.  A quarter without a year is
    the publication year's, or last year's when it starts after publication in a past
    clause."""
    g = m.groupdict()
    if g.get("year"):
        year = year_of(g["year"])
    elif ctx.pub is None:
        return None
    elif g.get("qyrel"):  # "next year's first quarter"
        year = ctx.pub.year + {"this": 0, "last": -1, "next": 1}[g["qyrel"].split()[0].lower()]
    elif g.get("qago"):
        year = ctx.pub.year - 1  # "the year-earlier quarter", "the year-ago quarter"
    else:
        year = ctx.pub.year
        q = QUARTERS.get((g.get("qnum") or "").lower())
        if q is not None and 3 * (q - 1) + 1 > ctx.pub.month and ctx.tense(m) == PAST:
            year -= 1
    return R.fmt_year(year)


def quarter_range(m, value: str) -> list[str] | None:
    """[first, last] day of the quarter an ``h_quarter`` match names, or None."""
    q = QUARTERS.get((m.groupdict().get("qnum") or "").lower())
    if q is None or not value.isdigit():
        return None
    year = int(value)
    last = dt.date(year, 3 * q, 1) + dt.timedelta(days=31)
    return [f"{year:04d}-{3 * q - 2:02d}-01", (last - dt.timedelta(days=last.day)).isoformat()]


def h_year_range(m, ctx):
    """"1957-58", "1998-2000", "fiscal 1989-90": the first year (``range`` spans both)."""
    first = int(m.group("year"))
    second = m.group("year2")
    last = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
    if not first < last <= first + 10:
        return None
    value = R.fmt_year(first)
    return value and (value[0], value[1], [f"{first:04d}-01-01", f"{last:04d}-12-31"])


_YEAR_ANAPHOR_SHIFT = {"that": 0, "the same": 0, "later that": 0, "earlier that": 0,
                       "the following": 1, "the next": 1, "the previous": -1, "the preceding": -1,
                       "the prior": -1, "a": -1, "one": -1}


def h_year_anaphor(m, ctx):
    """"that year", "the following year", "a year earlier", "the previous year": a year
    counted from the nearest preceding date that has a year (the publication year when
    none precedes, for "a year earlier" and "the previous year")."""
    rel = re.sub(r"\s+", " ", m.group("yan").lower())
    shift = _YEAR_ANAPHOR_SHIFT.get(rel)
    if m.group("later"):
        shift = {"later": 1, "earlier": -1, "before": -1, "after": 1}[m.group("later").lower()]
    if shift is None:
        return None
    anchor = ctx.year_before(m.start())
    if anchor is None:
        if shift >= 0 or ctx.pub is None:
            return None
        anchor = ctx.pub.year
    return R.fmt_year(anchor + shift)


def h_quarter_any(m, ctx):
    g = m.groupdict()
    if g.get("qyear") and not g.get("year"):
        value = R.fmt_year(year_of(g["qyear"]))
    elif g.get("qyrel2") and not g.get("qyrel"):
        if ctx.pub is None:
            return None
        value = R.fmt_year(ctx.pub.year + {"this": 0, "last": -1, "next": 1}[g["qyrel2"].lower()])
    else:
        value = h_quarter(m, ctx)
    if value is None:
        return None
    return value[0], value[1], quarter_range(m, value[0])


def h_year_anaphor_any(m, ctx):
    if m.group("yan2"):  # "a year earlier": from a date of the same sentence, else publication
        anchor = ctx.year_before(m.start(), same_sentence=True)
        base = anchor if anchor is not None else (ctx.pub.year if ctx.pub else None)
        if base is None:
            return None
        return R.fmt_year(base + (1 if m.group("later").lower() == "later" else -1))
    return h_year_anaphor(m, ctx)


def h_weekday_date(m, ctx):
    """"on Monday, March 6": the explicit date decides."""
    return h_month_day(m, ctx)


def h_same_time_last_year(m, ctx):
    """"this time last year": the same month a year earlier (as 지난해 이맘때)."""
    if ctx.pub is None:
        return None
    return R.same_month_last_year(ctx.pub)


def h_iso_date(m, ctx):
    """"2024-01-16" (ISO 8601, as web pages and wire copy write dates)."""
    return R.make_day(year_of(m.group("year")), int(m.group("imonth")), int(m.group("iday")))


def h_numeric_date(m, ctx):
    """"2023.10.01", "2016/09/18", "2016/Sept/18", "21/05/2014": a day written in figures.
    Day and month in either order ("05/21/2014") only when one of them cannot be a month;
    never inside a link ("…/2018/11/08/…")."""
    if ctx.body[m.end():m.end() + 1] == "/" or ctx.body[max(0, m.start() - 1):m.start()] in ("/", "=", "."):
        return None
    g = m.groupdict()
    year = int(g["year"] or g["year2"])
    if g.get("month"):
        return R.make_day(year, _month(m), int(g["day"]))
    if g.get("nmonth"):
        return R.make_day(year, int(g["nmonth"]), int(g["nday"]))
    first, second = int(g["d1"]), int(g["d2"])
    if first > 12 >= second:
        return R.make_day(year, second, first)
    if second > 12 >= first:
        return R.make_day(year, first, second)
    return None  # "05/06/2014": which is the month is not written


def h_weekday_of_week(m, ctx):
    """"on Monday last week": the weekday of the calendar week (Monday to Sunday) before,
    of or after the publication week."""
    if ctx.pub is None:
        return None
    shift = {"last": -1, "this": 0, "next": 1}[m.group("week").lower()]
    monday = ctx.pub - dt.timedelta(days=ctx.pub.weekday()) + dt.timedelta(weeks=shift)
    return R.fmt_day(monday + dt.timedelta(days=WEEKDAYS[m.group("weekday").lower()]))


# Prepositions after which a weekday in a present or future clause is the coming one
# ("closed until Monday", "the new prices apply from Monday").
WEEKDAY_FORWARD_PREPS = frozenset({"by", "until", "till", "through", "from", "starting", "before"})


def h_weekday(m, ctx):
    """A weekday as news copy uses it: the most recent one, publication day included
    ("said Thursday" in a Thursday story); "last Thursday" the one strictly before;
    "next"/"coming" or a future or planned clause ("set to resume Monday", "will meet
    on Friday", "until Monday") the coming one, publication day included."""
    if ctx.pub is None:
        return None
    wd = WEEKDAYS[m.group("weekday").lower()]
    rel = re.sub(r"\s+", " ", (m.group("wrel") or "").lower())
    if rel in ("next", "this coming", "coming"):
        return R.weekday_after(ctx.pub, wd)
    if rel in ("last", "this past"):
        return R.weekday_before(ctx.pub, wd)
    if ctx.body[m.end():m.end() + 2] in ("'s", "’s"):
        return R.weekday_on_or_before(ctx.pub, wd)  # "Wednesday's ruling"
    if planned_before(ctx.body, m.start()) or ctx.planned(m):
        # "set to resume Monday", "planned a rally on Saturday", "postponed until Tuesday"
        return R.weekday_on_or_after(ctx.pub, wd)
    tense = ctx.tense(m, infinitive_head=True)
    if tense == FUTURE or (tense != PAST and _prep(m) in WEEKDAY_FORWARD_PREPS):
        return R.weekday_on_or_after(ctx.pub, wd)
    if tense == PRESENT and _prep(m) != "since" and ctx.scheduled(m):
        return R.weekday_on_or_after(ctx.pub, wd)  # "the two leaders meet Monday"
    return R.weekday_on_or_before(ctx.pub, wd)


def _c(pattern: str) -> re.Pattern:
    return re.compile(START + pattern)


def _a(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Keywords every rule needs: the extractor finds these first (one pass), then tries
# the rules only at word starts shortly before each one (anchored ``match``), which
# is several times faster than running every rule over the whole body.
ANCHOR = re.compile(
    r"(?<![\w'’])(?:"
    r"(?P<month>(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Sept|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(?![\w]))"
    r"|(?P<weekday>(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?![\w]))"
    r"|(?P<season>(?i:spring|summer|autumn|winter|fall)(?![\w]))"
    r"|(?P<year>(?:1[89]|20)\d\d(?!\d)|(?i:(?:eighteen|nineteen)\s+[a-z]|two\s+thousand))"
    r"|(?P<qw>(?i:quarters?|fiscal)(?![\w]))"
    r"|(?P<tday>(?i:today|tonight|tomorrow)(?![\w]))"
    r"|(?P<wk>(?i:weekend)(?![\w]))"
    r"|(?P<yw>(?i:years?|decades?)(?![\w]))"
    r"|(?P<mw>(?i:months?)(?![\w]))"
    r"|(?P<ago>(?i:ago)(?![\w]))"
    r"|(?P<juche>Juche(?=\s+\d))"
    r"|(?P<yday>(?i:yesterday)(?![\w]))"
    r"|(?P<ord>[0-3]?\d(?:st|nd|rd|th)(?![\w]))"
    r")")
# The words a match can start with before its anchor (prepositions, modifiers,
# relatives, counts); any other word start is skipped without trying the rules.
STARTERS = frozenset(
    re.sub(r"\\s\+", " ", PREP_WORDS).split("|")
    + ["as", "early", "mid", "late", "the", "last", "this", "next", "coming", "earlier", "later",
       "first", "second", "third", "fourth", "1st", "2nd", "3rd", "4th", "fiscal", "year", "that",
       "following", "previous", "preceding", "prior",
       "all", "around", "same"]
    + [w for w in NUMBERS if NUMBERS[w] is not None])
# How far before its anchor a match may start: "since the very beginning of" + space.
ANCHOR_BACK = 48


RULES: tuple[Rule, ...] = (
    Rule("month_day", _c(PREP + DAY_MOD + MOD + r"(?:(?P<mdrel>(?i:last))\s+)?" + MONTH + r"\s+" + DAY
                         + rf"(?:,?\s+{YEAR}|,?\s+(?:of\s+)?(?P<dyrel>(?i:this|last|next))\s+year(?![\w]))?"), h_month_day, _a("month")),
    Rule("days_ago", _c(PREP + NUM + r"\s+days?\s+ago(?![\w])"), lambda m, ctx: _days_ago(m, ctx), _a("ago")),
    Rule("yesterday", _c(r"(?:(?P<prep>(?i:on|since|from|until|by))\s+)?(?P<yday>(?i:the\s+day\s+before\s+yesterday|yesterday))(?![\w])"),
         lambda m, ctx: _yesterday(m, ctx), _a("yday")),
    Rule("day_month", _c(PREP + DAY_MOD + r"(?:the\s+)?" + DAY + r"(?:\s+of)?\s+" + MONTH + rf"(?:,?\s+{YEAR})?"), h_month_day, _a("month")),
    Rule("ordinal_day", _c(r"(?P<prep>(?i:on|since|from|until|till|by|before|after|as\s+of|starting))\s+" + DAY_MOD
                           + r"the\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)(?![\w])"
                           + r"(?:\s+of\s+(?:(?P<rel>(?i:this|last|next))\s+month|" + MONTH + r"))?"), h_ordinal_day, _a("ord")),
    Rule("month_juche", _c(PREP + MOD + r"(?:" + MONTH + r"(?:\s+(?P<day>[0-3]?\d)(?!\d))?,?\s+)?Juche\s+(?P<juche>\d{1,3})(?!\d)"
                           + rf"(?:\s*\({YEAR}\))?"), h_month_juche, _a("month juche")),
    Rule("month_year", _c(PREP + MOD + MONTH + rf"(?:,?\s+(?:of\s+)?{YEAR}|\s+(?:of\s+)?(?P<yrel>(?i:this|last|next))\s+year)"), h_month_year, _a("month")),
    Rule("rel_month_name", _c(PREP + r"(?P<rel>(?i:last|this|next|this\s+past|this\s+coming))\s+" + MONTH), h_rel_month_name, _a("month")),
    Rule("bare_month", _c(PREP + MOD + MONTH + r"(?!\s+\d)"), h_bare_month, _a("month")),
    Rule("season_year", _c(PREP + MOD + r"(?:the\s+)?" + SEASON
                           + rf"(?:(?:\s+of)?\s+{YEAR}|\s+of\s+(?P<syrel>(?i:this|last|next))\s+year(?![\w]))"), h_season_year, _a("season")),
    Rule("period_end", _c(PREP + r"(?:the\s+)?(?P<unit>(?i:year|month))(?:-end|['’]s\s+end)(?![\w])"), h_period_end, _a("yw mw")),
    Rule("season", _c(PREP + MOD + r"(?:(?P<srel>(?i:last|this\s+past|this|next|this\s+coming|the\s+coming|the\s+past|the\s+last|the\s+next|the\s+previous|all|the))\s+)?" + SEASON), h_season, _a("season")),
    Rule("iso_date", _c(PREP + DAY_MOD + r"(?P<year>1[89]\d\d|20\d\d)-(?P<imonth>0[1-9]|1[0-2])-(?P<iday>0[1-9]|[12]\d|3[01])(?![\w-])"),
         h_iso_date, _a("year")),
    Rule("numeric_date", _c(PREP + r"(?:(?P<year>1[89]\d\d|20\d\d)(?:(?P<nsep>[./])(?P<nmonth>0?[1-9]|1[0-2])(?P=nsep)(?P<nday>0?[1-9]|[12]\d|3[01])"
                            r"|/" + MONTH + r"/" + DAY + r")|(?P<d1>[0-3]?\d)/(?P<d2>[0-3]?\d)/(?P<year2>1[89]\d\d|20\d\d))(?![\w/]|\.\d)"),
         lambda m, ctx: h_numeric_date(m, ctx), _a("year")),
    Rule("year", _c(PREP + MOD + r"(?:(?P<theyear>(?i:the\s+year))\s+)?" + YEAR + r"(?!s\b|[-–]\d)"), h_year, _a("year")),
    Rule("rel_year", _c(PREP + MOD + r"(?P<yrel>(?i:last|this|next|earlier\s+this|later\s+this|the\s+current|the))\s+(?:(?i:fiscal)\s+)?year(?![\w])(?!\s+(?:ago|earlier|later|before))"), h_rel_year, _a("yw")),
    Rule("rel_month", _c(PREP + MOD + r"(?P<mrel>(?i:last|this|next|earlier\s+this|later\s+this|the))\s+month(?![\w])(?!\s+(?:ago|earlier|later|before))"), h_rel_month, _a("mw")),
    Rule("ago", _c(PREP + NUM + r"\s+(?P<unit>(?i:years?|decades?|months?))\s+ago(?![\w])"), h_ago, _a("yw mw")),
    Rule("today", _c(r"(?:(?P<prep>(?i:on|since|from|until|by|before|after))\s+)?(?:(?i:later|earlier)\s+)?(?P<tday>(?i:today|tonight|tomorrow))(?:(?=['’]s(?![\w]))|(?![\w'’-])(?!\s*['’]s))"),
         h_today, _a("tday")),
    Rule("weekend", _c(PREP + r"(?P<wkrel>(?i:last|this\s+past|this|next|this\s+coming))\s+weekend(?![\w'’-])"),
         lambda m, ctx: h_weekend(m, ctx), _a("wk")),
    Rule("quarter", _c(PREP + r"(?:(?i:the)\s+)?(?:(?P<qyrel>(?i:this|last|next)\s+year['’]s)\s+|(?P<qago>(?i:year-(?:earlier|ago)))\s+|" + YEAR + r"\s+)?"
                       r"(?:(?i:fiscal)\s+)?(?P<qnum>(?i:first|second|third|fourth|1st|2nd|3rd|4th))[-\s](?i:quarter)(?![\w-])"
                       + rf"(?:\s+(?:of\s+)?(?:(?i:fiscal)\s+)?{YEAR.replace('(?P<year>', '(?P<qyear>')}|\s+of\s+(?P<qyrel2>(?i:this|last|next))\s+year)?"),
         lambda m, ctx: h_quarter_any(m, ctx), _a("qw")),
    Rule("fiscal_year", _c(PREP + MOD + r"(?:the\s+)?(?i:fiscal)(?:\s+(?i:year))?\s+" + YEAR + r"(?![-–]\d)"), h_year, _a("qw")),
    Rule("year_range", _c(PREP + r"(?:(?i:fiscal)\s+)?(?P<year>1[89]\d\d|20\d\d)\s?[-–/]\s?(?P<year2>\d\d|1[89]\d\d|20\d\d)(?![\d\w-])"),
         h_year_range, _a("year qw")),
    Rule("year_anaphor", _c(PREP + r"(?:(?P<yan>(?i:that|the\s+same|later\s+that|earlier\s+that|the\s+following|the\s+next|the\s+previous|the\s+preceding|the\s+prior))\s+year(?![\w'’-])"
                            r"|(?P<yan2>(?i:a|one))\s+year\s+(?P<later>(?i:earlier|later|before))(?![\w]))"),
         lambda m, ctx: h_year_anaphor_any(m, ctx), _a("yw")),
    Rule("weekday_date", _c(PREP + r"(?:the\s+)?" + WEEKDAY + r",?\s+(?:the\s+)?" + MONTH + r"\s+" + DAY + rf"(?:,?\s+{YEAR})?"), h_weekday_date, _a("weekday")),
    Rule("same_time_last_year", _c(r"(?:(?P<prep>(?i:at|around|by|from|since))\s+)?(?i:this|the\s+same)\s+(?i:time|period|point)\s+(?:of\s+)?last\s+year(?![\w])"), h_same_time_last_year, _a("yw")),
    Rule("weekday_of_week", _c(PREP + WEEKDAY + r"(?:\s+(?:night|morning|afternoon|evening))?\s+(?:of\s+)?(?P<week>(?i:last|this|next))\s+week(?![\w])"),
         h_weekday_of_week, _a("weekday")),
    Rule("weekday", _c(PREP + r"(?:(?P<wrel>(?i:last|this|next|this\s+past|this\s+coming|coming))\s+)?" + WEEKDAY + r"(?!s\b)"), h_weekday, _a("weekday")),
)

# Anaphora: resolved through the nearest preceding day (never listed in doc.dates).
ANAPHORA = re.compile(
    START + r"(?:(?i:on|by|from|until|since)\s+)?(?P<expr>(?i:"
    r"(?P<then>(?<=since\s)then|(?<=from\s)then\s+on|(?<=since\s)that\s+time)"
    r"|(?:(?:later|earlier)\s+)?(?P<same>that|the\s+same|that\s+same)\s+(?:day|night|morning|evening|afternoon)"
    r"|the\s+(?P<next>next|following)\s+(?:day|morning|night|evening)"
    r"|the\s+(?P<prev>previous|preceding)\s+(?:day|night|evening)"
    r"|the\s+day\s+(?P<rel>before|after)"
    r"|(?P<num>a|one|two|three|four|five|six|seven|\d{1,2})\s+days?\s+(?P<dir>later|earlier|afterwards|after\s+that|before\s+that)"
    r"))(?![\w])")


def anaphor_offset(m) -> int | None:
    """Days from the antecedent day: 0 same day, +1 next, -1 previous, +N later.  Reads
    the named groups of either language's ``ANAPHORA`` (Korean has no counted days)."""
    g = m.groupdict()
    if g.get("same"):
        return 0
    if g.get("next"):
        return 1
    if g.get("prev"):
        return -1
    if g.get("rel"):
        return -1 if g["rel"].lower() == "before" else 1
    n = _num(g.get("num"))
    if n is None:
        return None
    return -n if g["dir"].lower().startswith(("earlier", "before")) else n
