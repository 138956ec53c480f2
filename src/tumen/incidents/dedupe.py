"""Merging restatements: one incident per distinct event.

A candidate is (sentence index, type, arguments).  Two candidates of the same type are
the same event when their arguments do not tell them apart: no conflicting date and
no conflicting place.  Of a group the most specific sentence is kept as evidence (the
most of actor, place and date stated in the sentence itself; the earliest on a tie), as
the annotation guidelines ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Candidate:
    index: int  # sentence index in the report
    type: str
    prob: float
    start: int
    end: int
    paragraph: int
    actor: str | None = None
    place: str | None = None
    province: str | None = None
    date: str | None = None
    date_precision: str | None = None
    penalty: str | None = None
    own: set = field(default_factory=set)  # which arguments the sentence itself states

    @property
    def specificity(self) -> int:
        return len(self.own)


# Types for which several sentences of one report usually describe one event unless a
# date or place sets them apart (an ongoing operation described at length).
MERGE_TYPES = {"crackdown", "order", "legislation", "mobilization", "propaganda", "market",
               "smuggling", "remittance", "border_crossing", "other", "arrest", "meeting",
               "punishment", "public_trial"}


def _compatible(a: Candidate, b: Candidate) -> bool:
    if a.type != b.type or a.type not in MERGE_TYPES:
        return False
    if "date" in a.own and "date" in b.own and a.date != b.date:
        return False
    if "place" in a.own and "place" in b.own and a.province != b.province:
        return False
    if "place" in a.own and "place" in b.own and a.place != b.place and a.place != a.province and b.place != b.province:
        return False
    return True


# A sentence that opens by naming its event with a definite article ("The meeting ...",
# "The raids were led by ...") continues an event already told.
_ANAPHORIC = re.compile(r"^(?:[\w'’-]+(?:\s+[\w'’-]+){0,2},\s+)?(?:the|this|that|these|those)\s+(?:[\w'’-]+\s+){0,2}?"
                        r"(?:meeting|meetings|session|lecture|order|orders|directive|raid|raids|crackdown|"
                        r"operation|campaign|trial|inspection|inspections|checks|ban|search|searches)\b", re.I)

# Which merge rules are on (see ``merge``); the names are tested in the cross-validation.
RULES = {"lede", "undated", "anaphoric"}


def merge(cands: list[Candidate], lede_paragraphs: int = 1, texts: dict[int, str] | None = None) -> list[Candidate]:
    """Merge candidates of one type that tell the same event: a lede candidate (first
    paragraph) restated by a compatible later one; two compatible undated ones; a later
    one that opens with a definite reference to the event ("The meeting ...")."""
    keep: list[Candidate] = []
    texts = texts or {}
    for cand in sorted(cands, key=lambda c: c.index):
        merged = False
        for i, prev in enumerate(keep):
            if not _compatible(prev, cand):
                continue
            lede = "lede" in RULES and prev.paragraph < lede_paragraphs
            undated = "undated" in RULES and "date" not in prev.own and "date" not in cand.own
            anaphoric = ("anaphoric" in RULES and "date" not in cand.own
                         and bool(_ANAPHORIC.match(texts.get(cand.index, ""))))
            if lede or undated or anaphoric:
                if cand.specificity > prev.specificity:
                    keep[i] = cand
                merged = True
                break
        if not merged:
            keep.append(cand)
    return sorted(keep, key=lambda c: (c.start, c.type))
