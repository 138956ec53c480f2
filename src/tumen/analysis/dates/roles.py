"""What a date expression does in its sentence, for dating events.

* ``event``: it dates what the sentence reports ("agents detained two men on March 6");
* ``deadline``: a deadline, plan or period end ("by the end of March", "has set Feb. 16
  as the deadline", "through the end of the year");
* ``comparison``: a reference point of a comparison ("up from 4,200 won in July",
  "well above last autumn's prices", "the most since 2019");
* ``report``: the day a source spoke ("a source said on the 4th that ...",
  "소식통은 9일 두만강통신에 ...").

Only ``event`` dates an incident (the incidents guideline: "Give a date only when the
evidence sentence dates the event").
"""

from __future__ import annotations

import re
from typing import Any

from tumen.analysis.dates.cues import cues
from tumen.analysis.dates.extract import Found
from tumen.analysis.dates.tense import FORWARD_PREPS, FUTURE, verb_tense

EVENT, DEADLINE, COMPARISON, REPORT = "event", "deadline", "comparison", "report"

# How far before a date a comparison cue may stand ("up from about 4,200 won in
# July"): the length of a price phrase, checked on the devset price sentences.
COMPARATIVE_WINDOW = 45
_CLAUSE_BREAK = re.compile(r"[.;:!?]")
_PREP = re.compile(r"(?i)^(on|in|at|since|from|until|till|by|through|throughout|over|before|into|during|after)\b")
_POSSESSIVE_AFTER = re.compile(r"^['’]s?\b")
_DEADLINE_AFTER = re.compile(r"(?i)^,?\s+as\s+(?:the|a|its)\s+(?:\w+\s+)?deadline")
_SUPERLATIVE_SINCE = re.compile(
    r"(?i)\b(?:most|highest|lowest|largest|biggest|worst|best|first|strongest|weakest|fewest)\b[^.;,]*$")
_REPORTING_LEMMAS = frozenset({"say", "tell", "report", "add", "confirm", "inform", "explain", "note",
                               "emerge", "announce", "reveal", "disclose", "quote"})
# "according to a report released on Tuesday": the day the report came out
_RELEASED_BEFORE = re.compile(r"(?i)\baccording\s+to\s+[^,.;:!?]{0,50}\b(?:released|published|issued|aired|dated)\s*$")
_KO_REPORT_BEFORE = re.compile(r"소식통(?:\([^()]{0,30}\))?(?:은|이|들은|들이)\s*$")
# "7일 데일리NK 양강도 소식통에 따르면": a day opening the sentence, then the source
_KO_REPORT_LEAD = re.compile(r"^[^“”\"\n.]{0,40}?소식통(?:\([^()]{0,30}\))?\s*(?:은|이|들은|들이|에\s*따르면|의\s*말)")
# a dateline: "SEOUL, July 15 (Agency) --" opening the body
_DATELINE_BEFORE = re.compile(r"^\s*(?:[A-Z][A-Za-z.'’ -]{1,30},\s*)+$")
_DATELINE_AFTER = re.compile(r"^,?\s*(?:\d{4}\s*)?(?:\([^()\n]{1,30}\)\s*)?(?:--|—|–|-|/)")
# the day a rule starts to apply is not the day it was issued: "took effect from Monday",
# "effective March 1", "goes into force on the 5th"
_TAKES_EFFECT_BEFORE = re.compile(
    r"(?i)\b(?:(?:take|takes|took|taken|taking)\s+effect|effective|(?:in|into)\s+(?:effect|force))\s*$")
# the same read from the words, where the parse does not see it: "..., a South Korean
# newspaper reported on Tuesday." (a trailing attribution ending the sentence)
_TRAILING_ATTRIBUTION = re.compile(
    r"(?i),\s+(?:[\w’'.-]+\s+){1,8}?(?:said|says|reported|reports|told|tells|added|confirmed|announced)"
    r"(?:\s+[\w’'.-]+){0,4}\s*$")
_SENTENCE_ENDS_AFTER = re.compile(r"^\s*(?:[.;]|$)")
_QUOTE_AFTER = re.compile(r"^,?\s*[“\"]")
_KO_REPORT_AFTER = re.compile(r"^\s*[^\s“\"]*(?:에|에게)\s+(?:“|\"|전해|알려|말했|밝혔)")


def date_role(body: str, f: Found, sdoc: Any = None, parsed_chars: int = 0) -> str:
    text = f.text
    after = body[f.end:f.end + 40]
    if is_dateline(body, f):
        return REPORT  # the dateline dates the story, not an event
    if re.search(r"[\uac00-\ud7a3]", text):
        if (_KO_REPORT_BEFORE.search(body[max(0, f.start - 40):f.start]) or _KO_REPORT_AFTER.search(after)
                or (_opens_sentence(body, f.start) and _KO_REPORT_LEAD.match(after))):
            return REPORT
        if "까지" in text:
            return DEADLINE
        if text.endswith(tuple(cues()["korean_comparison_tails"])) or after.lstrip().startswith("비교"):
            return COMPARISON  # "한 달 전과 비교하면", "지난해 이맘때보다"
        return EVENT
    if _POSSESSIVE_AFTER.match(after):
        return COMPARISON  # "last autumn's prices", "this year's harvest"
    if _comparative(body, f.start):
        return COMPARISON
    m = _PREP.match(text)
    prep = m.group(1).lower() if m else ""
    if prep == "since" and _SUPERLATIVE_SINCE.search(body[max(0, f.start - 60):f.start]):
        return COMPARISON  # "the most since 2019"
    if _DEADLINE_AFTER.match(after):
        return DEADLINE
    if _RELEASED_BEFORE.search(body[max(0, f.start - 80):f.start]):
        return REPORT
    if _TAKES_EFFECT_BEFORE.search(body[max(0, f.start - 30):f.start]):
        return DEADLINE  # when the rule applies from, not when it was issued
    if prep in FORWARD_PREPS:
        return DEADLINE
    sdoc = sdoc if f.end <= parsed_chars else None
    if sdoc is not None:
        if verb_tense(sdoc, f.start, f.end, infinitive_future=False) == FUTURE:
            return DEADLINE
        if _reporting(body, sdoc, f.start, f.end):
            return REPORT
    if _SENTENCE_ENDS_AFTER.match(after) and _TRAILING_ATTRIBUTION.search(body, max(0, f.start - 160), f.start):
        return REPORT
    return EVENT


def is_dateline(body: str, f: Found) -> bool:
    """"SEOUL, July 15 (Agency) --" opening the body: the story's dateline."""
    return (f.start < 40 and bool(_DATELINE_BEFORE.match(body[:f.start]))
            and bool(_DATELINE_AFTER.match(body[f.end:f.end + 40])))


def _opens_sentence(body: str, start: int) -> bool:
    before = body[max(0, start - 3):start].rstrip(" ")
    return not before or before[-1] in ".!?\n”\"。"


def _comparative(body: str, start: int) -> bool:
    window = body[max(0, start - COMPARATIVE_WINDOW):start].lower()
    cut = _CLAUSE_BREAK.split(window)[-1]
    if any(re.search(rf"\b{re.escape(c)}\b", cut) for c in cues()["comparative_before"]):
        return True
    return any(re.search(rf"\b{re.escape(c)}\s*$", cut) for c in cues()["comparative_adjacent"])


def _reporting(body: str, sdoc: Any, start: int, end: int) -> bool:
    """The date hangs directly on a reporting verb whose content is a clause
    ("a source said on the 4th that ...", "told the outlet on the 24th that ...")."""
    span = sdoc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    tok = span.root
    while tok.dep_ in ("pobj", "prep", "npadvmod", "nummod", "compound") and tok.head is not tok:
        tok = tok.head
    if tok.lemma_.lower() not in _REPORTING_LEMMAS:
        return False
    # the content is a clause of the verb, or the verb is a trailing attribution that the
    # parser hangs on the content ("prices climbed ..., a source told the outlet on June 10")
    trailing = tok.dep_ in ("conj", "parataxis") and tok.i > tok.head.i and any(
        t.text == "," for t in tok.doc[tok.head.i:tok.i])
    # or a direct quotation follows the date ("told the outlet on the 8th, “On the 7th ...")
    quoted = bool(_QUOTE_AFTER.match(body[end:end + 4]))
    if not trailing and not quoted and not any(c.dep_ == "ccomp" for c in tok.children):
        return False
    # the speaker is a source ("a source in the province told ... on the 8th that")
    # (a trailing attribution ", a source ... told RFA on Sept. 1." or "it emerged on
    # Monday" is one whoever the subject)
    subjects = [c for c in tok.children if c.dep_ == "nsubj"]
    # the content before the verb ("guards shot five men, a newspaper reported on Tuesday")
    content_first = any(c.dep_ == "ccomp" and c.i < tok.i for c in tok.children)
    if trailing or content_first or any(s.lower_ == "it" for s in subjects):
        return True
    return any(t.lower_ in ("source", "sources", "resident", "residents", "official", "trader")
               for s in subjects for t in s.subtree)
