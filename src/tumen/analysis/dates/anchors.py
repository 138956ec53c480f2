"""Second pass over resolved dates: what the text itself anchors them to.

* ``take_parenthetical``: a relative day followed by the explicit day in brackets
  ("어제(15일)", "on Wednesday (July 20)", "이틀 전(26일)부터") is that explicit day.
* ``rebase_on_speaking_day``: a deictic day ("어제", "yesterday", "today", "사흘 전") inside
  a quotation counts from the day its source spoke ("소식통은 7일 “어제 ...”" is the 6th),
  not from publication.
"""

from __future__ import annotations

import datetime as dt
import re

from tumen.analysis.dates.extract import Found
from tumen.analysis.dates.resolve import days_from

# rules whose value is publication day + an offset in days
DEICTIC_RULES = frozenset({"today", "yesterday", "days_ago", "ko_yesterday", "ko_days_ago", "ko_today"})
RELATIVE_DAY_RULES = DEICTIC_RULES | {"weekday", "ko_weekday", "ko_day", "ordinal_day"}
_BRACKET_OPEN = re.compile(r"^\s?[(（]\s?$")
# how far a quotation may reach back from a deictic day to its opening mark, and how far
# before that mark the source's speaking day may stand ("소식통은 7일 “...")
QUOTE_REACH = 400
SPEAKER_REACH = 80


def take_parenthetical(body: str, found: list[Found]) -> set[int]:
    """Gives each relative day followed by a bracketed explicit day that day's value;
    returns the positions (in ``found``) of the days it set."""
    done = set()
    for i, (f, g) in enumerate(zip(found, found[1:])):
        if (f.rule in RELATIVE_DAY_RULES and f.precision == "day" and g.precision == "day"
                and _BRACKET_OPEN.match(body[f.end:g.start])
                and re.match(r"^[^()（）]{0,3}[)）]", body[g.end:])):
            f.value = g.value
            done.add(i)
    return done


def _quote_opening(body: str, pos: int) -> int | None:
    """The position of the “ opening the quotation that holds ``pos``, or None."""
    window = body[max(0, pos - QUOTE_REACH):pos]
    opening = window.rfind("“")
    if opening < 0 or "”" in window[opening:]:
        return None
    return max(0, pos - QUOTE_REACH) + opening


_SENTENCE_END = re.compile(r"[.!?。]\s|다\.\s?")


def rebase_on_speaking_day(body: str, published: dt.date | None, found: list[Found],
                           roles: list[str], report_role: str, skip: set[int] = frozenset()) -> None:
    """``skip``: positions in ``found`` already anchored (by ``take_parenthetical``)."""
    if published is None:
        return
    pub = published.isoformat()
    for i, f in enumerate(found):
        if f.rule not in DEICTIC_RULES or f.precision != "day" or i in skip:
            continue
        opening = _quote_opening(body, f.start)
        if opening is None:
            continue
        speaker = [g for g, role in zip(found[:i], roles[:i])
                   if role == report_role and g.precision == "day"
                   and opening - SPEAKER_REACH <= g.start and g.end <= opening
                   and not _SENTENCE_END.search(body, g.end, opening)]
        if not speaker:
            continue
        offset = (dt.date.fromisoformat(f.value) - dt.date.fromisoformat(pub)).days
        moved = days_from(speaker[-1].value, offset)
        if moved:
            f.value = moved[0]
